package generic

import (
	"strconv"
	"strings"
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

// wordsOf's overlapping loads must give what a byte loop gives, at every
// length, and keys that differ only by trailing zero bytes must stay apart.
func TestWordsOf(t *testing.T) {
	b := []byte("\x00abcdefghijklmnopqrstuvwxyz0123")
	for n := 0; n <= maxWordKey; n++ {
		k := b[1 : 1+n]
		var words [3]uint64
		for i, c := range k {
			words[i/8] |= uint64(c) << (8 * (i % 8))
		}
		want := keyWords{words[0], words[1], words[2]}
		if got := wordsOf(k); got != want {
			t.Errorf("wordsOf(%q) = %x, want %x", k, got, want)
		}
	}
	in := newInterner(100)
	for _, k := range []string{"a", "a\x00", "a\x00\x00\x00\x00\x00\x00\x00\x00", "", "\x00"} {
		in.string([]byte(k))
	}
	for _, k := range []string{"a", "a\x00", "a\x00\x00\x00\x00\x00\x00\x00\x00", "", "\x00", strings.Repeat("long key ", 5)} {
		if got := in.string([]byte(k)); got != k {
			t.Errorf("string(%q) = %q", k, got)
		}
	}
}

// A stored key of any length loads back, through the one-word lookup up to
// 8 bytes and the general one past it, also with the hash prefetch gave,
// and a key one byte different does not.
func TestTableLengths(t *testing.T) {
	in := newInterner(1000)
	s := &in.str
	text := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 2)
	for n := 0; n <= len(text); n++ {
		s.store(text[:n], text[:n])
	}
	for n := 0; n <= len(text); n++ {
		k := []byte(text[:n])
		if v, ok := s.load(k); !ok || v != text[:n] {
			t.Errorf("load(%q) = %q, %v", k, v, ok)
		}
		if v, ok := s.loadHashed(k, s.prefetch(k)); !ok || v != text[:n] {
			t.Errorf("loadHashed(%q) = %q, %v", k, v, ok)
		}
		if n == 0 {
			continue
		}
		k[n-1] = '-'
		if v, ok := s.load(k); ok {
			t.Errorf("load(%q) = %q, a key never stored", k, v)
		}
	}
}
