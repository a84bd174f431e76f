package oddsflow_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oddsflow/oddsflow"
	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/normalize/generic"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
)

var t0 = time.Unix(1795000000, 0).UTC()

// feed makes n messages in the outcome-list shape over markets markets and
// providers providers, on three connections; every 10th is an exact re-send
// of the one before (on its connection), every 25th is malformed, and every
// 40th has one bad price of two.
func feed(n, markets, providers int, acked *atomic.Int64) []collect.Envelope {
	var out []collect.Envelope
	for i := range n {
		var payload string
		conn := fmt.Sprintf("conn%d", i%3)
		switch {
		case i%25 == 24:
			payload = `{"provider":"broken"`
		case i%10 == 9 && i > 0:
			payload, conn = string(out[len(out)-1].Payload), out[len(out)-1].Provider
		default:
			second := -105 - i%50
			if i%40 == 38 {
				second = 50 // out of range
			}
			payload = fmt.Sprintf(`{"provider":"book%d","market_id":"m%03d","timestamp":%d,"outcomes":[{"name":"home","price":%d},{"name":"away","price":%d}]}`,
				i%providers, i%markets, 1795000000000+int64(i), 100+i%300, second)
		}
		env := collect.Envelope{Provider: conn, Payload: []byte(payload), ReceivedAt: t0.Add(time.Duration(i) * time.Millisecond)}
		if acked != nil {
			env.Ack = func() { acked.Add(1) }
		}
		out = append(out, env)
	}
	return out
}

func registry() *normalize.Registry {
	var reg normalize.Registry
	for i := range 3 {
		reg.Register(fmt.Sprintf("conn%d", i), "", generic.NewOutcomes(generic.Config{}))
	}
	return &reg
}

