package sink

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/oddsflow/oddsflow/internal/backoff"
	"github.com/oddsflow/oddsflow/odds"
)

// RetryConfig configures [Retry]. The zero value retries with the default
// backoff until the context ends, and returns permanent errors.
type RetryConfig struct {
	// Initial, Max and Multiplier shape the delays: exponential growth with
	// full jitter (defaults 50ms, 5s, 2).
	Initial, Max time.Duration
	Multiplier   float64
	// MaxAttempts bounds the attempts per write (0: until ctx ends). A write
	// that runs out of attempts is treated as permanently failed.
	MaxAttempts int
	// Seed seeds the jitter, for deterministic tests (0: random).
	Seed uint64
	// DeadLetter receives the events of a write that failed permanently,
	// with the reason; Write then succeeds, since nothing was dropped. When
	// nil, Write returns the permanent error.
	DeadLetter DeadLetter
	// Hooks reports retries and dead letters.
	Hooks Hooks
}

// Retry returns a middleware that repeats writes that fail with a
// [Retryable] error, waiting a jittered exponential delay between attempts,
// and sends writes that fail permanently to cfg.DeadLetter. A canceled
// context ends the retries and returns its error: those events are neither
// delivered nor dead-lettered, and the caller still owns them.
func Retry(cfg RetryConfig) Middleware {
	if cfg.Initial <= 0 {
		cfg.Initial = 50 * time.Millisecond
	}
	if cfg.Max <= 0 {
		cfg.Max = 5 * time.Second
	}
	return func(s Sink) Sink { return &retry{next: s, cfg: cfg} }
}

type retry struct {
	next Sink
	cfg  RetryConfig
}

func (r *retry) Write(ctx context.Context, events []odds.Event) error {
	seed := r.cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	var b *backoff.Backoff // made on the first failure only
	for attempt := 1; ; attempt++ {
		err := r.next.Write(ctx, events)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("sink: retry: %w (last error: %v)", ctx.Err(), err)
		}
		if !IsRetryable(err) {
			return r.bury(ctx, events, err)
		}
		if r.cfg.MaxAttempts > 0 && attempt >= r.cfg.MaxAttempts {
			return r.bury(ctx, events, fmt.Errorf("gave up after %d attempts: %w", attempt, err))
		}
		if b == nil {
			b = backoff.New(backoff.Policy{Initial: r.cfg.Initial, Max: r.cfg.Max, Multiplier: r.cfg.Multiplier}, seed)
		}
		delay := b.Next()
		if h := r.cfg.Hooks.Retried; h != nil {
			h(attempt, delay, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("sink: retry: %w (last error: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// bury sends a permanently failed write to the dead letters, or returns the error.
func (r *retry) bury(ctx context.Context, events []odds.Event, reason error) error {
	if r.cfg.DeadLetter == nil {
		return fmt.Errorf("sink: permanent failure: %w", reason)
	}
	if err := r.cfg.DeadLetter.DeadLetter(ctx, Letter{Stage: "sink", Reason: reason.Error(), Err: reason, Events: events, At: time.Now()}); err != nil {
		return fmt.Errorf("sink: dead-lettering %d events failed: %w (reason: %v)", len(events), err, reason)
	}
	if h := r.cfg.Hooks.DeadLettered; h != nil {
		h(len(events), reason)
	}
	return nil
}

func (r *retry) Flush(ctx context.Context) error { return Flush(ctx, r.next) }
func (r *retry) Close(ctx context.Context) error { return Close(ctx, r.next) }
