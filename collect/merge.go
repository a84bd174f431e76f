package collect

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Merged reads several sources at once as one: see [Merge].
type Merged struct {
	sources []Source
	out     chan Envelope
	start   sync.Once
	ctx     context.Context // the readers'; canceled by Close or a failing source
	stop    context.CancelFunc
	done    chan struct{} // closed once every reader has returned

	mu     sync.Mutex
	err    error // the first error of a source other than io.EOF
	closed bool
}

// Merge returns a Source that reads all of sources at once, a goroutine
// each, and returns their envelopes as they arrive: several connections to a
// feed, or several feeds, as one pipeline's input. Each source's envelopes
// keep their order.
//
// The sources' streams stay apart: an envelope of sources[i] gets Stream
// Stream×len(sources)+i (modulo 2^32), so a source that is one stream
// becomes stream i, and a pipeline runs the sources on different workers,
// in parallel, as it would the partitions of a Kafka topic.
//
// Next returns io.EOF once every source has ended with io.EOF, and
// otherwise the first error a source returns, after the envelopes read
// before it; the other sources are then no longer read. Close stops the
// reading; closing the sources themselves is the caller's part.
func Merge(sources ...Source) *Merged {
	ctx, stop := context.WithCancel(context.Background())
	return &Merged{
		sources: sources,
		out:     make(chan Envelope, 64*len(sources)),
		ctx:     ctx,
		stop:    stop,
		done:    make(chan struct{}),
	}
}

// Next implements [Source]. The reading starts with the first call.
func (m *Merged) Next(ctx context.Context) (Envelope, error) {
	m.start.Do(m.read)
	select {
	case env := <-m.out:
		return env, nil
	case <-ctx.Done():
		return Envelope{}, ctx.Err()
	case <-m.done:
	}
	// Every reader has returned, and what they read is in out.
	select {
	case env := <-m.out:
		return env, nil
	default:
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.err != nil:
		return Envelope{}, m.err
	case m.closed:
		return Envelope{}, ErrClosed
	}
	return Envelope{}, io.EOF
}

// read starts a reader for each source.
func (m *Merged) read() {
	var wg sync.WaitGroup
	n := uint32(len(m.sources))
	for i, src := range m.sources {
		wg.Go(func() {
			for {
				env, err := src.Next(m.ctx)
				if err != nil {
					m.fail(err)
					return
				}
				env.Stream = env.Stream*n + uint32(i)
				select {
				case m.out <- env:
				case <-m.ctx.Done():
					return // closed, or another source failed: env is not delivered
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(m.done)
	}()
}

// fail records the error that ended a reader and, unless it is the end of
// its source, stops the others.
func (m *Merged) fail(err error) {
	if errors.Is(err, io.EOF) || m.ctx.Err() != nil {
		return // this source is done, or the merge was stopped
	}
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.mu.Unlock()
	m.stop()
}

// Close stops reading the sources and waits for the readers to return. An
// envelope a reader holds then is not delivered (and not acknowledged, so a
// source that redelivers will). Next then returns what was read before, and
// ErrClosed.
func (m *Merged) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.start.Do(func() { close(m.done) }) // never started: nothing to stop
	m.stop()
	<-m.done
	return nil
}
