// Package sinktest is the conformance suite every [sink.Sink] runs: the
// contract, checked the same way for memory, files, Kafka, PostgreSQL and
// Redis.
//
//	func TestConformance(t *testing.T) {
//		sinktest.Run(t, sinktest.Harness{
//			New:  func(t *testing.T) sink.Sink { return newSinkOnAFreshTopic(t) },
//			Read: func(t *testing.T, s sink.Sink) []odds.Event { return readBack(t, s) },
//		})
//	}
package sinktest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/shopspring/decimal"
)

// Harness tells the suite how to make and read a sink.
type Harness struct {
	// New returns a sink writing to a fresh, empty destination.
	New func(t *testing.T) sink.Sink
	// Read returns every event the destination holds now. Events of one
	// market must come back in the order they were delivered; across markets
	// any order will do.
	Read func(t *testing.T, s sink.Sink) []odds.Event
	// Latest marks a sink that keeps only the latest event per market,
	// provider, selection and side (a hot cache): the suite then checks that
	// what it reads is the latest of what was written.
	Latest bool
	// Idempotent marks a sink that stores a re-delivered event (same ID)
	// once. Without it, re-delivery may store duplicates, which consumers
	// drop by ID; the suite then checks only that nothing is lost.
	Idempotent bool
}

// Run runs every check as a subtest.
func Run(t *testing.T, h Harness) {
	t.Run("RoundTrip", func(t *testing.T) { roundTrip(t, h) })
	t.Run("OrderWithinMarket", func(t *testing.T) { orderWithinMarket(t, h) })
	t.Run("EmptyBatch", func(t *testing.T) { emptyBatch(t, h) })
	t.Run("ConcurrentWriters", func(t *testing.T) { concurrentWriters(t, h) })
	t.Run("NoLossAcrossClose", func(t *testing.T) { noLossAcrossClose(t, h) })
	t.Run("CanceledContext", func(t *testing.T) { canceledContext(t, h) })
	t.Run("Redelivery", func(t *testing.T) { redelivery(t, h) })
}

// Events returns n distinct, valid events over markets markets, with
// sequences, times, lines and sizes, starting at number from.
func Events(from, n, markets int) []odds.Event {
	base := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	out := make([]odds.Event, n)
	for i := range out {
		k := from + i
		american := int64(100 + k%300)
		if k%2 == 1 {
			american = -american
		}
		price, _ := odds.FromAmerican(american)
		e := odds.Event{
			Provider:   []string{"pinnacle", "draftkings"}[k%2],
			Market:     fmt.Sprintf("nfl-2026-%05d:spreads", k%markets),
			Selection:  []string{"home", "away"}[k/2%2],
			Price:      price,
			Line:       decimal.NewNullDecimal(decimal.New(int64(k%21-10)*5, -1)),
			Size:       decimal.NewNullDecimal(decimal.New(int64(k%1000)+1, -2)),
			Seq:        uint64(k + 1),
			SourceTime: base.Add(time.Duration(k) * time.Millisecond),
			ReceivedAt: base.Add(time.Duration(k)*time.Millisecond + 1234),
		}
		var h odds.Hasher
		h.AddString(e.Provider)
		h.AddString(e.Market)
		h.AddUint64(uint64(k))
		e.ID = h.Sum()
		out[i] = e
	}
	return out
}

func write(t *testing.T, s sink.Sink, events []odds.Event) {
	t.Helper()
	if err := s.Write(context.Background(), events); err != nil {
		t.Fatalf("Write(%d events): %v", len(events), err)
	}
}

