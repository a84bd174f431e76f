package normalize

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

var t0 = time.Unix(1795000000, 0).UTC()

func ev(sel string, price string, at time.Duration, seq uint64) odds.Event {
	p, err := odds.Parse(price)
	if err != nil {
		panic(err)
	}
	return odds.Event{Provider: "p", Market: "m", Selection: sel, Price: p, SourceTime: t0.Add(at), Seq: seq}
}

func TestSequencer(t *testing.T) {
	var s Sequencer
	cases := []struct {
		e    odds.Event
		want bool
	}{
		{ev("home", "2.0", 10*time.Second, 0), true},
		{ev("home", "2.1", 5*time.Second, 0), false}, // late: older provider time
		{ev("away", "1.8", 5*time.Second, 0), true},  // another selection has its own order
		{ev("home", "2.2", 10*time.Second, 0), true}, // equal time is in order
		{ev("home", "2.3", 20*time.Second, 7), true},
		{ev("home", "2.4", 30*time.Second, 5), false}, // both sequenced: 5 < 7, though its time is later
		{ev("home", "2.6", 1*time.Second, 9), true},   // both sequenced: 9 > 7, time is not consulted
	}
	for i, c := range cases {
		if got := s.Admit(&c.e); got != c.want {
			t.Errorf("case %d (%s %s): admitted %v, want %v", i, c.e.Selection, c.e.Price, got, c.want)
		}
	}
	if n := s.Forget(t0.Add(6 * time.Second)); n != 2 { // home at 1s (seq 9) and away at 5s
		t.Errorf("Forget dropped %d, want 2", n)
	}
}

func TestQuality(t *testing.T) {
	q := NewQuality(QualityConfig{
		MinPrice: decimal.RequireFromString("1.01"), MaxPrice: decimal.RequireFromString("1001"),
		MinOverround: decimal.RequireFromString("-0.02"), MaxOverround: decimal.RequireFromString("0.2"),
		MaxLineJump: decimal.RequireFromString("3"), MaxClockSkew: 5 * time.Second,
	})
	check := func(e odds.Event, want Check) {
		t.Helper()
		err := q.Check(&e)
		var qe *QualityError
		switch {
		case want == 0 && err != nil:
			t.Errorf("%s %s: unexpected %v", e.Selection, e.Price, err)
		case want != 0 && (!errors.As(err, &qe) || qe.Check != want || !errors.Is(err, ErrQuality)):
			t.Errorf("%s %s: error %v, want %v", e.Selection, e.Price, err, want)
		}
	}
	check(ev("home", "1.001", 0, 0), PriceRange)
	a := ev("home", "1.91", 0, 0)
	a.Line = decimal.NewNullDecimal(decimal.RequireFromString("-3.5"))
	check(a, 0)
	b := ev("away", "1.91", 0, 0)
	check(b, 0)
	c := ev("away", "1.2", 0, 0) // 1/1.91 + 1/1.2 = 1.357: overround .357
	check(c, OverroundBand)
	d := ev("home", "1.91", 0, 0)
	d.Line = decimal.NewNullDecimal(decimal.RequireFromString("3.5"))
	check(ev("away", "1.91", 0, 0), 0)
	check(d, LineJump)
	e := ev("home", "1.91", 0, 0)
	e.ReceivedAt = t0.Add(time.Minute)
	check(e, ClockSkew)
}

func TestCanonical(t *testing.T) {
	e := ev("home", "-110", time.Second, 3)
	e.ReceivedAt = t0.Add(2 * time.Second)
	got, err := Canonical.Normalize(nil, collect.Envelope{Payload: e.AppendJSON(nil)})
	if err != nil || len(got) != 1 || !got[0].Price.Equal(e.Price) || !got[0].ReceivedAt.Equal(e.ReceivedAt) || got[0].Seq != 3 {
		t.Fatalf("%+v, %v", got, err)
	}
	if _, err := Canonical.Normalize(nil, collect.Envelope{Payload: []byte(`{"price":"1"}`)}); !errors.Is(err, ErrMalformed) {
		t.Errorf("error %v", err)
	}
}

func FuzzCanonical(f *testing.F) {
	e := ev("home", "-110", time.Second, 3)
	f.Add(e.AppendJSON(nil))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := Canonical.Normalize(nil, collect.Envelope{Payload: b})
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("untyped error %v", err)
		}
		if err == nil && (len(evs) != 1 || evs[0].Price.IsZero()) {
			t.Fatalf("events %+v", evs)
		}
	})
}

