// Package normalize turns raw provider messages into canonical odds events.
//
// A [Normalizer] reads one [collect.Envelope] and appends zero or more
// [odds.Event]s to a caller's slice, so a steady pipeline allocates nothing per
// event. A [Registry] routes envelopes to normalizers by provider and schema.
//
// # Errors and dead letters
//
// A message that cannot be read at all returns an error wrapping
// [ErrMalformed]; one from a provider or schema nobody registered wraps
// [ErrUnknownSchema]; a price out of range wraps [odds.ErrInvalidOdds]. One
// bad outcome does not drop the good ones: the normalizer appends every event
// it could read and reports the bad ones in its error (joined with
// [errors.Join], so errors.Is finds each reason). The pipeline then sends the
// raw envelope, with the reason, to a dead-letter sink and the good events on.
//
// The built-in normalizers live in sub-packages: generic (the JSON shapes this
// SDK grew out of), oddsapi (The Odds API v4) and betfair (the Betfair
// Exchange Stream API).
package normalize

import (
	"errors"
	"fmt"
	"sync"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/odds"
)

// Errors a normalizer returns, wrapped with the reason. Check them with [errors.Is].
var (
	// ErrUnknownSchema reports an envelope from a provider or schema version
	// that no normalizer handles.
	ErrUnknownSchema = errors.New("normalize: unknown provider or schema")

	// ErrMalformed reports a message that does not decode: bad JSON, a
	// missing or mistyped field.
	ErrMalformed = errors.New("normalize: malformed message")
)

// Normalizer turns one envelope into canonical events.
//
// Normalize appends the events in env to dst and returns the extended slice.
// When part of the message is bad it still appends every good event and
// returns an error describing the rest. It must not retain env.Payload or
// dst beyond the call.
type Normalizer interface {
	Normalize(dst []odds.Event, env collect.Envelope) ([]odds.Event, error)
}

// Func adapts a function to [Normalizer].
type Func func(dst []odds.Event, env collect.Envelope) ([]odds.Event, error)

// Normalize calls f(dst, env).
func (f Func) Normalize(dst []odds.Event, env collect.Envelope) ([]odds.Event, error) {
	return f(dst, env)
}

// Registry routes envelopes to the normalizer registered for their provider
// and schema. It is itself a Normalizer. The zero Registry is empty and ready;
// it is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	routes map[route]Normalizer
}

type route struct{ provider, schema string }

// Register routes envelopes of provider and schema to n, replacing any
// earlier route. An empty schema matches every schema of provider that has
// no route of its own.
func (r *Registry) Register(provider, schema string, n Normalizer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.routes == nil {
		r.routes = make(map[route]Normalizer)
	}
	r.routes[route{provider, schema}] = n
}

// Lookup returns the normalizer for provider and schema.
func (r *Registry) Lookup(provider, schema string) (Normalizer, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if n, ok := r.routes[route{provider, schema}]; ok {
		return n, true
	}
	n, ok := r.routes[route{provider, ""}]
	return n, ok
}

// Normalize hands env to the normalizer registered for it, or returns an
// error wrapping [ErrUnknownSchema].
func (r *Registry) Normalize(dst []odds.Event, env collect.Envelope) ([]odds.Event, error) {
	n, ok := r.Lookup(env.Provider, env.Schema)
	if !ok {
		return dst, fmt.Errorf("%w: provider %q schema %q", ErrUnknownSchema, env.Provider, env.Schema)
	}
	return n.Normalize(dst, env)
}
