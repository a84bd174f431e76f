package oddsflow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/internal/hist"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"golang.org/x/sync/errgroup"
)

// Config assembles a [Pipeline]. Source, Normalizer, Sink and DeadLetter
// are required; the rest is optional.
type Config struct {
	// Source yields raw envelopes; the pipeline ends when it returns io.EOF.
	// Each envelope is released (see [collect.Envelope.Release]) once it is
	// normalized; its dead letter, if any, keeps a copy of the payload.
	Source collect.Source
	// Normalizer turns envelopes into events. A stateful one (betfair)
	// sees each stream's envelopes in order (see Workers).
	Normalizer normalize.Normalizer
	// Quality, when set, checks each event; QualityDrop sends failing
	// events to the dead letters instead of on.
	Quality     *normalize.Quality
	QualityDrop bool
	// Sequencer, when set, drops updates older than the last one applied
	// for their selection, and counts them as Late.
	Sequencer *normalize.Sequencer
	// Deduper, when set, drops events already seen.
	Deduper dedupe.Deduper
	// Sink receives the events, in batches; put a [sink.Batcher] or
	// [sink.Retry] in front of a remote one. Envelopes that carry an Ack are
	// acknowledged only after Write returned and, for a [sink.Flusher],
	// after Flush did.
	Sink sink.Sink
	// DeadLetter receives what could not be normalized, with the reason,
	// and events Quality dropped. Nothing is dropped without a record.
	DeadLetter sink.DeadLetter

	// Workers is how many normalizer workers run (default GOMAXPROCS).
	// Envelopes are routed to a worker by a hash of their provider, schema
	// and stream (a Kafka partition, say), so one stream, and with it each
	// of its markets, stays in order on one worker: a market's key is only
	// known once normalized, and a stateful normalizer must see its stream
	// in order anyway. Different streams run in parallel.
	Workers int
	// Buffer is each worker's queue of envelopes (default 1024).
	Buffer int
	// MaxBatch bounds the events a worker dedupes and writes at once
	// (default 1024); a worker takes whatever has queued, up to it.
	MaxBatch int
	// DrainTimeout bounds the flush after the context ends (default 30s).
	DrainTimeout time.Duration
	// Now is the clock latency is measured on (default time.Now).
	Now func() time.Time
	// Logger receives warnings (default: discarded).
	Logger *slog.Logger
}

// Stats counts what a pipeline did. Every event read is written, or
// counted as a duplicate, late, or dead-lettered:
// Events = Written + Duplicates + Late + DroppedByQuality.
type Stats struct {
	Envelopes        uint64 // read from the source
	DeadLetters      uint64 // envelopes that did not (wholly) normalize
	Events           uint64 // normalized
	Written          uint64 // acknowledged by the sink
	Duplicates       uint64 // dropped by the deduper
	Late             uint64 // dropped by the sequencer
	Flagged          uint64 // failed a quality check, passed on
	DroppedByQuality uint64 // failed a quality check, dead-lettered
	Latency          Latency
}

// Latency summarizes receive time to sink acknowledgement, per event.
type Latency struct {
	Count                    uint64
	P50, P90, P99, P999, Max time.Duration
}

// Pipeline runs Source → Normalizer → Quality → Sequencer → Deduper → Sink.
type Pipeline struct {
	cfg  Config
	seed maphash.Seed

	envelopes, deadLetters, events, written, duplicates, late, flagged, dropped atomic.Uint64

	mu   sync.Mutex
	hist []*hist.Histogram // one per worker
}

