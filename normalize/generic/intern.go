package generic

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// interner keeps one copy of each string, line and price it has seen, so a
// steady feed (a few providers, thousands of markets, a handful of selection
// names and lines) allocates nothing per message. Each table stops growing at
// max entries; past that, values are built fresh each time.
type interner struct {
	str    table[string]
	lines  table[decimal.Decimal]
	prices table[odds.Price]
}

func newInterner(max int) *interner {
	in := &interner{}
	in.str.max, in.lines.max, in.prices.max = max, max, max
	in.str.seed = maphash.MakeSeed()
	in.lines.seed, in.prices.seed = in.str.seed, in.str.seed
	return in
}

func (in *interner) string(b []byte) string {
	if s, ok := in.str.load(b); ok {
		return s
	}
	s := string(b)
	in.str.store(s, s)
	return s
}

// line returns the decimal of raw, a JSON number or string's content.
func (in *interner) line(raw []byte) (decimal.Decimal, error) {
	if d, ok := in.lines.load(raw); ok {
		return d, nil
	}
	d, err := decimal.NewFromString(string(raw))
	if err != nil {
		return decimal.Decimal{}, err
	}
	in.lines.store(string(raw), d)
	return d, nil
}

// price returns the price of raw text through parse, remembering it.
func (in *interner) price(raw []byte, parse func(string) (odds.Price, error)) (odds.Price, error) {
	if p, ok := in.prices.load(raw); ok {
		return p, nil
	}
	p, err := parse(string(raw))
	if err != nil {
		return odds.Price{}, err
	}
	in.prices.store(string(raw), p)
	return p, nil
}

// table is a read-mostly hash map from text to V, safe for concurrent use.
// Lookups take no lock and allocate nothing: an open-addressing array of
// atomic pointers to immutable entries, probed linearly. Stores take a lock
// and grow the array by publishing a copy, so a reader holding the old one
// only misses what was just added, and then stores it again, harmlessly.
type table[V any] struct {
	slots atomic.Pointer[[]atomic.Pointer[entry[V]]]
	seed  maphash.Seed
	full  atomic.Bool // no more stores, so they need not lock
	mu    sync.Mutex
	n     int // entries stored
	max   int
}

type entry[V any] struct {
	hash uint64
	key  string
	val  V
}

func (t *table[V]) load(k []byte) (V, bool) {
	if p := t.slots.Load(); p != nil {
		slots := *p
		h := maphash.Bytes(t.seed, k)
		mask := uint64(len(slots) - 1)
		for i := h & mask; ; i = (i + 1) & mask {
			e := slots[i].Load()
			if e == nil {
				break
			}
			if e.hash == h && e.key == string(k) {
				return e.val, true
			}
		}
	}
	var zero V
	return zero, false
}

func (t *table[V]) store(k string, v V) {
	if t.full.Load() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n >= t.max {
		t.full.Store(true)
		return
	}
	var slots []atomic.Pointer[entry[V]]
	if p := t.slots.Load(); p != nil {
		slots = *p
	}
	if 2*(t.n+1) > len(slots) { // keep the array at most half full
		grown := make([]atomic.Pointer[entry[V]], max(64, 2*len(slots)))
		for i := range slots {
			if e := slots[i].Load(); e != nil {
				place(grown, e)
			}
		}
		slots = grown
		t.slots.Store(&slots)
	}
	if place(slots, &entry[V]{hash: maphash.String(t.seed, k), key: k, val: v}) {
		t.n++
	}
}

// place puts e in the first empty slot of its probe sequence, unless its key
// is already there; it reports whether it did.
func place[V any](slots []atomic.Pointer[entry[V]], e *entry[V]) bool {
	mask := uint64(len(slots) - 1)
	for i := e.hash & mask; ; i = (i + 1) & mask {
		old := slots[i].Load()
		if old == nil {
			slots[i].Store(e)
			return true
		}
		if old.hash == e.hash && old.key == e.key {
			return false
		}
	}
}
