package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

// BatcherConfig configures a [Batcher]. The zero value is usable.
type BatcherConfig struct {
	// MaxEvents is the most events in one write to the sink (default 1000).
	MaxEvents int
	// MaxBytes is the most estimated bytes in one write (default 1 MiB); an
	// event's estimate is its strings plus 160 bytes.
	MaxBytes int
	// Linger is how long the first event of a batch waits for company
	// before the batch is written anyway (default 5ms).
	Linger time.Duration
	// Adaptive writes as soon as the sink is idle instead of lingering: the
	// next batch is whatever arrived while the previous write ran (group
	// commit). Latency stays low at low rates and batches grow with load.
	Adaptive bool
	// QueueSize bounds the events queued (default 8 × MaxEvents), besides
	// those in the write in progress. A full queue blocks Write:
	// backpressure, never a drop.
	QueueSize int
	// Hooks reports batches, queue depth and blocked producers.
	Hooks Hooks
}

// Batcher is a Sink that accepts events into a bounded queue and writes them
// to another Sink in batches, from one goroutine, in the order accepted.
//
// Write returns once the events are queued; the sink's errors surface later.
// The first error the sink returns is sticky: every later Write, Flush and
// Close returns it, since events after it may depend on those that failed.
// Put [Retry] between the Batcher and the sink so that only what can never
// be delivered fails. Flush and Close return once everything accepted before
// them is written. It is safe for concurrent use.
type Batcher struct {
	sink Sink
	cfg  BatcherConfig

	mu       sync.Mutex
	queue    []odds.Event // accepted, not yet taken
	spare    []odds.Event // the buffer the writer hands back
	queued   uint64       // events ever accepted
	written  uint64       // events ever taken and written, or failed
	flushing int          // Flush calls waiting: write without lingering
	err      error
	closed   bool
	progress chan struct{} // closed and replaced when written changes or room appears

	wake   chan struct{} // one pending signal for the writer
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

var (
	_ Sink    = (*Batcher)(nil)
	_ Flusher = (*Batcher)(nil)
	_ Closer  = (*Batcher)(nil)
)

// NewBatcher starts a Batcher writing to s. Close it to stop its goroutine.
func NewBatcher(s Sink, cfg BatcherConfig) *Batcher {
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = 1000
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 20
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 5 * time.Millisecond
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 8 * cfg.MaxEvents
	}
	b := &Batcher{
		sink:     s,
		cfg:      cfg,
		queue:    make([]odds.Event, 0, cfg.QueueSize),
		spare:    make([]odds.Event, 0, cfg.QueueSize),
		progress: make(chan struct{}),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	go b.run()
	return b
}

// Write queues copies of events, blocking while the queue is full until
// there is room or ctx ends. A batch larger than the queue is queued in parts.
func (b *Batcher) Write(ctx context.Context, events []odds.Event) error {
	var blockedSince time.Time
	for len(events) > 0 {
		b.mu.Lock()
		switch {
		case b.err != nil:
			err := b.err
			b.mu.Unlock()
			return err
		case b.closed:
			b.mu.Unlock()
			return ErrClosed
		}
		room := b.cfg.QueueSize - len(b.queue)
		if room == 0 {
			wait := b.progress
			b.mu.Unlock()
			if blockedSince.IsZero() {
				blockedSince = time.Now()
			}
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		n := min(room, len(events))
		b.queue = append(b.queue, events[:n]...)
		b.queued += uint64(n)
		depth := len(b.queue)
		b.mu.Unlock()
		events = events[n:]
		b.signal()
		if h := b.cfg.Hooks.QueueDepth; h != nil {
			h(depth)
		}
	}
	if h := b.cfg.Hooks.Blocked; h != nil && !blockedSince.IsZero() {
		h(time.Since(blockedSince))
	}
	return nil
}

func (b *Batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Flush returns once every event accepted before it was called has been
// written, or with the first write error, or when ctx ends.
func (b *Batcher) Flush(ctx context.Context) error {
	b.mu.Lock()
	target := b.queued
	b.flushing++
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.flushing--
		b.mu.Unlock()
	}()
	b.signal()
	if err := b.waitWritten(ctx, target); err != nil {
		return err
	}
	return Flush(ctx, b.sink)
}

func (b *Batcher) waitWritten(ctx context.Context, target uint64) error {
	for {
		b.mu.Lock()
		if b.err != nil {
			err := b.err
			b.mu.Unlock()
			return err
		}
		if b.written >= target {
			b.mu.Unlock()
			return nil
		}
		wait := b.progress
		b.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return fmt.Errorf("sink: batcher: %w with %d events not yet written", ctx.Err(), target-b.writtenNow())
		}
	}
}

func (b *Batcher) writtenNow() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.written
}

