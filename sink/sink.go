// Package sink delivers canonical odds events to where they are kept, and
// never drops one without saying so.
//
// A [Sink] writes a batch of events or returns an error. Everything else is
// built around that one method: [Batcher] groups events by count, bytes and
// time behind a bounded queue; [Retry] retries what a sink marks
// [Retryable] and sends what it cannot deliver to a [DeadLetter]; [Multi]
// writes to several sinks at once; [Memory] and [JSONL] keep events in
// memory or a file. Adapters for Kafka, PostgreSQL/TimescaleDB and Redis are
// modules of their own, and all of them pass the conformance suite in
// sink/sinktest.
//
// A typical chain, outermost first:
//
//	b := sink.NewBatcher(sink.Retry(sink.RetryConfig{DeadLetter: dlq})(kafka), sink.BatcherConfig{})
//	defer b.Close(ctx)
package sink

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

// Sink delivers events.
//
// Write delivers every event of the batch or returns an error; after an
// error, any part of the batch may have been delivered, so sinks should make
// re-delivery harmless (every event carries its ID). Write must not retain
// or modify events after it returns. Implementations must be safe for
// concurrent use; an empty batch is not an error.
type Sink interface {
	Write(ctx context.Context, events []odds.Event) error
}

// Func adapts a function to [Sink].
type Func func(ctx context.Context, events []odds.Event) error

// Write calls f(ctx, events).
func (f Func) Write(ctx context.Context, events []odds.Event) error { return f(ctx, events) }

// Middleware wraps a Sink to add behaviour, such as [Retry].
type Middleware func(Sink) Sink

// Chain wraps s in mws; the first middleware is the outermost.
func Chain(s Sink, mws ...Middleware) Sink {
	for i := len(mws) - 1; i >= 0; i-- {
		s = mws[i](s)
	}
	return s
}

// Flusher is implemented by sinks that buffer: Flush returns once
// everything written before it is delivered.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Closer is implemented by sinks that hold resources: Close delivers what
// is buffered, then releases them. Write after Close returns [ErrClosed].
type Closer interface {
	Close(ctx context.Context) error
}

// Flush flushes s if it is a [Flusher].
func Flush(ctx context.Context, s Sink) error {
	if f, ok := s.(Flusher); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Close closes s if it is a [Closer].
func Close(ctx context.Context, s Sink) error {
	if c, ok := s.(Closer); ok {
		return c.Close(ctx)
	}
	return nil
}

// ErrClosed is returned by Write on a closed sink.
var ErrClosed = errors.New("sink: closed")

// errRetryable marks an error as worth retrying.
type errRetryable struct{ err error }

func (e errRetryable) Error() string { return e.err.Error() }
func (e errRetryable) Unwrap() error { return e.err }

// Retryable marks err as transient: [Retry] tries the write again. Sinks
// mark what a retry can fix (a connection lost, a leader moved, a timeout);
// an unmarked error is permanent and goes to the dead letters.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return errRetryable{err}
}

// IsRetryable reports whether err, or an error it wraps, was marked by
// [Retryable] or says it is temporary (a net.Error timeout, for instance).
func IsRetryable(err error) bool {
	var r errRetryable
	if errors.As(err, &r) {
		return true
	}
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && t.Temporary() {
		return true
	}
	var to interface{ Timeout() bool }
	return errors.As(err, &to) && to.Timeout()
}

// Hooks report what the sinks of this package do, for metrics. Every field
// is optional. Hooks are called synchronously on the delivery path, so they
// must be fast, must not block, and must be safe for concurrent use.
type Hooks struct {
	// BatchWritten follows every write a Batcher makes to its sink.
	BatchWritten func(events int, took time.Duration, err error)
	// QueueDepth reports a Batcher's queued events after each change.
	QueueDepth func(events int)
	// Blocked reports a producer that waited for room in a full queue.
	Blocked func(waited time.Duration)
	// Retried reports a failed attempt that Retry will repeat after delay.
	Retried func(attempt int, delay time.Duration, err error)
	// DeadLettered reports events Retry gave up on, with the reason.
	DeadLettered func(events int, reason error)
}

// Multi returns a Sink that writes every batch to all of sinks at once and
// returns their errors joined. To let one sink fail without failing the
// write, wrap it in [BestEffort]. Flush and Close reach every sink.
func Multi(sinks ...Sink) Sink {
	return multi(append([]Sink(nil), sinks...))
}

type multi []Sink

func (m multi) Write(ctx context.Context, events []odds.Event) error {
	return m.each(func(s Sink) error { return s.Write(ctx, events) })
}

func (m multi) Flush(ctx context.Context) error {
	return m.each(func(s Sink) error { return Flush(ctx, s) })
}

func (m multi) Close(ctx context.Context) error {
	return m.each(func(s Sink) error { return Close(ctx, s) })
}

func (m multi) each(f func(Sink) error) error {
	if len(m) == 1 {
		return f(m[0])
	}
	// The calling goroutine writes to the first sink itself: one goroutine
	// fewer to start and schedule per batch, and the caller works instead of
	// waiting.
	errs := make([]error, len(m))
	var wg sync.WaitGroup
	for i, s := range m[1:] {
		wg.Go(func() { errs[i+1] = f(s) })
	}
	errs[0] = f(m[0])
	wg.Wait()
	return errors.Join(errs...)
}

// BestEffort returns a Sink that writes to s but never fails: errors go to
// onError (which must not block) instead. Use it inside [Multi] for a sink
// whose failure should not stop the others, such as a live cache.
func BestEffort(s Sink, onError func(error)) Sink {
	return bestEffort{s, onError}
}

type bestEffort struct {
	s       Sink
	onError func(error)
}

func (b bestEffort) Write(ctx context.Context, events []odds.Event) error {
	b.report(b.s.Write(ctx, events))
	return ctx.Err()
}

func (b bestEffort) Flush(ctx context.Context) error {
	b.report(Flush(ctx, b.s))
	return nil
}

func (b bestEffort) Close(ctx context.Context) error {
	b.report(Close(ctx, b.s))
	return nil
}

func (b bestEffort) report(err error) {
	if err != nil && b.onError != nil {
		b.onError(err)
	}
}
