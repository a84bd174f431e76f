package redissink

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oddsflow/oddsflow/internal/testenv"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/oddsflow/oddsflow/sink/sinktest"
	"github.com/redis/go-redis/v9"
)

func client(t testing.TB) *redis.Client {
	t.Helper()
	addr := testenv.Lookup(t, testenv.RedisVar)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		testenv.Unavailable(t, "redis at %s: %v", addr, err)
	}
	return c
}

var prefixes atomic.Int64

func fresh(t testing.TB, c redis.UniversalClient, cfg Config) *Sink {
	cfg.Prefix = fmt.Sprintf("test:%d:%d:", time.Now().UnixNano(), prefixes.Add(1))
	return New(c, cfg)
}

// readAll returns every cached event under the sink's prefix.
func readAll(t testing.TB, s *Sink) []odds.Event {
	t.Helper()
	ctx := context.Background()
	var out []odds.Event
	iter := s.client.Scan(ctx, 0, s.cfg.Prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		evs, err := s.Latest(ctx, strings.TrimPrefix(key, s.cfg.Prefix))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConformance(t *testing.T) {
	c := client(t)
	sinktest.Run(t, sinktest.Harness{
		New:        func(t *testing.T) sink.Sink { return fresh(t, c, Config{}) },
		Read:       func(t *testing.T, s sink.Sink) []odds.Event { return readAll(t, s.(*Sink)) },
		Latest:     true,
		Idempotent: true,
	})
}

func at(sec int64) time.Time { return time.Unix(1795000000+sec, 0).UTC() }

func quote(price string, seq uint64, t time.Time) odds.Event {
	p, err := odds.Parse(price)
	if err != nil {
		panic(err)
	}
	var h odds.Hasher
	h.AddString(price)
	h.AddUint64(seq)
	h.AddUint64(uint64(t.UnixNano()))
	return odds.Event{ID: h.Sum(), Provider: "pinnacle", Market: "nfl-2026-00042:h2h", Selection: "home", Price: p, Seq: seq, SourceTime: t}
}

// An older update never overwrites a newer one, by sequence when both have
// one, else by provider time.
func TestOrderGuard(t *testing.T) {
	ctx := context.Background()
	s := fresh(t, client(t), Config{TTL: time.Minute})
	steps := []struct {
		e    odds.Event
		want string // the cached price afterwards
	}{
		{quote("2.0", 0, at(10)), "2"},
		{quote("2.1", 0, at(5)), "2"},    // older provider time: ignored
		{quote("2.2", 0, at(10)), "2.2"}, // equal time: applied
		{quote("2.3", 7, at(20)), "2.3"},
		{quote("2.4", 5, at(30)), "2.3"}, // both sequenced, 5 < 7: ignored though later in time
		{quote("2.5", 9, at(1)), "2.5"},  // both sequenced, 9 > 7: applied though earlier in time
	}
	for i, st := range steps {
		if err := s.Write(ctx, []odds.Event{st.e}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Latest(ctx, st.e.Market)
		if err != nil || len(got) != 1 || got[0].Price.String() != st.want {
			t.Fatalf("step %d: cached %v, %v; want price %s", i, got, err, st.want)
		}
	}
	// Within one batch the last in order wins too, and an older one after it does not.
	batch := []odds.Event{quote("3.0", 20, at(40)), quote("3.1", 21, at(41)), quote("2.9", 19, at(42))}
	s.Write(ctx, batch)
	if got, _ := s.Latest(ctx, batch[0].Market); got[0].Price.String() != "3.1" {
		t.Errorf("batch: cached %s, want 3.1", got[0].Price)
	}
	ttl := s.client.PTTL(ctx, s.Key(batch[0].Market)).Val()
	if ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL %v, want (0, 1m]", ttl)
	}
}

// Skipping the events a later one of the same field supersedes leaves
// exactly what applying every event one at a time leaves, whatever is
// stored: random batches over a few fields, with sequences present or
// absent, equal or out of order, and provider times too.
func TestSupersededKeepsTheOutcome(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	rnd := rand.New(rand.NewPCG(1, 2))
	random := func() odds.Event {
		e := quote(fmt.Sprintf("%d.%d", 2+rnd.IntN(8), rnd.IntN(10)), 0, at(int64(rnd.IntN(6))))
		e.Market = fmt.Sprintf("m%d", rnd.IntN(2))
		e.Selection = []string{"home", "away"}[rnd.IntN(2)]
		if rnd.IntN(3) > 0 {
			e.Seq = uint64(1 + rnd.IntN(6))
		}
		if rnd.IntN(8) == 0 {
			e.SourceTime = time.Time{}
		}
		return e
	}
	for round := range 200 {
		batched, single := fresh(t, c, Config{}), fresh(t, c, Config{})
		stored := []odds.Event{random(), random(), random()}
		batch := make([]odds.Event, 2+rnd.IntN(12))
		for i := range batch {
			batch[i] = random()
		}
		for _, e := range append(stored, batch...) {
			if err := single.Write(ctx, []odds.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		if err := batched.Write(ctx, stored); err != nil {
			t.Fatal(err)
		}
		if err := batched.Write(ctx, batch); err != nil {
			t.Fatal(err)
		}
		byField := func(evs []odds.Event) map[string]string {
			m := map[string]string{}
			for _, e := range evs {
				m[e.Market+"/"+Field(&e)] = fmt.Sprintf("%s seq %d at %v", e.Price, e.Seq, e.SourceTime)
			}
			return m
		}
		if diff := cmp.Diff(byField(readAll(t, single)), byField(readAll(t, batched))); diff != "" {
			t.Fatalf("round %d: one at a time vs batched (-+):\n%s\nstored %v\nbatch %v", round, diff, stored, batch)
		}
	}
}

func TestPublish(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	s := fresh(t, c, Config{Publish: true})
	e := quote("1.91", 1, at(0))
	sub := c.Subscribe(ctx, s.Channel(e.Market))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription is confirmed
		t.Fatal(err)
	}
	stale := quote("1.80", 0, at(-10)) // an older one: not applied, not published
	stale.Seq = 0
	if err := s.Write(ctx, []odds.Event{e, stale}); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got odds.Event
	if err := got.UnmarshalJSON([]byte(msg.Payload)); err != nil || got.ID != e.ID {
		t.Fatalf("published %s, %v", msg.Payload, err)
	}
	// Only one message: publish a marker and expect it next.
	c.Publish(ctx, s.Channel(e.Market), "marker")
	if msg, _ := sub.ReceiveMessage(ctx); msg.Payload != "marker" {
		t.Errorf("an ignored update was published: %s", msg.Payload)
	}
}

// server runs a redis-server of the test's own, so the test can stop it.
type server struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startServer(t *testing.T, port int) *server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Unavailable(t, "redis-server is not installed")
	}
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, port: port, cmd: cmd}
	t.Cleanup(s.stop)
	// Ready when it says so; the rest of its log is drained.
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if strings.Contains(lines.Text(), "Ready to accept connections") {
			go io.Copy(io.Discard, out)
			return s
		}
	}
	t.Fatalf("redis-server on port %d exited before it was ready", port)
	return nil
}

