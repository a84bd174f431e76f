package oddsflow_test

import (
	"context"
	"fmt"
	"time"

	"github.com/oddsflow/oddsflow"
	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/normalize/generic"
	"github.com/oddsflow/oddsflow/sink"
)

func ExamplePipeline() {
	msg := `{"provider":"pinnacle","market_id":"nfl-2026-00042:h2h","timestamp":1795000000123,` +
		`"outcomes":[{"name":"home","price":-110},{"name":"away","price":-105}]}`
	at := time.Unix(1795000000, 0)
	src := collect.Slice(
		collect.Envelope{Provider: "feedx", Payload: []byte(msg), ReceivedAt: at},
		collect.Envelope{Provider: "feedx", Payload: []byte(msg), ReceivedAt: at.Add(time.Millisecond)}, // a re-send
		collect.Envelope{Provider: "feedx", Payload: []byte(`{"provider":`), ReceivedAt: at.Add(2 * time.Millisecond)},
	)
	var reg normalize.Registry
	reg.Register("feedx", "", generic.NewOutcomes(generic.Config{}))
	store, dlq := &sink.Memory{}, &sink.Memory{}
	p, err := oddsflow.New(oddsflow.Config{
		Source: src, Normalizer: &reg, Deduper: dedupe.NewWindow(dedupe.WindowConfig{}),
		Sink: store, DeadLetter: dlq,
	})
	if err != nil {
		panic(err)
	}
	if err := p.Run(context.Background()); err != nil {
		panic(err)
	}
	s := p.Stats()
	fmt.Printf("envelopes %d, events %d, written %d, duplicates %d, dead letters %d\n",
		s.Envelopes, s.Events, s.Written, s.Duplicates, s.DeadLetters)
	for _, e := range store.Events() {
		fmt.Println(e.Market, e.Selection, e.Price)
	}
	// Output:
	// envelopes 3, events 4, written 2, duplicates 2, dead letters 1
	// nfl-2026-00042:h2h home 1.9090909091
	// nfl-2026-00042:h2h away 1.9523809524
}
