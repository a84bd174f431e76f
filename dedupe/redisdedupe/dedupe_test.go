package redisdedupe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/internal/testenv"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/redis/go-redis/v9"
)

// client connects to the Redis server scripts/test.sh started, and gives
// each test its own key prefix.
func client(t *testing.T) (*redis.Client, string) {
	t.Helper()
	addr := testenv.Lookup(t, testenv.RedisVar)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		testenv.Unavailable(t, "redis at %s: %v", addr, err)
	}
	return c, fmt.Sprintf("test:%s:%d:", t.Name(), time.Now().UnixNano())
}

func events(ids ...uint64) []odds.Event {
	out := make([]odds.Event, len(ids))
	for i, n := range ids {
		var h odds.Hasher
		h.AddUint64(n)
		out[i] = odds.Event{ID: h.Sum(), Seq: n}
	}
	return out
}

func seqs(evs []odds.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

// Two processes sharing one Redis drop each other's duplicates, and one
// batch's own duplicates.
func TestSharedWindow(t *testing.T) {
	c, prefix := client(t)
	ctx := context.Background()
	a := New(c, Config{Prefix: prefix, Window: time.Minute})
	b := New(redis.NewClient(&redis.Options{Addr: c.Options().Addr}), Config{Prefix: prefix, Window: time.Minute})
	kept, err := a.Dedupe(ctx, events(1, 2, 3, 2))
	if err != nil || fmt.Sprint(seqs(kept)) != "[1 2 3]" {
		t.Fatalf("first batch kept %v, %v", seqs(kept), err)
	}
	kept, err = b.Dedupe(ctx, events(3, 4, 1, 5))
	if err != nil || fmt.Sprint(seqs(kept)) != "[4 5]" {
		t.Fatalf("second process kept %v, %v", seqs(kept), err)
	}
	// The keys expire with the window.
	var h odds.Hasher
	h.AddUint64(1)
	id, _ := h.Sum().MarshalText()
	ttl, err := c.PTTL(ctx, prefix+string(id)).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("key TTL %v, %v; want (0, 1m]", ttl, err)
	}
}

// A dead address: Fail returns the error, Fallback dedupes locally and says so.
func TestUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	dead := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer dead.Close()
	ctx := context.Background()

	_, err = New(dead, Config{}).Dedupe(ctx, events(1))
	if err == nil {
		t.Fatal("Fail policy: no error from a dead Redis")
	}
	var told []error
	d := New(dead, Config{Unavailable: Fallback, OnFallback: func(err error) { told = append(told, err) }})
	kept, err := d.Dedupe(ctx, events(1, 2))
	if err != nil || len(kept) != 2 {
		t.Fatalf("fallback kept %v, %v", seqs(kept), err)
	}
	kept, _ = d.Dedupe(ctx, events(2, 3))
	if fmt.Sprint(seqs(kept)) != "[3]" {
		t.Errorf("fallback window kept %v, want [3]", seqs(kept))
	}
	if len(told) != 2 || told[0] == nil {
		t.Errorf("OnFallback told %v", told)
	}
}

// A fallback starts warm: IDs Redis admitted are in the local window too.
func TestFallbackWarm(t *testing.T) {
	c, prefix := client(t)
	local := dedupe.NewWindow(dedupe.WindowConfig{})
	d := New(c, Config{Prefix: prefix, Unavailable: Fallback, Local: local})
	evs := events(7)
	evs[0].ReceivedAt = time.Unix(1795000000, 0)
	if _, err := d.Dedupe(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if !local.Seen(evs[0].ID, evs[0].ReceivedAt) {
		t.Error("an ID Redis admitted is missing from the local window")
	}
}

func TestContextCanceled(t *testing.T) {
	c, prefix := client(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(c, Config{Prefix: prefix, Unavailable: Fallback}).Dedupe(ctx, events(1))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled (no fallback on cancellation)", err)
	}
}

func BenchmarkDedupe(b *testing.B) {
	addr := testenv.Lookup(b, testenv.RedisVar)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	d := New(c, Config{Prefix: fmt.Sprintf("bench:%d:", time.Now().UnixNano()), Window: time.Minute})
	batch := make([]odds.Event, 256)
	n := uint64(0)
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			var h odds.Hasher
			h.AddUint64(n)
			batch[i] = odds.Event{ID: h.Sum()}
			n++
		}
		if _, err := d.Dedupe(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "checks/s")
}