// Close stops accepting events, writes everything accepted, closes the sink
// if it is a [Closer], and stops the goroutine. If ctx ends first, the write
// in progress is canceled and Close returns how many events were not written.
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		<-b.done
		return nil
	}
	b.closed = true
	target := b.queued
	b.flushing++ // no lingering from here on
	b.mu.Unlock()
	b.signal()
	err := b.waitWritten(ctx, target)
	b.cancel()
	<-b.done
	return errors.Join(err, Close(ctx, b.sink))
}

// run is the writer: it takes batches off the queue and writes them.
func (b *Batcher) run() {
	defer close(b.done)
	var linger *time.Timer
	for {
		b.mu.Lock()
		empty, closed := len(b.queue) == 0, b.closed
		b.mu.Unlock()
		if empty {
			if closed {
				return
			}
			select {
			case <-b.wake:
				continue
			case <-b.ctx.Done():
				return
			}
		}
		if !b.cfg.Adaptive && !b.ready() {
			// Linger from the first queued event, unless the batch fills or a flush asks.
			if linger == nil {
				linger = time.NewTimer(b.cfg.Linger)
			} else {
				linger.Reset(b.cfg.Linger)
			}
		wait:
			for !b.ready() {
				select {
				case <-b.wake:
				case <-linger.C:
					break wait
				case <-b.ctx.Done():
					return
				}
			}
			linger.Stop()
		}
		b.writeQueued()
	}
}

// ready reports whether a batch is full or someone is waiting for it.
func (b *Batcher) ready() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue) >= b.cfg.MaxEvents || b.flushing > 0 || b.closed
}

// writeQueued takes the whole queue and writes it in batches of at most
// MaxEvents and MaxBytes. Producers fill the other buffer meanwhile; the
// two swap, so a steady stream allocates nothing.
func (b *Batcher) writeQueued() {
	b.mu.Lock()
	buf := b.queue
	b.queue, b.spare = b.spare[:0], nil
	b.mu.Unlock()
	b.broadcast() // the queue has room again

	for batch := buf; len(batch) > 0; {
		n, size := 0, 0
		for n < len(batch) && n < b.cfg.MaxEvents {
			size += eventSize(&batch[n])
			if n > 0 && size > b.cfg.MaxBytes {
				break
			}
			n++
		}
		start := time.Now()
		err := b.sink.Write(b.ctx, batch[:n])
		if h := b.cfg.Hooks.BatchWritten; h != nil {
			h(n, time.Since(start), err)
		}
		b.mu.Lock()
		b.written += uint64(n)
		if err != nil && b.err == nil {
			b.err = fmt.Errorf("sink: batcher: writing %d events: %w", n, err)
		}
		depth := len(b.queue)
		b.mu.Unlock()
		b.broadcast()
		if h := b.cfg.Hooks.QueueDepth; h != nil {
			h(depth)
		}
		batch = batch[n:]
	}
	clear(buf) // drop references to the written events' strings
	b.mu.Lock()
	b.spare = buf[:0]
	b.mu.Unlock()
}

// broadcast wakes everyone waiting for progress.
func (b *Batcher) broadcast() {
	b.mu.Lock()
	close(b.progress)
	b.progress = make(chan struct{})
	b.mu.Unlock()
}

// eventSize estimates an event's encoded size, for MaxBytes.
func eventSize(e *odds.Event) int {
	return len(e.Provider) + len(e.Market) + len(e.Selection) + 160
}
