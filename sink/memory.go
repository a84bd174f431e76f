package sink

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"slices"
	"sync"

	"github.com/oddsflow/oddsflow/odds"
)

// Memory keeps every event written to it, in order, and every dead letter.
// It is for tests and backtests. The zero Memory is ready to use and safe
// for concurrent use.
type Memory struct {
	mu      sync.Mutex
	events  []odds.Event
	letters []Letter
	closed  bool
}

var (
	_ Sink       = (*Memory)(nil)
	_ DeadLetter = (*Memory)(nil)
	_ Closer     = (*Memory)(nil)
)

// Write appends copies of events.
func (m *Memory) Write(ctx context.Context, events []odds.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.events = append(m.events, events...)
	return nil
}

// DeadLetter appends copies of letters.
func (m *Memory) DeadLetter(ctx context.Context, letters ...Letter) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range letters {
		l.Payload = slices.Clone(l.Payload)
		l.Events = slices.Clone(l.Events)
		m.letters = append(m.letters, l)
	}
	return nil
}

// Close makes later writes fail with [ErrClosed]; what was written stays readable.
func (m *Memory) Close(context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

// Events returns a copy of the events written so far, in order.
func (m *Memory) Events() []odds.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// Letters returns a copy of the dead letters so far, in order.
func (m *Memory) Letters() []Letter {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.letters)
}

// Len returns how many events were written.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

// JSONL writes one event per line in the canonical encoding of
// [odds.Event.AppendJSON] (fixed field order, exact decimals as strings).
// Each Write encodes its batch into a buffer and hands it to the writer in
// one call before returning, so an acknowledged batch is in the writer (for
// a file, in the operating system: call Sync on the file for power loss). It
// is safe for concurrent use; each batch's lines are contiguous.
type JSONL struct {
	mu     sync.Mutex
	w      io.Writer
	bw     *bufio.Writer
	line   []byte
	closed bool
}

var (
	_ Sink    = (*JSONL)(nil)
	_ Flusher = (*JSONL)(nil)
	_ Closer  = (*JSONL)(nil)
)

// NewJSONL returns a JSONL sink writing to w. Close closes w if it is an [io.Closer].
func NewJSONL(w io.Writer) *JSONL {
	return &JSONL{w: w, bw: bufio.NewWriterSize(w, 64<<10)}
}

// Write encodes events into the buffer.
func (j *JSONL) Write(ctx context.Context, events []odds.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	for i := range events {
		j.line = append(events[i].AppendJSON(j.line[:0]), '\n')
		if _, err := j.bw.Write(j.line); err != nil {
			return err
		}
	}
	return j.bw.Flush()
}

// DeadLetter writes each letter as one JSON line (see [Letter.MarshalJSON]).
func (j *JSONL) DeadLetter(ctx context.Context, letters ...Letter) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	for _, l := range letters {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		if _, err := j.bw.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return j.bw.Flush()
}

// Flush writes any buffered lines to the writer; Write and DeadLetter
// already do before they return.
func (j *JSONL) Flush(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.bw.Flush()
}

// Close flushes, then closes the writer if it is an [io.Closer].
func (j *JSONL) Close(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	err := j.bw.Flush()
	if c, ok := j.w.(io.Closer); ok {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