func TestPipelineCountsEverything(t *testing.T) {
	var acked atomic.Int64
	envs := feed(2000, 50, 4, &acked)
	store, dlq := &sink.Memory{}, &sink.Memory{}
	p, err := oddsflow.New(oddsflow.Config{
		Source: collect.Slice(envs...), Normalizer: registry(), Deduper: dedupe.NewWindow(dedupe.WindowConfig{}),
		Sink: store, DeadLetter: dlq, Workers: 3, Now: func() time.Time { return t0.Add(3 * time.Second) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	t.Logf("%+v", s)
	if s.Envelopes != 2000 || acked.Load() != 2000 {
		t.Errorf("read %d envelopes, acknowledged %d", s.Envelopes, acked.Load())
	}
	if s.Events != s.Written+s.Duplicates+s.Late+s.DroppedByQuality {
		t.Errorf("events %d != written %d + duplicates %d + late %d + dropped %d", s.Events, s.Written, s.Duplicates, s.Late, s.DroppedByQuality)
	}
	// 80 malformed, 50 with a bad price (one dead letter each); the re-sends
	// of those are dead letters too.
	malformed, badPrice, resends := 80, 50, 0
	for i := range 2000 {
		if i%10 == 9 && i%25 != 24 && i%40 != 38 {
			resends++
			if (i-1)%25 == 24 {
				malformed++
			}
			if (i-1)%40 == 38 {
				badPrice++
			}
		}
	}
	if int(s.DeadLetters) != malformed+badPrice || len(dlq.Letters()) != malformed+badPrice {
		t.Errorf("%d dead letters (%d stored), want %d", s.DeadLetters, len(dlq.Letters()), malformed+badPrice)
	}
	if s.Duplicates == 0 || int(s.Written) != store.Len() {
		t.Errorf("duplicates %d, written %d, stored %d", s.Duplicates, s.Written, store.Len())
	}
	if s.Latency.Count != s.Written || s.Latency.Max <= 0 {
		t.Errorf("latency %+v", s.Latency)
	}
	for _, l := range dlq.Letters() {
		if l.Stage != "normalize" || len(l.Payload) == 0 || l.Reason == "" {
			t.Fatalf("letter %+v", l)
		}
	}
}

// Each market's events reach the sink in the order the source gave them,
// with several workers.
func TestPipelineKeepsMarketOrder(t *testing.T) {
	envs := feed(3000, 20, 3, nil)
	store := &sink.Memory{}
	p, _ := oddsflow.New(oddsflow.Config{Source: collect.Slice(envs...), Normalizer: registry(), Sink: store,
		DeadLetter: &sink.Memory{}, Workers: 4, MaxBatch: 7})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	last := map[string]time.Time{}
	for _, e := range store.Events() {
		k := e.Provider + e.Market + e.Selection
		if e.SourceTime.Before(last[k]) {
			t.Fatalf("%s: %v after %v", k, e.SourceTime, last[k])
		}
		last[k] = e.SourceTime
	}
}

// Envelopes of one provider and schema on different streams (the
// partitions of a Kafka topic) run on different workers: a stream that is
// held up does not hold up the others, and each stream keeps its order.
func TestPipelineRunsStreamsInParallel(t *testing.T) {
	const streams = 24 // all on one worker of two by chance: 1 in 2^23
	var envs []collect.Envelope
	for i := range 20 * streams {
		stream := uint32(i % streams)
		envs = append(envs, collect.Envelope{Provider: "conn0", Stream: stream, ReceivedAt: t0,
			Payload: fmt.Appendf(nil, `{"provider":"b","market_id":"s%d","timestamp":%d,"outcomes":[{"name":"home","price":-110}]}`,
				stream, 1795000000000+int64(i))})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	release := make(chan struct{})
	var released, gaveUp atomic.Bool
	outcomes := generic.NewOutcomes(generic.Config{})
	held := normalize.Func(func(dst []odds.Event, env collect.Envelope) ([]odds.Event, error) {
		if env.Stream == 0 {
			select { // until another stream's events are written, or the test gives up
			case <-release:
			case <-ctx.Done():
				gaveUp.Store(true)
			}
		}
		return outcomes.Normalize(dst, env)
	})
	store := &sink.Memory{}
	written := sink.Func(func(ctx context.Context, events []odds.Event) error {
		for _, e := range events {
			if e.Market != "s0" && released.CompareAndSwap(false, true) {
				close(release)
			}
		}
		return store.Write(ctx, events)
	})
	p, _ := oddsflow.New(oddsflow.Config{Source: collect.Slice(envs...), Normalizer: held, Sink: written,
		DeadLetter: &sink.Memory{}, Workers: 2, MaxBatch: 4})
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if gaveUp.Load() {
		t.Fatal("a held stream held up all the others: streams were not spread over the workers")
	}
	last := map[string]time.Time{}
	for _, e := range store.Events() {
		if e.SourceTime.Before(last[e.Market]) {
			t.Fatalf("stream %s: %v after %v", e.Market, e.SourceTime, last[e.Market])
		}
		last[e.Market] = e.SourceTime
	}
	if got := len(store.Events()); got != len(envs) {
		t.Errorf("%d events written, want %d", got, len(envs))
	}
}

// A sink that fails permanently stops the pipeline with its error, and the
// failed batch's envelopes are not acknowledged.
func TestPipelineSinkFailure(t *testing.T) {
	var acked atomic.Int64
	envs := feed(500, 10, 1, &acked)
	boom := errors.New("disk full")
	writes := 0
	failing := sink.Func(func(ctx context.Context, evs []odds.Event) error {
		writes++
		if writes == 3 {
			return boom
		}
		return nil
	})
	p, _ := oddsflow.New(oddsflow.Config{Source: collect.Slice(envs...), Normalizer: registry(), Sink: failing,
		DeadLetter: &sink.Memory{}, Workers: 1, MaxBatch: 10})
	err := p.Run(context.Background())
	if !errors.Is(err, boom) {
		t.Fatalf("Run: %v", err)
	}
	if a := acked.Load(); a == 0 || a >= 500 {
		t.Errorf("%d of 500 acknowledged: want those before the failure only", a)
	}
}

// When ctx ends, what was read is still delivered, through a Batcher that
// would otherwise linger an hour.
func TestPipelineDrainsOnCancel(t *testing.T) {
	push := collect.NewPush(collect.PushConfig{})
	envs := feed(100, 5, 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	src := collect.SourceFunc(func(c context.Context) (collect.Envelope, error) {
		if len(envs) > 0 {
			e := envs[0]
			envs = envs[1:]
			return e, nil
		}
		cancel() // the feed goes quiet and the operator stops the pipeline
		return push.Next(c)
	})
	store := &sink.Memory{}
	b := sink.NewBatcher(store, sink.BatcherConfig{Linger: time.Hour, MaxEvents: 1 << 20})
	p, _ := oddsflow.New(oddsflow.Config{Source: src, Normalizer: registry(), Sink: b, DeadLetter: &sink.Memory{}})
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Envelopes != 100 || uint64(store.Len()) != s.Written || s.Written == 0 {
		t.Errorf("stats %+v, stored %d", s, store.Len())
	}
}

func TestNewChecksConfig(t *testing.T) {
	if _, err := oddsflow.New(oddsflow.Config{Source: collect.Slice(), Normalizer: registry(), Sink: &sink.Memory{}}); err == nil {
		t.Error("a pipeline without dead letters was accepted")
	}
}

// With acknowledging envelopes, a buffering sink is flushed before the
// acknowledgement: nothing acknowledged is only in a queue.
func TestPipelineFlushesBeforeAck(t *testing.T) {
	var acked atomic.Int64
	store := &sink.Memory{}
	b := sink.NewBatcher(store, sink.BatcherConfig{Linger: time.Hour, MaxEvents: 1 << 20})
	defer b.Close(context.Background())
	var atAck []int
	envs := feed(50, 5, 1, nil)
	for i := range envs {
		envs[i].Ack = func() {
			acked.Add(1)
			atAck = append(atAck, store.Len())
		}
	}
	p, _ := oddsflow.New(oddsflow.Config{Source: collect.Slice(envs...), Normalizer: registry(), Sink: b,
		DeadLetter: &sink.Memory{}, Workers: 1})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if acked.Load() != 50 || atAck[0] == 0 {
		t.Fatalf("acknowledged %d, the first when %d events were stored", acked.Load(), atAck[0])
	}
}

// The pipeline releases each envelope once, after normalizing it, and its
// dead letters keep the payload as received even when the collector reuses
// the memory at once (here, scribbles over it).
func TestPipelineReleasesEachEnvelope(t *testing.T) {
	run := func(envs []collect.Envelope) (*sink.Memory, *sink.Memory) {
		store, dlq := &sink.Memory{}, &sink.Memory{}
		p, err := oddsflow.New(oddsflow.Config{Source: collect.Slice(envs...), Normalizer: registry(),
			Deduper: dedupe.NewWindow(dedupe.WindowConfig{}), Sink: store, DeadLetter: dlq, Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return store, dlq
	}
	wantStore, wantDLQ := run(feed(1000, 20, 3, nil))
	envs := feed(1000, 20, 3, nil)
	released := make([]atomic.Int32, len(envs))
	for i := range envs {
		payload := envs[i].Payload
		envs[i].Release = func() {
			released[i].Add(1)
			for j := range payload {
				payload[j] = 'X'
			}
		}
	}
	store, dlq := run(envs)
	for i := range released {
		if n := released[i].Load(); n != 1 {
			t.Fatalf("envelope %d released %d times", i, n)
		}
	}
	lines := func(m *sink.Memory) []string {
		var out []string
		for _, e := range m.Events() {
			out = append(out, string(e.AppendJSON(nil)))
		}
		slices.Sort(out) // the workers interleave markets differently each run
		return out
	}
	if diff := cmp.Diff(lines(wantStore), lines(store)); diff != "" || wantStore.Len() == 0 {
		t.Errorf("written events differ (-without release +with):\n%s", diff)
	}
	payloads := func(m *sink.Memory) []string {
		var out []string
		for _, l := range m.Letters() {
			out = append(out, string(l.Payload))
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(payloads(wantDLQ), payloads(dlq)); diff != "" || len(payloads(dlq)) == 0 {
		t.Errorf("dead letters' payloads differ (-without release +with):\n%s", diff)
	}
}
