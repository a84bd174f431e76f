package sink

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/oddsflow/oddsflow/odds"
)

// Letter is something that could not be delivered, with the reason: raw
// input a normalizer refused (Payload), or events a sink refused (Events).
type Letter struct {
	// Stage names where it failed: "normalize", "quality", "sink".
	Stage string
	// Reason is the error's text; Err is the error itself, when at hand.
	Reason string
	Err    error
	// Provider and Schema describe raw input.
	Provider, Schema string
	// Payload is the raw input, exactly as received.
	Payload []byte
	// Events are the events that could not be written.
	Events []odds.Event
	// At is when the input was received, or when the write was given up.
	At time.Time
}

// DeadLetter keeps what could not be delivered, so that nothing is dropped
// without a record. DeadLetter must not retain letters' slices after it
// returns, and must be safe for concurrent use.
type DeadLetter interface {
	DeadLetter(ctx context.Context, letters ...Letter) error
}

// DeadLetterFunc adapts a function to [DeadLetter].
type DeadLetterFunc func(ctx context.Context, letters ...Letter) error

// DeadLetter calls f(ctx, letters...).
func (f DeadLetterFunc) DeadLetter(ctx context.Context, letters ...Letter) error {
	return f(ctx, letters...)
}

// letterJSON is a Letter's line in a JSONL dead-letter file.
type letterJSON struct {
	Stage    string            `json:"stage"`
	Reason   string            `json:"reason"`
	Provider string            `json:"provider,omitempty"`
	Schema   string            `json:"schema,omitempty"`
	Payload  *string           `json:"payload,omitempty"`
	Binary   []byte            `json:"payload_base64,omitempty"`
	Events   []json.RawMessage `json:"events,omitempty"`
	At       int64             `json:"at"`
}

// MarshalJSON encodes the letter for a dead-letter file: a text payload as
// a string, a binary one in base64, events in their canonical encoding.
func (l Letter) MarshalJSON() ([]byte, error) {
	v := letterJSON{Stage: l.Stage, Reason: l.Reason, Provider: l.Provider, Schema: l.Schema}
	if !l.At.IsZero() {
		v.At = l.At.UnixNano()
	}
	if l.Payload != nil {
		if isText(l.Payload) {
			s := string(l.Payload)
			v.Payload = &s
		} else {
			v.Binary = l.Payload
		}
	}
	for i := range l.Events {
		v.Events = append(v.Events, l.Events[i].AppendJSON(nil))
	}
	return json.Marshal(v)
}

// isText reports valid UTF-8 without control characters other than white
// space: a payload that reads back the same from a JSON string.
func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return utf8.Valid(b)
}
