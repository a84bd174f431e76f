package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

func evs(from, n int) []odds.Event {
	p, _ := odds.FromAmerican(-110)
	out := make([]odds.Event, n)
	for i := range out {
		var h odds.Hasher
		h.AddUint64(uint64(from + i))
		out[i] = odds.Event{ID: h.Sum(), Provider: "p", Market: fmt.Sprintf("m%d", (from+i)%3), Selection: "s", Price: p, Seq: uint64(from + i)}
	}
	return out
}

func seqs(events []odds.Event) []uint64 {
	out := make([]uint64, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

// recorder is a Sink that records each batch's size; gate, when set, holds
// every write until it is closed.
type recorder struct {
	Memory
	mu      sync.Mutex
	batches []int
	gate    chan struct{}
	fail    func(n int) error // the n-th write's error, from 0
	writes  int
}

func (r *recorder) Write(ctx context.Context, events []odds.Event) error {
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	n := r.writes
	r.writes++
	r.batches = append(r.batches, len(events))
	r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(n); err != nil {
			return err
		}
	}
	return r.Memory.Write(ctx, events)
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.batches...)
}

func TestBatcherLingerAndOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		rec := &recorder{}
		b := NewBatcher(rec, BatcherConfig{MaxEvents: 10, Linger: 20 * time.Millisecond})
		defer b.Close(ctx)
		b.Write(ctx, evs(0, 3))
		synctest.Wait()
		if rec.Len() != 0 {
			t.Fatalf("wrote %d events before the linger ran out", rec.Len())
		}
		time.Sleep(20 * time.Millisecond) // virtual time: the linger runs out
		synctest.Wait()
		if got := rec.sizes(); fmt.Sprint(got) != "[3]" {
			t.Fatalf("batches %v, want [3] after the linger", got)
		}
		// A full batch goes at once; the rest lingers.
		b.Write(ctx, evs(3, 25))
		synctest.Wait()
		if got := rec.sizes(); fmt.Sprint(got) != "[3 10 10 5]" && fmt.Sprint(got) != "[3 10 10]" {
			t.Fatalf("batches %v", got)
		}
		if err := b.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := seqs(rec.Events()); fmt.Sprint(got) != fmt.Sprint(seqs(evs(0, 28))) {
			t.Fatalf("order %v", got)
		}
	})
}

func TestBatcherAdaptive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		gate := make(chan struct{})
		rec := &recorder{gate: gate}
		b := NewBatcher(rec, BatcherConfig{MaxEvents: 100, Linger: time.Hour, Adaptive: true})
		b.Write(ctx, evs(0, 1))
		synctest.Wait() // the writer took the one event at once, no linger, and is blocked in the sink
		for i := 1; i < 50; i++ {
			b.Write(ctx, evs(i, 1))
		}
		close(gate) // the sink becomes idle: the next batch is all that arrived meanwhile
		if err := b.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rec.sizes(); fmt.Sprint(got) != "[1 49]" {
			t.Fatalf("batches %v, want [1 49] (group commit)", got)
		}
	})
}

func TestBatcherBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		gate := make(chan struct{})
		rec := &recorder{gate: gate}
		var blocked []time.Duration
		b := NewBatcher(rec, BatcherConfig{MaxEvents: 10, QueueSize: 20, Adaptive: true,
			Hooks: Hooks{Blocked: func(d time.Duration) { blocked = append(blocked, d) }}})
		b.Write(ctx, evs(0, 10)) // taken by the writer, which blocks in the sink
		synctest.Wait()
		b.Write(ctx, evs(10, 20)) // fills the queue
		done := make(chan error)
		go func() { done <- b.Write(ctx, evs(30, 5)) }()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("Write returned while the queue was full")
		default:
		}
		// A producer with a deadline gives up, and says so.
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := b.Write(short, evs(35, 1)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("blocked Write with a deadline: %v", err)
		}
		time.Sleep(time.Minute) // a long stall
		close(gate)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := b.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if rec.Len() != 35 {
			t.Fatalf("delivered %d events, want 35: nothing dropped", rec.Len())
		}
		if len(blocked) != 1 || blocked[0] < time.Minute {
			t.Errorf("Blocked hook saw %v", blocked)
		}
	})
}

func TestBatcherStickyErrorAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		boom := errors.New("boom")
		rec := &recorder{fail: func(n int) error {
			if n == 1 {
				return boom
			}
			return nil
		}}
		b := NewBatcher(rec, BatcherConfig{MaxEvents: 5})
		b.Write(ctx, evs(0, 5))
		if err := b.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		b.Write(ctx, evs(5, 5))
		if err := b.Flush(ctx); !errors.Is(err, boom) {
			t.Fatalf("Flush after a failed write: %v", err)
		}
		if err := b.Write(ctx, evs(10, 1)); !errors.Is(err, boom) {
			t.Fatalf("Write after a failed write: %v", err)
		}
		if err := b.Close(ctx); !errors.Is(err, boom) {
			t.Fatalf("Close: %v", err)
		}
		if err := b.Write(ctx, evs(10, 1)); err == nil {
			t.Fatal("Write after Close succeeded")
		}
	})
}

func TestBatcherCloseDeliversEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		mem := &Memory{}
		b := NewBatcher(mem, BatcherConfig{MaxEvents: 7, Linger: time.Hour})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 25 {
					b.Write(ctx, evs(w*1000+i*4, 4))
				}
			}()
		}
		wg.Wait()
		if err := b.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if mem.Len() != 400 {
			t.Fatalf("delivered %d, want 400", mem.Len())
		}
		if err := mem.Write(ctx, nil); !errors.Is(err, ErrClosed) {
			t.Errorf("Close did not close the sink: %v", err)
		}
	})
}

func TestRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		transient := Retryable(errors.New("leader moved"))
		rec := &recorder{fail: func(n int) error {
			if n < 3 {
				return transient
			}
			return nil
		}}
		var delays []time.Duration
		var attempts []int
		s := Retry(RetryConfig{Initial: 10 * time.Millisecond, Max: 25 * time.Millisecond, Seed: 1,
			Hooks: Hooks{Retried: func(a int, d time.Duration, err error) { attempts = append(attempts, a); delays = append(delays, d) }}})(rec)
		start := time.Now()
		if err := s.Write(ctx, evs(0, 3)); err != nil {
			t.Fatal(err)
		}
		if rec.Len() != 3 || fmt.Sprint(attempts) != "[1 2 3]" {
			t.Fatalf("delivered %d after attempts %v", rec.Len(), attempts)
		}
		var total time.Duration
		for i, d := range delays {
			ceiling := []time.Duration{10, 20, 25}[i] * time.Millisecond
			if d < 0 || d > ceiling {
				t.Errorf("delay %d = %v, outside [0, %v]", i, d, ceiling)
			}
			total += d
		}
		if waited := time.Since(start); waited != total {
			t.Errorf("waited %v, want the delays' sum %v", waited, total)
		}
	})
}

func TestRetryDeadLetters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		dlq := &Memory{}
		var buried int
		hooks := Hooks{DeadLettered: func(n int, err error) { buried += n }}
		permanent := errors.New("topic does not exist")
		s := Retry(RetryConfig{DeadLetter: dlq, Hooks: hooks})(Func(func(context.Context, []odds.Event) error { return permanent }))
		if err := s.Write(ctx, evs(0, 2)); err != nil {
			t.Fatalf("a dead-lettered write should succeed: %v", err)
		}
		letters := dlq.Letters()
		if len(letters) != 1 || len(letters[0].Events) != 2 || !errors.Is(letters[0].Err, permanent) || letters[0].Stage != "sink" {
			t.Fatalf("letters %+v", letters)
		}
		// Out of attempts: also dead-lettered, with the count in the reason.
		s = Retry(RetryConfig{DeadLetter: dlq, MaxAttempts: 3, Hooks: hooks})(Func(func(context.Context, []odds.Event) error {
			return Retryable(errors.New("timeout"))
		}))
		if err := s.Write(ctx, evs(2, 1)); err != nil {
			t.Fatal(err)
		}
		if l := dlq.Letters(); len(l) != 2 || !strings.Contains(l[1].Reason, "gave up after 3 attempts") {
			t.Fatalf("letters %+v", l)
		}
		if buried != 3 {
			t.Errorf("DeadLettered hook counted %d events, want 3", buried)
		}
		// Without a dead-letter sink the permanent error comes back.
		s = Retry(RetryConfig{})(Func(func(context.Context, []odds.Event) error { return permanent }))
		if err := s.Write(ctx, evs(0, 1)); !errors.Is(err, permanent) {
			t.Fatalf("error %v", err)
		}
		// Cancellation ends retrying: neither delivered nor dead-lettered.
		cctx, cancel := context.WithCancel(ctx)
		s = Retry(RetryConfig{DeadLetter: dlq})(Func(func(context.Context, []odds.Event) error {
			cancel()
			return Retryable(errors.New("down"))
		}))
		if err := s.Write(cctx, evs(0, 1)); !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v", err)
		}
		if len(dlq.Letters()) != 2 {
			t.Error("a canceled write was dead-lettered")
		}
	})
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

