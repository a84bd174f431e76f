package generic

import (
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

// table is a read-mostly map, safe for concurrent use, with lock-free reads
// on its hot path: sync.Map's design, typed, so a lookup by []byte does not
// allocate. Reads go to an immutable snapshot; writes go to a locked dirty
// copy, which becomes the snapshot once misses have paid for the copy.
type table[V any] struct {
	read   atomic.Pointer[map[string]V]
	mu     sync.Mutex
	dirty  map[string]V // nil, or a superset of *read
	misses int
	max    int
}

func (t *table[V]) load(k []byte) (V, bool) {
	if m := t.read.Load(); m != nil {
		if v, ok := (*m)[string(k)]; ok {
			return v, true
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.dirty[string(k)]
	t.missLocked()
	return v, ok
}

func (t *table[V]) store(k string, v V) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dirty == nil {
		t.dirty = make(map[string]V)
		if m := t.read.Load(); m != nil {
			for k, v := range *m {
				t.dirty[k] = v
			}
		}
	}
	if len(t.dirty) < t.max {
		t.dirty[k] = v
	}
}

// missLocked promotes dirty to the snapshot after as many misses as it has
// entries, so the copy in store is amortized over the reads it saves.
func (t *table[V]) missLocked() {
	t.misses++
	if t.dirty == nil || t.misses < len(t.dirty) {
		return
	}
	m := t.dirty
	t.read.Store(&m)
	t.dirty, t.misses = nil, 0
}
