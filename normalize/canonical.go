package normalize

import (
	"fmt"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/odds"
)

// Canonical reads envelopes whose payload is one event in oddsflow's own
// encoding ([odds.Event.AppendJSON], as kafkasink and sink.JSONL write it),
// so a pipeline can consume what another one produced. The event keeps its
// ReceivedAt from the original collector.
var Canonical Normalizer = Func(func(dst []odds.Event, env collect.Envelope) ([]odds.Event, error) {
	var e odds.Event
	if err := e.UnmarshalJSON(env.Payload); err != nil {
		return dst, fmt.Errorf("%w: canonical event: %w", ErrMalformed, err)
	}
	return append(dst, e), nil
})