func done(t *testing.T, s sink.Sink) {
	t.Helper()
	if err := sink.Flush(context.Background(), s); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// check compares what the destination holds with what was written.
func check(t *testing.T, h Harness, s sink.Sink, written []odds.Event) {
	t.Helper()
	got := h.Read(t, s)
	want := written
	if h.Latest {
		want = latest(written)
	}
	byID := make(map[odds.ID]odds.Event, len(want))
	for _, e := range want {
		byID[e.ID] = e
	}
	seen := make(map[odds.ID]int, len(got))
	for _, e := range got {
		w, ok := byID[e.ID]
		if !ok {
			t.Fatalf("read back an event that was not expected: %+v", e)
		}
		if err := same(w, e); err != nil {
			t.Fatalf("event %s changed in the sink: %v", e.ID, err)
		}
		seen[e.ID]++
	}
	for _, e := range want {
		if seen[e.ID] == 0 {
			t.Fatalf("lost event %s (%s %s seq %d): %d written, %d read back", e.ID, e.Market, e.Selection, e.Seq, len(want), len(got))
		}
		if seen[e.ID] > 1 && h.Idempotent {
			t.Fatalf("event %s stored %d times by an idempotent sink", e.ID, seen[e.ID])
		}
	}
}

// latest keeps the last event per market, provider, selection and side.
func latest(events []odds.Event) []odds.Event {
	type key struct {
		provider, market, selection string
		side                        odds.Side
	}
	last := map[key]odds.Event{}
	var order []key
	for _, e := range events {
		k := key{e.Provider, e.Market, e.Selection, e.Side}
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = e
	}
	out := make([]odds.Event, len(order))
	for i, k := range order {
		out[i] = last[k]
	}
	return out
}

// same compares the fields every sink must keep exactly.
func same(want, got odds.Event) error {
	switch {
	case want.Provider != got.Provider || want.Market != got.Market || want.Selection != got.Selection || want.Side != got.Side:
		return fmt.Errorf("identity %s/%s/%s/%v, want %s/%s/%s/%v", got.Provider, got.Market, got.Selection, got.Side, want.Provider, want.Market, want.Selection, want.Side)
	case !want.Price.Equal(got.Price):
		return fmt.Errorf("price %s, want %s", got.Price, want.Price)
	case want.Line.Valid != got.Line.Valid || (want.Line.Valid && !want.Line.Decimal.Equal(got.Line.Decimal)):
		return fmt.Errorf("line %v, want %v", got.Line, want.Line)
	case want.Status != got.Status || want.Seq != got.Seq:
		return fmt.Errorf("status/seq %v/%d, want %v/%d", got.Status, got.Seq, want.Status, want.Seq)
	case !want.SourceTime.Equal(got.SourceTime) || !want.ReceivedAt.Equal(got.ReceivedAt):
		return fmt.Errorf("times %v/%v, want %v/%v", got.SourceTime, got.ReceivedAt, want.SourceTime, want.ReceivedAt)
	}
	return nil
}

func roundTrip(t *testing.T, h Harness) {
	s := h.New(t)
	in := Events(0, 50, 5)
	write(t, s, in)
	done(t, s)
	check(t, h, s, in)
}

func orderWithinMarket(t *testing.T, h Harness) {
	s := h.New(t)
	var all []odds.Event
	for i := range 20 {
		batch := Events(i*30, 30, 4)
		write(t, s, batch)
		all = append(all, batch...)
	}
	done(t, s)
	got := h.Read(t, s)
	if h.Latest {
		check(t, h, s, all)
		return
	}
	last := map[string]uint64{}
	for _, e := range got {
		if e.Seq < last[e.Market] {
			t.Fatalf("market %s: seq %d read after %d", e.Market, e.Seq, last[e.Market])
		}
		last[e.Market] = e.Seq
	}
	check(t, h, s, all)
}

func emptyBatch(t *testing.T, h Harness) {
	s := h.New(t)
	write(t, s, nil)
	write(t, s, []odds.Event{})
	done(t, s)
	if got := h.Read(t, s); len(got) != 0 {
		t.Fatalf("empty writes stored %d events", len(got))
	}
}

func concurrentWriters(t *testing.T, h Harness) {
	s := h.New(t)
	const writers, batches, size = 8, 10, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	var all []odds.Event
	for w := range writers {
		// Each writer owns its markets, so per-market order is well defined.
		for b := range batches {
			all = append(all, Events(100000*w+b*size, size, 1)...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				evs := Events(100000*w+b*size, size, 1)
				for i := range evs {
					evs[i].Market = fmt.Sprintf("writer-%d", w)
				}
				if err := s.Write(context.Background(), evs); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Write: %v", err)
	}
	for i := range all {
		all[i].Market = fmt.Sprintf("writer-%d", (int(all[i].Seq)-1)/100000)
	}
	done(t, s)
	check(t, h, s, all)
}

func noLossAcrossClose(t *testing.T, h Harness) {
	s := h.New(t)
	in := Events(0, 300, 7)
	for i := 0; i < len(in); i += 50 {
		write(t, s, in[i:i+50])
	}
	if err := sink.Close(context.Background(), s); err != nil {
		t.Fatalf("Close: %v", err)
	}
	check(t, h, s, in)
	if _, ok := s.(sink.Closer); ok {
		if err := s.Write(context.Background(), Events(300, 1, 1)); err == nil {
			t.Error("Write after Close succeeded")
		}
	}
}

func canceledContext(t *testing.T, h Harness) {
	s := h.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := Events(0, 10, 2)
	err := s.Write(ctx, in)
	// A sink may refuse at once, or deliver before it looks at ctx; it must
	// not report success without delivering.
	done(t, s)
	if err == nil {
		check(t, h, s, in)
	} else if !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a canceled context: %v, want an error wrapping context.Canceled", err)
	}
	// The sink still works with a live context.
	more := Events(10, 5, 2)
	write(t, s, more)
	done(t, s)
	got := h.Read(t, s)
	have := map[odds.ID]bool{}
	for _, e := range got {
		have[e.ID] = true
	}
	if h.Latest {
		more = latest(more)
	}
	for _, e := range more {
		if !have[e.ID] {
			t.Fatalf("after a canceled write, a later write lost %s", e.ID)
		}
	}
}

func redelivery(t *testing.T, h Harness) {
	s := h.New(t)
	in := Events(0, 40, 4)
	write(t, s, in)
	write(t, s, in[10:30]) // a retry after a lost acknowledgement
	done(t, s)
	check(t, h, s, in)
}
