// Command quickstart runs a whole oddsflow pipeline on embedded defaults,
// with no server and no network beyond loopback.
//
// It starts a simulated provider (a WebSocket server in this process that
// sends American-odds updates for a few hundred markets, with re-sends and
// the occasional malformed message), collects its feed (over -streams
// connections, each its share of the games, merged), normalizes it,
// drops duplicates, and writes every event to a JSONL file and the latest
// price of each selection to an in-memory hot cache. It prints a progress
// line every second and a table at the end.
//
//	go run ./examples/quickstart                     # 10 seconds
//	go run ./examples/quickstart -duration 1m -rate 50000 -markets 500
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"time"

	"github.com/oddsflow/oddsflow"
	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/examples/internal/simfeed"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/normalize/generic"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
)

type options struct {
	duration time.Duration
	rate     int
	markets  int
	streams  int
	out      string
	quiet    bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to run")
	flag.IntVar(&o.rate, "rate", 5000, "messages per second from the simulated provider")
	flag.IntVar(&o.markets, "markets", 300, "markets the simulated provider quotes")
	flag.IntVar(&o.streams, "streams", 1, "WebSocket connections to the feed, each quoting its share of the games")
	flag.StringVar(&o.out, "out", filepath.Join(os.TempDir(), "oddsflow-quickstart.jsonl"), `JSONL file of the events ("": keep them in memory only)`)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run runs the pipeline for o.duration (or until ctx ends) and reports to w.
func run(ctx context.Context, o options, w io.Writer) (result, error) {
	o.streams = max(o.streams, 1)
	provider, err := simfeed.Start(max(o.rate/o.streams, 1), o.markets)
	if err != nil {
		return result{}, err
	}
	defer provider.Close()

	cache := newHotCache()
	var out sink.Sink = cache // without a file, the events are counted by the pipeline only
	if o.out != "" {
		file, err := os.Create(o.out)
		if err != nil {
			return result{}, err
		}
		out = sink.Multi(sink.NewJSONL(file), cache) // the JSONL sink closes the file on Close
	}
	deadLetters := &sink.Memory{}

	var reg normalize.Registry
	reg.Register("simbook", "", generic.NewOutcomes(generic.Config{}))
	// The feed comes over o.streams connections, each subscribed to its
	// share of the games, as a busy feed may be split. Merged, each is its
	// own ordered stream, and the pipeline's workers take them in parallel.
	var conns []collect.Source
	for i := range o.streams {
		ws := collect.NewWebSocket(collect.WebSocketConfig{
			URL: provider.URL, Provider: "simbook", Schema: "outcomes-v1",
			Handshake: func(context.Context, collect.Position) ([][]byte, error) {
				return [][]byte{fmt.Appendf(nil, `{"op":"subscribe","markets":"*","part":%d,"of":%d}`, i, o.streams)}, nil
			},
		})
		defer ws.Close()
		conns = append(conns, ws)
	}
	var feed collect.Source = conns[0]
	if len(conns) > 1 {
		merged := collect.Merge(conns...)
		defer merged.Close() // first: it stops reading the connections
		feed = merged
	}

	p, err := oddsflow.New(oddsflow.Config{
		Source:     feed,
		Normalizer: &reg,
		Sequencer:  &normalize.Sequencer{},
		// The simulated provider re-sends the message it has just sent. 256K
		// IDs (26 s of events at the default rate, 0.6 s at 200K msgs/s) are
		// 10 MiB; a million (40 MiB, the default bound) is a table far larger
		// than the caches, whose random reads evict the rest of the pipeline's
		// tables: at 200K msgs/s it doubled the p99 latency.
		Deduper:    dedupe.NewWindow(dedupe.WindowConfig{Window: time.Minute, MaxKeys: 1 << 18}),
		Sink:       out,
		DeadLetter: deadLetters,
		// An event is acknowledged when its whole batch is written, so a
		// batch's length is added to the latency of its first events. The
		// hot cache and the file take a write a batch at no fixed cost, so
		// short batches cost nothing here; after a pause, when the default
		// 1024 would let one batch take a millisecond, they keep the
		// acknowledgements coming.
		MaxBatch: 128,
	})
	if err != nil {
		return result{}, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	end := time.After(o.duration)

	fmt.Fprintf(w, "simulated provider at %s: %d msgs/s over %d markets; events to %s\n", provider.URL, o.rate, o.markets, o.out)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case <-tick.C:
			if !o.quiet {
				s := p.Stats()
				fmt.Fprintf(w, "%3.0fs  in %8d  out %8d  duplicates %6d  dead letters %4d  p50 %8s  p99 %8s\n",
					time.Since(start).Seconds(), s.Events, s.Written, s.Duplicates, s.DeadLetters,
					s.Latency.P50.Round(time.Microsecond), s.Latency.P99.Round(time.Microsecond))
			}
			continue
		case <-end:
			// The provider stops, and the pipeline reads all it sent before
			// it stops too, so that the table can show nothing was lost.
			provider.Stop()
			drain(p, provider.Sent(), 10*time.Second)
			cancel()
			continue
		case err = <-done:
		}
		break
	}
	if cerr := sink.Close(context.Background(), out); err == nil {
		err = cerr
	}
	if err != nil {
		return result{}, err
	}
	s := p.Stats()
	res := result{Stats: s, Selections: cache.Len(), Letters: len(deadLetters.Letters()), Sent: provider.Sent()}
	fmt.Fprintf(w, "\n%-28s %12s\n", "", "count")
	for _, row := range []struct {
		name string
		v    any
	}{
		{"messages sent", res.Sent},
		{"envelopes received", s.Envelopes},
		{"events normalized", s.Events},
		{"events written", s.Written},
		{"duplicates dropped", s.Duplicates},
		{"late updates dropped", s.Late},
		{"dead letters", s.DeadLetters},
		{"selections in the hot cache", res.Selections},
		{"latency p50", s.Latency.P50.Round(time.Microsecond)},
		{"latency p90", s.Latency.P90.Round(time.Microsecond)},
		{"latency p99", s.Latency.P99.Round(time.Microsecond)},
		{"latency p99.9", s.Latency.P999.Round(time.Microsecond)},
		{"latency max", s.Latency.Max.Round(time.Microsecond)},
	} {
		fmt.Fprintf(w, "%-28s %12v\n", row.name, row.v)
	}
	if n := len(deadLetters.Letters()); n > 0 {
		fmt.Fprintf(w, "\nfirst dead letter: %s\n", deadLetters.Letters()[0].Reason)
	}
	return res, nil
}