func TestIsRetryable(t *testing.T) {
	if !IsRetryable(fmt.Errorf("wrapped: %w", Retryable(errors.New("x")))) || !IsRetryable(timeoutErr{}) {
		t.Error("retryable errors not recognized")
	}
	if IsRetryable(errors.New("x")) || IsRetryable(nil) || Retryable(nil) != nil {
		t.Error("plain errors are permanent")
	}
}

func TestMulti(t *testing.T) {
	ctx := context.Background()
	a, b := &Memory{}, &Memory{}
	failing := Func(func(context.Context, []odds.Event) error { return errors.New("redis down") })
	if err := Multi(a, b).Write(ctx, evs(0, 3)); err != nil || a.Len() != 3 || b.Len() != 3 {
		t.Fatalf("Multi: %v, %d, %d", err, a.Len(), b.Len())
	}
	if err := Multi(a, failing).Write(ctx, evs(3, 1)); err == nil || a.Len() != 4 {
		t.Fatalf("Multi with a failing sink: %v, %d", err, a.Len())
	}
	var reported []error
	if err := Multi(a, BestEffort(failing, func(err error) { reported = append(reported, err) })).Write(ctx, evs(4, 1)); err != nil || len(reported) != 1 {
		t.Fatalf("BestEffort: %v, %v", err, reported)
	}
	if err := Close(ctx, Multi(a, b)); err != nil {
		t.Fatal(err)
	}
	if a.Write(ctx, nil) == nil || b.Write(ctx, nil) == nil {
		t.Error("Multi's Close did not reach every sink")
	}
}

func TestJSONL(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	j := NewJSONL(&buf)
	in := evs(0, 5)
	in[2].Selection = "quote\"and\nnewline"
	if err := j.Write(ctx, in); err != nil {
		t.Fatal(err)
	}
	// A returned Write is in the writer: acknowledged means handed over.
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		var e odds.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.ID != in[i].ID || e.Selection != in[i].Selection || !e.Price.Equal(in[i].Price) {
			t.Fatalf("line %d: %s -> %+v, %v", i, l, e, err)
		}
	}
	buf.Reset()
	j.DeadLetter(ctx, Letter{Stage: "normalize", Reason: "malformed", Provider: "x", Payload: []byte(`{"bad":`)},
		Letter{Stage: "normalize", Reason: "binary", Payload: []byte{0xff, 0x00}})
	j.Close(ctx)
	if got := buf.String(); !strings.Contains(got, `"payload":"{\"bad\":"`) || !strings.Contains(got, `"payload_base64":"/wA="`) {
		t.Errorf("dead letters: %s", got)
	}
	if err := j.Write(ctx, in); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

// BenchmarkBatcher measures the Batcher's own cost per event: producers write
// one event at a time into a Batcher whose sink does nothing.
func BenchmarkBatcher(b *testing.B) {
	ctx := context.Background()
	bt := NewBatcher(Func(func(context.Context, []odds.Event) error { return nil }), BatcherConfig{Adaptive: true})
	one := evs(0, 1)
	b.ReportAllocs()
	for b.Loop() {
		bt.Write(ctx, one)
	}
	if err := bt.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