func (s *server) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

func (s *server) stop() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// Redis stopped for a while under load: writes are retried until it is
// back, nothing is dead-lettered, and the cache converges to the latest
// prices.
func TestRedisOutage(t *testing.T) {
	srv := startServer(t, 0)
	c := redis.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	s := fresh(t, c, Config{})
	var retries atomic.Int64
	retried := make(chan struct{}, 1)
	dlq := &sink.Memory{}
	b := sink.NewBatcher(sink.Retry(sink.RetryConfig{Initial: 10 * time.Millisecond, Max: 200 * time.Millisecond, DeadLetter: dlq,
		Hooks: sink.Hooks{Retried: func(int, time.Duration, error) {
			retries.Add(1)
			select {
			case retried <- struct{}{}:
			default:
			}
		}}})(s), sink.BatcherConfig{MaxEvents: 500, Adaptive: true})
	ctx := context.Background()
	const markets, rounds = 200, 10
	var all []odds.Event
	for r := range rounds {
		all = append(all, sinktest.Events(r*markets*4, markets*4, markets)...)
	}
	half := len(all) / 2
	if err := b.Write(ctx, all[:half]); err != nil {
		t.Fatal(err)
	}
	b.Flush(ctx)
	srv.stop() // Redis goes away, with everything it held
	produced := make(chan error, 1)
	go func() { produced <- b.Write(ctx, all[half:]) }()
	for range 3 {
		<-retried
	}
	startServer(t, srv.port) // back, empty
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(dlq.Letters()) != 0 {
		t.Fatalf("%d dead letters", len(dlq.Letters()))
	}
	// Every key of the second half is cached with its latest price.
	got := map[string]odds.Event{}
	for _, e := range readAll(t, s) {
		got[e.Market+"|"+Field(&e)] = e
	}
	want := map[string]odds.Event{}
	for _, e := range all[half:] {
		want[e.Market+"|"+Field(&e)] = e
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g.ID != w.ID {
			t.Fatalf("%s: cached %v, want the latest %s (seq %d)", k, g.ID, w.ID, w.Seq)
		}
	}
	t.Logf("%d updates, %d keys, %d retries during the outage, 0 dead letters", len(all), len(want), retries.Load())
}

