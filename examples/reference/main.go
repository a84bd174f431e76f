// Command reference runs the full design oddsflow grew out of, against real
// servers:
//
//	WebSocket feed ─► collector ─► Kafka odds.raw
//	odds.raw ─► normalizers (consumer group "normalizers") ─► Kafka odds.normalized
//	odds.normalized ─► storage (consumer group "storage") ─► PostgreSQL/TimescaleDB + Redis hot cache
//
// Each stage is its own goroutine group, as it would be its own process;
// offsets are committed only after the next stage has the data, so a stage
// can be killed and restarted without loss. The feed defaults to the
// simulated provider of the quickstart.
//
//	go run ./examples/reference -kafka 127.0.0.1:19092 \
//	    -postgres postgres://postgres@127.0.0.1:5432/postgres -redis 127.0.0.1:6379 -duration 30s
//
// Flags can also come from the environment: ODDSFLOW_KAFKA, ODDSFLOW_POSTGRES_URL,
// ODDSFLOW_REDIS_ADDR. scripts/demo.sh starts all three on loopback and runs it.
//
// With -stage direct it runs the same stages in one pipeline, without the
// Kafka hops: the design for one machine, where a bus adds latency and no
// durability the collector's reconnect and resume do not already give.
//
//	WebSocket feed ─► collector ─► normalizer ─► PostgreSQL/TimescaleDB + Redis hot cache
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oddsflow/oddsflow"
	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/collect/kafkasource"
	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/examples/internal/simfeed"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/normalize/generic"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/oddsflow/oddsflow/sink/kafkasink"
	"github.com/oddsflow/oddsflow/sink/redissink"
	"github.com/oddsflow/oddsflow/sink/timescalesink"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

type options struct {
	kafka, postgres, redis, feed, stage string
	duration                            time.Duration
	rate, markets, streams              int
	table                               string
}