// Lines written differently (3.5 and 3.50) are one selection's line.
func TestSequencerLineSpelling(t *testing.T) {
	var s Sequencer
	a := ev("home", "1.91", 10*time.Second, 0)
	a.Line = decimal.NewNullDecimal(decimal.RequireFromString("-3.50"))
	b := ev("home", "1.95", 5*time.Second, 0)
	b.Line = decimal.NewNullDecimal(decimal.RequireFromString("-3.5"))
	c := ev("home", "1.95", 5*time.Second, 0)
	c.Line = decimal.NewNullDecimal(decimal.RequireFromString("-4"))
	if !s.Admit(&a) || s.Admit(&b) || !s.Admit(&c) {
		t.Error("lines are not compared by value")
	}
}

// Provider times order exactly however far from 1970 they lie, where
// UnixNano would overflow, and down to the nanosecond.
func TestSequencerTimesExact(t *testing.T) {
	var s Sequencer
	e := odds.Event{Provider: "p", Market: "m", Selection: "a"}
	for i, c := range []struct {
		at   time.Time
		want bool
	}{
		{time.Time{}, true},
		{time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1500, 1, 1, 0, 0, 0, 5, time.UTC), true},
		{time.Date(1500, 1, 1, 0, 0, 0, 4, time.UTC), false},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2999, 12, 31, 23, 59, 59, 999999999, time.UTC), false},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), true}, // an equal position is admitted
	} {
		e.SourceTime = c.at
		if got := s.Admit(&e); got != c.want {
			t.Errorf("%d: Admit(%v) = %v, want %v", i, c.at, got, c.want)
		}
	}
}

// Filter keeps exactly what Admit, event by event, admits, in order, and
// counts the rest, through growth of the table and Forget's rebuilds.
func TestSequencerFilterMatchesAdmit(t *testing.T) {
	var batched, single Sequencer
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 200 {
		batch := make([]odds.Event, r.IntN(700))
		for i := range batch {
			batch[i] = odds.Event{Provider: "p", Market: fmt.Sprint("m", r.IntN(3000)), Selection: "home",
				SourceTime: t0.Add(time.Duration(r.IntN(100000)) * time.Millisecond), Seq: uint64(i)}
			if r.IntN(3) == 0 {
				batch[i].Line = decimal.NewNullDecimal(decimal.New(int64(r.IntN(9)-4), -1))
			}
		}
		var want []uint64
		wantLate := 0
		for i := range batch {
			e := batch[i]
			e.Seq = 0 // order by time: Seq marks the event here
			if single.Admit(&e) {
				want = append(want, batch[i].Seq)
			} else {
				wantLate++
			}
		}
		for i := range batch {
			batch[i].Seq, batch[i].Size = 0, decimal.NewNullDecimal(decimal.NewFromInt(int64(i)))
		}
		kept, late := batched.Filter(batch)
		var got []uint64
		for _, e := range kept {
			got = append(got, uint64(e.Size.Decimal.IntPart()))
		}
		if late != wantLate || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: kept %v (%d late), want %v (%d late)", round, got, late, want, wantLate)
		}
		if round%50 == 49 {
			cut := t0.Add(50 * time.Second)
			if a, b := batched.Forget(cut), single.Forget(cut); a != b || a == 0 {
				t.Fatalf("Forget dropped %d and %d", a, b)
			}
		}
	}
}

// A shard seven sixteenths full prepares the table it grows into at half full,
// and every selection keeps its position through the move.
func TestSequencerGrowsIntoPreparedTable(t *testing.T) {
	var s Sequencer
	sh := &s.shards[0]
	selections := shardZeroSelections(33)
	admitted := 0
	admitNew := func(count int) {
		for _, e := range selections[admitted : admitted+count] {
			if !s.Admit(&e) {
				t.Fatalf("new selection %s refused", e.Market)
			}
		}
		admitted += count
	}
	admitNew(28) // the first admit makes a table of 64
	if len(sh.slots) != 64 || sh.next.Len() != 0 {
		t.Fatalf("%d selections: table %d, prepared %d; want 64 and none yet", sh.n, len(sh.slots), sh.next.Len())
	}
	admitNew(1)
	if sh.next.Len() != 128 {
		t.Fatalf("%d selections: prepared %d; want 128", sh.n, sh.next.Len())
	}
	admitNew(4) // past half full: grows
	if len(sh.slots) != 128 || sh.next.Len() != 0 {
		t.Fatalf("%d selections: table %d, prepared %d; want 128 and none", sh.n, len(sh.slots), sh.next.Len())
	}
	for _, e := range selections[:admitted] {
		e.SourceTime = t0.Add(-time.Second)
		if s.Admit(&e) {
			t.Fatalf("selection %s lost its position in the move: an older update was admitted", e.Market)
		}
	}
}
