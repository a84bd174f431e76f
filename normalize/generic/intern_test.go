package generic

import (
	"strconv"
	"sync"
	"testing"
)

// Concurrent stores and loads: the table keeps exactly max entries, each
// with its own value, through its growth, and lookups never see a wrong one.
func TestTableConcurrent(t *testing.T) {
	const max = 500
	in := newInterner(max)
	s := &in.str
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				k := strconv.Itoa((i*7 + g) % 1000)
				if v, ok := s.load([]byte(k)); ok && v != k {
					t.Errorf("load(%s) = %s", k, v)
				}
				s.store(k, k)
			}
		})
	}
	wg.Wait()
	if s.n != max || !s.full.Load() {
		t.Fatalf("n = %d, full = %v, want %d, true", s.n, s.full.Load(), max)
	}
	held := 0
	for i := range 1000 {
		k := strconv.Itoa(i)
		if v, ok := s.load([]byte(k)); ok {
			if v != k {
				t.Fatalf("load(%s) = %s", k, v)
			}
			held++
		}
	}
	if held != max {
		t.Fatalf("%d keys load, want %d", held, max)
	}
	if got := in.string([]byte("new")); got != "new" {
		t.Fatalf("a full table's string = %q", got)
	}
}