// BenchmarkWrite measures updates/s through the sink with the order guard,
// and in the same run redis-benchmark's pipelined HSET (-P 16) against the
// same server, the ceiling it is compared with.
// BenchmarkWrite writes batches of 1,000 events over 200 markets, five
// updates a market: from one goroutine, and from one per core (GOMAXPROCS),
// as a pipeline's workers call their sink. Each writer writes its own
// batches; the order guard sees them all. In "repeats" the five are one
// selection's successive prices, and all but the last are superseded before
// they reach Redis; in "distinct" they are five selections, and all reach
// it. Beside each figure is the ceiling, redis-benchmark's pipelined HSET
// against the same server (run once, first), and the ratio.
func BenchmarkWrite(b *testing.B) {
	c := client(b)
	ctx := context.Background()
	ceiling := redisBenchmarkHSET(b, c.Options().Addr)
	const n, markets = 1000, 200
	for _, shape := range []string{"repeats", "distinct"} {
		batches := make([][]odds.Event, 64)
		for i := range batches {
			batches[i] = sinktest.Events(i*n, n, markets)
			if shape == "distinct" {
				for k := range batches[i] {
					batches[i][k].Selection = fmt.Sprintf("runner-%d", k/markets)
				}
			}
		}
		for _, writers := range []int{1, runtime.GOMAXPROCS(0)} {
			b.Run(fmt.Sprintf("%s/writers-%d", shape, writers), func(b *testing.B) {
				s := fresh(b, c, Config{})
				var next atomic.Int64
				write := func() error { return s.Write(ctx, batches[next.Add(1)%int64(len(batches))]) }
				b.ReportAllocs()
				if writers == 1 {
					for b.Loop() {
						if err := write(); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) { // GOMAXPROCS goroutines
						for pb.Next() {
							if err := write(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				rate := float64(next.Load()*n) / b.Elapsed().Seconds()
				b.ReportMetric(rate, "updates/s")
				if ceiling > 0 {
					b.ReportMetric(ceiling, "redis-benchmark-hset/s")
					b.ReportMetric(100*rate/ceiling, "%-of-ceiling")
				}
			})
		}
	}
}

// redisBenchmarkHSET runs redis-benchmark -P 16 -t hset against addr and
// returns its requests per second, or 0 if it is not installed.
func redisBenchmarkHSET(b *testing.B, addr string) float64 {
	path, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return 0
	}
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command(path, "-h", host, "-p", port, "-P", "16", "-t", "hset", "-n", "500000", "-q").CombinedOutput()
	m := regexp.MustCompile(`HSET: ([0-9.]+) requests per second`).FindSubmatch(out)
	if err != nil || m == nil {
		b.Fatalf("redis-benchmark: %v: %s", err, out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}