// drain waits, up to limit, until p has received sent envelopes.
func drain(p *oddsflow.Pipeline, sent int64, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for p.Stats().Envelopes < uint64(sent) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

type result struct {
	oddsflow.Stats
	Selections int
	Letters    int
	Sent       int64
}

// hotCache is a simple hot cache: the latest event per provider, market,
// selection and side, in memory. It keys them by a 128-bit hash of those
// fields, as events are keyed by their ID, in an open-addressing table of
// 16-byte slots that point into a slice of events. An update reads one
// cache line of the table where a Go map reads two, and at 400K updates a
// second, with the rest of the pipeline's tables competing for the caches,
// that line is usually a miss: this halved the cache's share of the work.
type hotCache struct {
	mu     sync.Mutex
	slots  []cacheSlot // a power of two, at most half full
	latest []odds.Event
}

// cacheSlot holds 96 bits of a key and the index of its event plus one (0:
// empty).
type cacheSlot struct {
	lo  uint64
	hi  uint32
	idx uint32
}

func newHotCache() *hotCache { return &hotCache{slots: make([]cacheSlot, 1024)} }

func (c *hotCache) Write(ctx context.Context, events []odds.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range events {
		e := &events[i]
		var h odds.Hasher
		h.AddString(e.Provider)
		h.AddString(e.Market)
		h.AddString(e.Selection)
		h.AddUint64(uint64(e.Side))
		key := h.Sum()
		if s := c.slot(key); s.idx != 0 {
			c.latest[s.idx-1] = *e
		} else {
			c.latest = append(c.latest, *e)
			*s = cacheSlot{lo: key.Lo, hi: uint32(key.Hi), idx: uint32(len(c.latest))}
			if 2*len(c.latest) > len(c.slots) {
				c.grow()
			}
		}
	}
	return nil
}

// slot returns key's slot, or the empty one where it belongs.
func (c *hotCache) slot(key odds.ID) *cacheSlot {
	mask := uint64(len(c.slots) - 1)
	for i := key.Lo & mask; ; i = (i + 1) & mask {
		if s := &c.slots[i]; s.idx == 0 || (s.lo == key.Lo && s.hi == uint32(key.Hi)) {
			return s
		}
	}
}

func (c *hotCache) grow() {
	old := c.slots
	c.slots = make([]cacheSlot, 2*len(old))
	for _, s := range old {
		if s.idx != 0 {
			*c.slot(odds.ID{Hi: uint64(s.hi), Lo: s.lo}) = s
		}
	}
}

func (c *hotCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.latest)
}
