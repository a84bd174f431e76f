// Package dedupe drops events that were already seen within a sliding window.
//
// Providers re-send updates, collectors resume with overlap, and at-least-once
// delivery replays what was not acknowledged; all of these reach the pipeline
// as events with an [odds.ID] seen before. A [Deduper] removes them.
// [Window] is the in-memory implementation, for one process; the
// redisdedupe module shares a window between processes.
package dedupe

import (
	"context"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

// Deduper removes events whose ID was already seen within its window.
//
// Dedupe returns the events of batch that are new, in their order, reusing
// batch's array, and records them as seen. A duplicate within batch is
// dropped too. On error the Deduper has not decided, and the caller chooses
// to pass the batch on or to fail. It must be safe for concurrent use.
type Deduper interface {
	Dedupe(ctx context.Context, batch []odds.Event) ([]odds.Event, error)
}

// TimeSource says which of an event's times places it in the window.
type TimeSource uint8

const (
	// ReceiveTime places events by [odds.Event.ReceivedAt]: the window is
	// "the last N minutes of what we received". The default.
	ReceiveTime TimeSource = iota
	// SourceTime places events by [odds.Event.SourceTime], the provider's
	// clock, so a replay of old data dedupes as it did live.
	SourceTime
)

// At returns the time of e that src names, falling back to the other when
// that one is zero.
func (src TimeSource) At(e *odds.Event) time.Time {
	t, other := e.ReceivedAt, e.SourceTime
	if src == SourceTime {
		t, other = other, t
	}
	if t.IsZero() {
		return other
	}
	return t
}