// New checks cfg and returns a Pipeline ready to Run.
func New(cfg Config) (*Pipeline, error) {
	switch {
	case cfg.Source == nil:
		return nil, errors.New("oddsflow: Config.Source is required")
	case cfg.Normalizer == nil:
		return nil, errors.New("oddsflow: Config.Normalizer is required")
	case cfg.Sink == nil:
		return nil, errors.New("oddsflow: Config.Sink is required")
	case cfg.DeadLetter == nil:
		return nil, errors.New("oddsflow: Config.DeadLetter is required: what cannot be normalized must go somewhere")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 1024
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1024
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Pipeline{cfg: cfg, seed: maphash.MakeSeed()}
	for range cfg.Workers {
		p.hist = append(p.hist, new(hist.Histogram))
	}
	return p, nil
}

// Run runs until the source ends (io.EOF) or ctx ends, then writes
// everything already read, flushes the sink, and returns. It returns nil on
// either ending; otherwise the first error (the source failing, the sink or
// the dead letters refusing after their own retries), after draining what
// it can.
func (p *Pipeline) Run(ctx context.Context) error {
	// Stages write with a context that outlives ctx, so an ending ctx stops
	// the reading but not the delivery of what was read.
	drainCtx, cancelDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDrain()
	defer context.AfterFunc(ctx, func() { time.AfterFunc(p.cfg.DrainTimeout, cancelDrain) })()

	g, gctx := errgroup.WithContext(drainCtx)
	queues := make([]chan collect.Envelope, p.cfg.Workers)
	for i := range queues {
		queues[i] = make(chan collect.Envelope, p.cfg.Buffer)
		g.Go(func() error { return p.work(gctx, i, queues[i]) })
	}
	g.Go(func() error {
		defer func() {
			for _, q := range queues {
				close(q)
			}
		}()
		return p.read(ctx, gctx, queues)
	})
	err := g.Wait()
	if ferr := sink.Flush(drainCtx, p.cfg.Sink); ferr != nil {
		err = errors.Join(err, fmt.Errorf("oddsflow: flushing the sink: %w", ferr))
	}
	return err
}

// read moves envelopes from the source to the workers until the source
// ends, ctx ends, or a worker fails (gctx).
func (p *Pipeline) read(ctx, gctx context.Context, queues []chan collect.Envelope) error {
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(gctx, cancel)() // a failing worker stops the reading
	for {
		env, err := p.cfg.Source.Next(readCtx)
		switch {
		case err == nil:
		case errors.Is(err, io.EOF), ctx.Err() != nil:
			return nil // the end, or stopped: what was read is delivered
		case gctx.Err() != nil:
			return nil // a worker failed; its error is the one to return
		default:
			return fmt.Errorf("oddsflow: source: %w", err)
		}
		p.envelopes.Add(1)
		h := maphash.Comparable(p.seed, stream{env.Provider, env.Schema, env.Stream})
		q := queues[h%uint64(len(queues))]
		select {
		case q <- env:
		case <-gctx.Done():
			return nil
		}
		if ctx.Err() != nil {
			return nil // stopped: a source that still returned data had it delivered first
		}
	}
}

// stream identifies an ordered stream of envelopes, which one worker takes.
type stream struct {
	provider, schema string
	stream           uint32
}

// work normalizes, checks, orders, dedupes and writes one worker's
// envelopes, a batch at a time: whatever has queued, up to MaxBatch events.
func (p *Pipeline) work(ctx context.Context, id int, q <-chan collect.Envelope) error {
	var (
		events  []odds.Event
		acks    []func()
		letters []sink.Letter
	)
	var err error
	for env := range q {
		events, acks, letters = events[:0], acks[:0], letters[:0]
		for {
			events, letters = p.normalize(events, letters, env)
			if env.Release != nil {
				env.Release()
			}
			if env.Ack != nil {
				acks = append(acks, env.Ack)
			}
			if len(events) >= p.cfg.MaxBatch {
				break
			}
			var ok bool
			select {
			case env, ok = <-q:
			default:
			}
			if !ok {
				break
			}
		}
		if p.cfg.Sequencer != nil { // the whole batch at once: its lookups overlap
			var late int
			events, late = p.cfg.Sequencer.Filter(events)
			p.late.Add(uint64(late))
		}
		if events, err = p.deliver(ctx, events, letters); err != nil {
			return err
		}
		if len(acks) > 0 {
			// An acknowledgement lets the source forget (a Kafka offset is
			// committed): a sink that buffers (a Batcher) must hold the
			// events first.
			if err := sink.Flush(ctx, p.cfg.Sink); err != nil {
				return fmt.Errorf("oddsflow: flushing the sink before acknowledging: %w", err)
			}
		}
		now := p.cfg.Now()
		p.mu.Lock()
		for i := range events {
			p.hist[id].Record(now.Sub(events[i].ReceivedAt))
		}
		p.mu.Unlock()
		for _, ack := range acks {
			ack()
		}
	}
	return nil
}

// normalize appends env's good events (checked) and its dead letters.
func (p *Pipeline) normalize(events []odds.Event, letters []sink.Letter, env collect.Envelope) ([]odds.Event, []sink.Letter) {
	start := len(events)
	events, err := p.cfg.Normalizer.Normalize(events, env)
	if err != nil {
		p.deadLetters.Add(1)
		letters = append(letters, sink.Letter{Stage: "normalize", Reason: err.Error(), Err: err,
			Provider: env.Provider, Schema: env.Schema, Payload: bytes.Clone(env.Payload), At: env.ReceivedAt}) // released before it is buried
	}
	p.events.Add(uint64(len(events) - start))
	kept := events[:start]
	for _, e := range events[start:] {
		if p.cfg.Quality != nil {
			if qerr := p.cfg.Quality.Check(&e); qerr != nil {
				if p.cfg.QualityDrop {
					p.dropped.Add(1)
					letters = append(letters, sink.Letter{Stage: "quality", Reason: qerr.Error(), Err: qerr,
						Provider: e.Provider, Events: []odds.Event{e}, At: e.ReceivedAt})
					continue
				}
				p.flagged.Add(1)
				p.cfg.Logger.Warn("data quality", "provider", e.Provider, "market", e.Market, "err", qerr)
			}
		}
		kept = append(kept, e)
	}
	return kept, letters
}

// deliver dedupes and writes events, and buries letters, before any of the
// batch's envelopes is acknowledged.
// It returns the events written.
func (p *Pipeline) deliver(ctx context.Context, events []odds.Event, letters []sink.Letter) ([]odds.Event, error) {
	if len(letters) > 0 {
		if err := p.cfg.DeadLetter.DeadLetter(ctx, letters...); err != nil {
			return nil, fmt.Errorf("oddsflow: dead letters: %w", err)
		}
	}
	if p.cfg.Deduper != nil && len(events) > 0 {
		n := len(events)
		var err error
		if events, err = p.cfg.Deduper.Dedupe(ctx, events); err != nil {
			return nil, fmt.Errorf("oddsflow: dedupe: %w", err)
		}
		p.duplicates.Add(uint64(n - len(events)))
	}
	if len(events) == 0 {
		return events, nil
	}
	if err := p.cfg.Sink.Write(ctx, events); err != nil {
		return nil, fmt.Errorf("oddsflow: sink: %w", err)
	}
	p.written.Add(uint64(len(events)))
	return events, nil
}

// Stats returns the counts so far; it is safe to call while Run runs.
func (p *Pipeline) Stats() Stats {
	s := Stats{
		Envelopes: p.envelopes.Load(), DeadLetters: p.deadLetters.Load(), Events: p.events.Load(),
		Written: p.written.Load(), Duplicates: p.duplicates.Load(), Late: p.late.Load(),
		Flagged: p.flagged.Load(), DroppedByQuality: p.dropped.Load(),
	}
	var all hist.Histogram
	p.mu.Lock()
	for _, h := range p.hist {
		all.Merge(h)
	}
	p.mu.Unlock()
	s.Latency = Latency{Count: all.Count(), P50: all.Quantile(0.5), P90: all.Quantile(0.9), P99: all.Quantile(0.99),
		P999: all.Quantile(0.999), Max: all.Max()}
	return s
}