func main() {
	var o options
	flag.StringVar(&o.kafka, "kafka", env("ODDSFLOW_KAFKA", "127.0.0.1:19092"), "Kafka seed brokers, comma-separated")
	flag.StringVar(&o.postgres, "postgres", env("ODDSFLOW_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"), "PostgreSQL/TimescaleDB URL")
	flag.StringVar(&o.redis, "redis", env("ODDSFLOW_REDIS_ADDR", "127.0.0.1:6379"), "Redis address")
	flag.StringVar(&o.feed, "feed", "", "WebSocket feed URL (default: a simulated provider in this process)")
	flag.StringVar(&o.stage, "stage", "all", "stages to run, comma-separated: collector, normalizer, storage, or all; or direct (no Kafka), or audit")
	flag.StringVar(&o.table, "table", "odds_events", "table for the events")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long the collector runs; the other stages then drain")
	flag.IntVar(&o.rate, "rate", 5000, "messages per second from the simulated provider")
	flag.IntVar(&o.markets, "markets", 300, "markets the simulated provider quotes")
	flag.IntVar(&o.streams, "streams", 6, "WebSocket connections to the feed, each its own ordered stream (and Kafka key)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to `file`")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "reference:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(ctx, o); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "reference:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	stages := map[string]bool{}
	for _, s := range strings.Split(o.stage, ",") {
		stages[strings.TrimSpace(s)] = true
	}
	if stages["all"] {
		stages = map[string]bool{"collector": true, "normalizer": true, "storage": true}
	}
	seeds := kgo.SeedBrokers(strings.Split(o.kafka, ",")...)
	if stages["audit"] {
		return audit(ctx, seeds)
	}
	if stages["direct"] {
		_, err := direct(ctx, o)
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	// Downstream stages run until the collector is done and they have
	// caught up: then they are stopped.
	downCtx, stopDown := context.WithCancel(gctx)
	defer stopDown()
	var collected atomic.Int64
	collected.Store(-1)
	var normalized, stored *oddsflow.Pipeline
	// The collector starts once the consumers in this process have joined
	// their groups, as they would be running already in production: else
	// its first seconds of messages wait out the joins, and the latency
	// measured is that of a cold start.
	var joined []<-chan struct{}

	if stages["normalizer"] {
		onJoin, ch := firstAssignment()
		joined = append(joined, ch)
		p, closeDLQ, err := normalizer(o, seeds, onJoin)
		if err != nil {
			return err
		}
		defer closeDLQ()
		normalized = p
		g.Go(func() error { return p.Run(downCtx) })
	}
	if stages["storage"] {
		onJoin, ch := firstAssignment()
		joined = append(joined, ch)
		p, closeAll, err := storage(gctx, o, seeds, onJoin)
		if err != nil {
			return err
		}
		defer closeAll()
		stored = p
		g.Go(func() error { return p.Run(downCtx) })
	}
	if stages["collector"] {
		g.Go(func() error {
			for _, ch := range joined {
				select {
				case <-ch:
				case <-gctx.Done():
					return nil
				}
			}
			collectCtx, stopCollecting := context.WithTimeout(gctx, o.duration)
			defer stopCollecting()
			n, err := collector(collectCtx, o, seeds)
			collected.Store(n)
			fmt.Printf("collector: %d messages to odds.raw\n", n)
			return err
		})
	}
	// Progress, and the end: once this process's collector has stopped and
	// the downstream stages have made no progress for three seconds, they
	// are done. Without a collector here, a stage runs until signalled.
	g.Go(func() error {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var lastProgress uint64
		idle := 0
		for {
			select {
			case <-downCtx.Done():
				return nil
			case <-tick.C:
			}
			line := ""
			if normalized != nil {
				s := normalized.Stats()
				line += fmt.Sprintf("normalizer: %d envelopes, %d events, %d duplicates, %d dead letters  ", s.Envelopes, s.Events, s.Duplicates, s.DeadLetters)
			}
			if stored != nil {
				s := stored.Stats()
				line += fmt.Sprintf("storage: %d stored, p99 %v", s.Written, s.Latency.P99.Round(time.Microsecond))
			}
			fmt.Println(line)
			var progress uint64
			if normalized != nil {
				progress += normalized.Stats().Envelopes
			}
			if stored != nil {
				progress += stored.Stats().Written
			}
			if progress == lastProgress {
				idle++
			} else {
				idle = 0
			}
			lastProgress = progress
			if stages["collector"] && collected.Load() >= 0 && idle >= 3 {
				stopDown()
			}
		}
	})
	err := g.Wait()
	if normalized != nil {
		s := normalized.Stats()
		fmt.Printf("normalizer: %d envelopes, %d events, %d written, %d duplicates, %d dead letters\n", s.Envelopes, s.Events, s.Written, s.Duplicates, s.DeadLetters)
		l := s.Latency
		fmt.Printf("latency, WebSocket frame to odds.normalized: p50 %v p90 %v p99 %v p99.9 %v max %v\n", l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	if stored != nil {
		s := stored.Stats().Latency
		fmt.Printf("latency, WebSocket frame to PostgreSQL and Redis: p50 %v p90 %v p99 %v p99.9 %v max %v (%d events)\n",
			s.P50, s.P90, s.P99, s.P999, s.Max, s.Count)
	}
	fmt.Printf("peak RSS: %s\n", peakRSS())
	return err
}

// firstAssignment returns a consumer option and a channel that is closed
// the first time the consumer's group assigns it partitions.
func firstAssignment() (kgo.Opt, <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	return kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
		once.Do(func() { close(ch) })
	}), ch
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

// collector reads the feed over o.streams connections and produces every
// message to odds.raw. Each connection is its own stream: its messages keep
// their order on one partition.
func collector(ctx context.Context, o options, seeds kgo.Opt) (int64, error) {
	url, closeFeed, err := feedURL(o)
	if err != nil {
		return 0, err
	}
	defer closeFeed()
	// Each message is produced on its own, so a linger gathers them into
	// batches. 5 ms, not less: on the two-core machine that runs the whole
	// chain, fewer and larger produce requests cost the broker 40% less
	// CPU than at 1 ms, and the p99 to storage was lower in three runs of
	// three (35-100 ms against 39-222 ms).
	cl, err := kgo.NewClient(append(kafkasink.ProducerOpts(), seeds, kgo.ProducerLinger(5*time.Millisecond))...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	var failed atomic.Pointer[error]
	n := readFeed(ctx, o, url, func(env collect.Envelope) {
		cl.Produce(context.Background(), kafkasource.Record("odds.raw", env), func(_ *kgo.Record, err error) {
			if err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		})
	})
	if err := cl.Flush(context.Background()); err != nil {
		return n, err
	}
	if err := failed.Load(); err != nil {
		return n, *err
	}
	return n, nil
}

// feedURL returns the feed's address: o.feed, or a simulated provider's,
// which closeFeed stops.
func feedURL(o options) (url string, closeFeed func(), err error) {
	if o.feed != "" {
		return o.feed, func() {}, nil
	}
	feed, err := simfeed.Start(max(o.rate/max(o.streams, 1), 1), o.markets)
	if err != nil {
		return "", nil, err
	}
	return feed.URL, func() { feed.Close() }, nil
}

// readFeed reads the feed at url over o.streams connections until ctx ends,
// passes each message to deliver (from one goroutine per connection), and
// returns how many there were. Each connection is its own stream: its own
// Kafka key, so the streams spread over the partitions, and its own
// normalizer worker.
func readFeed(ctx context.Context, o options, url string, deliver func(collect.Envelope)) int64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	for i := range max(o.streams, 1) {
		wg.Go(func() {
			ws := collect.NewWebSocket(collect.WebSocketConfig{URL: url, Provider: "simbook", Schema: "outcomes-v1",
				Handshake: func(context.Context, collect.Position) ([][]byte, error) {
					return [][]byte{[]byte(`{"op":"subscribe"}`)}, nil
				}})
			defer ws.Close()
			for {
				env, err := ws.Next(ctx)
				if err != nil {
					return // ctx ended: the collector's run is over
				}
				n.Add(1)
				env.Stream = uint32(i)
				deliver(env)
			}
		})
	}
	wg.Wait()
	return n.Load()
}

// normalizer consumes odds.raw in a group, normalizes and dedupes, and
// produces canonical events to odds.normalized.
func normalizer(o options, seeds kgo.Opt, opts ...kgo.Opt) (*oddsflow.Pipeline, func(), error) {
	opts = append(opts, seeds, kgo.ConsumerGroup("normalizers"), kgo.ConsumeTopics("odds.raw"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// A member that dies (kill -9) is noticed in seconds, and its partitions move.
		kgo.SessionTimeout(6*time.Second), kgo.HeartbeatInterval(time.Second), kgo.AutoCommitInterval(time.Second))
	in, err := kgo.NewClient(append(kafkasource.ConsumerOpts(), opts...)...)
	if err != nil {
		return nil, nil, err
	}
	out, err := kgo.NewClient(append(kafkasink.ProducerOpts(), seeds)...)
	if err != nil {
		return nil, nil, err
	}
	var reg normalize.Registry
	reg.Register("simbook", "", generic.NewOutcomes(generic.Config{}))
	file, err := os.Create(os.TempDir() + "/oddsflow-reference-deadletters.jsonl")
	if err != nil {
		return nil, nil, err
	}
	dlq := sink.NewJSONL(file)
	p, err := oddsflow.New(oddsflow.Config{
		Source:     kafkasource.New(in),
		Normalizer: &reg,
		Deduper:    dedupe.NewWindow(dedupe.WindowConfig{}),
		Sink:       sink.Retry(sink.RetryConfig{})(kafkasink.New(out, "odds.normalized")),
		DeadLetter: dlq,
	})
	closeAll := func() {
		dlq.Close(context.Background())
		in.Close()
		out.Close()
	}
	return p, closeAll, err
}

// storage consumes odds.normalized in a group and writes to PostgreSQL and Redis.
func storage(ctx context.Context, o options, seeds kgo.Opt, opts ...kgo.Opt) (*oddsflow.Pipeline, func(), error) {
	opts = append(opts, seeds, kgo.ConsumerGroup("storage"), kgo.ConsumeTopics("odds.normalized"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	in, err := kgo.NewClient(append(kafkasource.ConsumerOpts(), opts...)...)
	if err != nil {
		return nil, nil, err
	}
	store, closeStore, err := stores(ctx, o)
	if err != nil {
		in.Close()
		return nil, nil, err
	}
	letters := &sink.Memory{}
	p, err := oddsflow.New(oddsflow.Config{
		Source:     kafkasource.New(in),
		Normalizer: normalize.Canonical,
		Sink:       store,
		DeadLetter: letters,
	})
	closeAll := func() {
		in.Close()
		closeStore()
		if n := len(letters.Letters()); n > 0 {
			fmt.Fprintln(os.Stderr, "storage: dead letters:", n, errors.New(letters.Letters()[0].Reason))
		}
	}
	return p, closeAll, err
}

// stores returns the sink that writes to PostgreSQL and Redis, each with
// retries, after making sure the table exists.
func stores(ctx context.Context, o options) (sink.Sink, func(), error) {
	pool, err := pgxpool.New(ctx, o.postgres)
	if err != nil {
		return nil, nil, err
	}
	ts := timescalesink.New(pool, timescalesink.Config{Table: o.table})
	if _, err := ts.EnsureSchema(ctx); err != nil {
		pool.Close()
		return nil, nil, err
	}
	rdb := redis.NewClient(&redis.Options{Addr: o.redis})
	cache := redissink.New(rdb, redissink.Config{Publish: true})
	retry := sink.Retry(sink.RetryConfig{MaxAttempts: 20})
	return sink.Multi(retry(ts), retry(cache)), func() { pool.Close(); rdb.Close() }, nil
}

// direct runs collector, normalizer and storage as one pipeline, with no
// Kafka between them, for o.duration; then it drains and reports.
func direct(ctx context.Context, o options) (oddsflow.Stats, error) {
	url, closeFeed, err := feedURL(o)
	if err != nil {
		return oddsflow.Stats{}, err
	}
	defer closeFeed()
	store, closeStore, err := stores(ctx, o)
	if err != nil {
		return oddsflow.Stats{}, err
	}
	defer closeStore()
	// The connections feed one queue, which the pipeline reads; it ends
	// with io.EOF once the collectors are done.
	ctx, cancel := context.WithCancel(ctx) // on return, no collector stays blocked
	defer cancel()
	feed := make(chan collect.Envelope, 1024)
	collectCtx, stopCollecting := context.WithTimeout(ctx, o.duration)
	defer stopCollecting()
	var collected atomic.Int64
	go func() {
		collected.Store(readFeed(collectCtx, o, url, func(env collect.Envelope) {
			select {
			case feed <- env:
			case <-ctx.Done():
			}
		}))
		close(feed)
	}()
	var reg normalize.Registry
	reg.Register("simbook", "", generic.NewOutcomes(generic.Config{}))
	letters := &sink.Memory{}
	p, err := oddsflow.New(oddsflow.Config{
		Source: collect.SourceFunc(func(ctx context.Context) (collect.Envelope, error) {
			select {
			case env, ok := <-feed:
				if !ok {
					return collect.Envelope{}, io.EOF
				}
				return env, nil
			case <-ctx.Done():
				return collect.Envelope{}, ctx.Err()
			}
		}),
		Normalizer: &reg,
		Deduper:    dedupe.NewWindow(dedupe.WindowConfig{}),
		Sink:       store,
		DeadLetter: letters,
	})
	if err != nil {
		return oddsflow.Stats{}, err
	}
	if err := p.Run(ctx); err != nil {
		return p.Stats(), err
	}
	s := p.Stats()
	fmt.Printf("direct: %d messages, %d events, %d written, %d duplicates, %d dead letters\n",
		collected.Load(), s.Events, s.Written, s.Duplicates, s.DeadLetters)
	l := s.Latency
	fmt.Printf("latency, WebSocket frame to PostgreSQL and Redis: p50 %v p90 %v p99 %v p99.9 %v max %v (%d events)\n",
		l.P50, l.P90, l.P99, l.P999, l.Max, l.Count)
	fmt.Printf("peak RSS: %s\n", peakRSS())
	return s, nil
}

// audit reads odds.raw from the start, normalizes and dedupes it in this
// process, and prints how many unique events it holds: what the storage
// stage must have stored, exactly once each.
func audit(ctx context.Context, seeds kgo.Opt) error {
	cl, err := kgo.NewClient(seeds, kgo.ConsumeTopics("odds.raw"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	var reg normalize.Registry
	reg.Register("simbook", "", generic.NewOutcomes(generic.Config{}))
	counted := &countSink{}
	auditCtx, stop := context.WithCancel(ctx)
	defer stop()
	p, err := oddsflow.New(oddsflow.Config{
		Source:     kafkasource.New(cl),
		Normalizer: &reg,
		Sink:       counted, // counts distinct IDs itself, with no window's bound
		DeadLetter: &sink.Memory{},
	})
	if err != nil {
		return err
	}
	go func() { // idle for three seconds: the topic is read
		last := uint64(0)
		for range time.Tick(3 * time.Second) {
			if n := p.Stats().Envelopes; n == last && n > 0 {
				stop()
				return
			} else {
				last = n
			}
		}
	}()
	if err := p.Run(auditCtx); err != nil {
		return err
	}
	s := p.Stats()
	fmt.Printf("audit: odds.raw holds %d messages, %d unique events\n", s.Envelopes, counted.count())
	return nil
}

// countSink counts distinct event IDs exactly: the audit must not depend on
// a window's bound.
type countSink struct {
	mu   sync.Mutex
	seen map[odds.ID]struct{}
}

func (c *countSink) Write(_ context.Context, events []odds.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[odds.ID]struct{})
	}
	for i := range events {
		c.seen[events[i].ID] = struct{}{}
	}
	return nil
}

func (c *countSink) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
