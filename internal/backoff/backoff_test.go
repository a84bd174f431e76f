package backoff

import (
	"testing"
	"time"
)

func TestCeiling(t *testing.T) {
	p := Policy{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for n, w := range want {
		if got := p.Ceiling(n); got != w*time.Millisecond {
			t.Errorf("Ceiling(%d) = %v, want %v", n, got, w*time.Millisecond)
		}
	}
}

func TestNextWithinBoundsAndDeterministic(t *testing.T) {
	p := Policy{Initial: 10 * time.Millisecond, Max: 500 * time.Millisecond}
	a, b := New(p, 42), New(p, 42)
	var sum time.Duration
	for i := range 1000 {
		d := a.Next()
		if d < 0 || d > p.Ceiling(i) {
			t.Fatalf("attempt %d: delay %v outside [0, %v]", i, d, p.Ceiling(i))
		}
		if e := b.Next(); e != d {
			t.Fatalf("same seed, different delays at %d: %v vs %v", i, d, e)
		}
		sum += d
	}
	// Full jitter averages half the ceiling: far from 0 and from the cap.
	if avg := sum / 1000; avg < 200*time.Millisecond || avg > 300*time.Millisecond {
		t.Errorf("average delay %v, want about 250ms", avg)
	}
	a.Reset()
	if a.Attempt() != 0 || a.Next() > p.Initial {
		t.Error("Reset did not start over")
	}
}
