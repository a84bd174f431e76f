package generic

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/oddsflow/oddsflow/internal/prefetch"
	"github.com/oddsflow/oddsflow/internal/word"
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
	in.str.seed = [2]uint64{rand.Uint64(), rand.Uint64()} // unknown to a feed that would collide keys
	in.lines.seed, in.prices.seed = in.str.seed, in.str.seed
	return in
}

func (in *interner) string(b []byte) string {
	s, ok := in.str.load(b)
	return in.orStore(b, s, ok)
}

// stringHashed is string for b whose hash, from prefetch, is h.
func (in *interner) stringHashed(b []byte, h uint64) string {
	s, ok := in.str.loadHashed(b, h)
	return in.orStore(b, s, ok)
}

// orStore returns s if ok, else b as a string, which it stores.
func (in *interner) orStore(b []byte, s string, ok bool) string {
	if ok {
		return s
	}
	s = string(b)
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
// slots, probed linearly, each written once. Stores take a lock and grow
// the array by publishing a copy, so a reader holding the old one only
// misses what was just added, and then stores it again, harmlessly.
//
// The keys a feed repeats (providers, market IDs, selection names, prices,
// lines) are short, so a key of up to 24 bytes is also kept as three words:
// a lookup loads it as words, hashes them with two multiplications and
// compares them in registers, in the one cache line of its slot, where a
// general string hash, a pointer to an entry and a memory comparison would
// cost several times as much.
type table[V any] struct {
	slots atomic.Pointer[[]slot[V]]
	seed  [2]uint64
	full  atomic.Bool // no more stores, so they need not lock
	mu    sync.Mutex
	n     int // entries stored
	max   int
}

// slot holds an entry in place. Its mark is written last and the slot never
// changes after: a reader that loads a non-zero mark may read the rest.
type slot[V any] struct {
	mark atomic.Uint64 // the key's hash | 1, or 0 while empty
	w    keyWords      // the key's words if it is short, else zero
	key  string
	val  V
}

// keyWords holds a key of up to 24 bytes, little-endian, zero-padded. It
// is a struct, not an array, so that it travels in registers.
type keyWords struct{ a, b, c uint64 }

const maxWordKey = 24

// wordsOf returns the words of a key of up to 24 bytes. It reads only
// within k, with overlapping loads rather than a byte loop.
func wordsOf(k []byte) keyWords {
	switch n := len(k); {
	case n > 16:
		return keyWords{word.Load(k), word.Load(k[8:]), word.Tail(k[16:])}
	case n > 8:
		return keyWords{word.Load(k), word.Tail(k[8:]), 0}
	default:
		return keyWords{word.Tail(k), 0, 0}
	}
}

// hashKey returns the hash of k and, for a short key, its words.
func hashKey(seed [2]uint64, k []byte) (uint64, keyWords) {
	switch n := len(k); {
	case n <= 8: // a provider, a selection, a price, a line: one word, one step
		a := word.Tail(k)
		return hashWord(seed, a, n), keyWords{a: a}
	case n <= maxWordKey:
		w := wordsOf(k)
		return word.Mix(w.a^seed[0]^uint64(n), w.b^seed[1]) ^ word.Mix(w.c^seed[1], seed[0]), w
	default:
		return wyhash(seed, k), keyWords{}
	}
}

// hashWord returns the hash of a key of n <= 8 bytes whose word is a.
func hashWord(seed [2]uint64, a uint64, n int) uint64 {
	return word.Mix(a^seed[0]^uint64(n), seed[1])
}

// wyhash hashes a long key a word at a time.
func wyhash(seed [2]uint64, k []byte) uint64 {
	h := seed[0] ^ uint64(len(k))
	for ; len(k) >= 8; k = k[8:] {
		h = word.Mix(h^word.Load(k), seed[1])
	}
	return word.Mix(h^word.Tail(k), seed[1]^0xe7037ed1a0b428db)
}

// prefetch starts loading the slot where a lookup of k begins, so that
// its cache miss overlaps the work done before the lookup, and returns the
// hash that lookup needs, for loadHashed.
func (t *table[V]) prefetch(k []byte) uint64 {
	h, _ := hashKey(t.seed, k)
	h |= 1
	if p := t.slots.Load(); p != nil {
		slots := *p
		prefetch.Line(unsafe.Pointer(&slots[h&uint64(len(slots)-1)]))
	}
	return h
}

func (t *table[V]) load(k []byte) (V, bool) {
	if len(k) <= 8 {
		return t.loadWord(word.Tail(k), len(k))
	}
	h, _ := hashKey(t.seed, k)
	return t.loadHashed(k, h|1)
}

// loadWord looks up a key of n <= 8 bytes whose word is a: a provider, a
// selection, a line. It is load's common case, kept apart so that it holds
// its few values in registers; a slot's key of the same length has the same
// single word.
func (t *table[V]) loadWord(a uint64, n int) (V, bool) {
	if p := t.slots.Load(); p != nil {
		slots := *p
		h := hashWord(t.seed, a, n) | 1
		mask := uint64(len(slots) - 1)
		for i := h & mask; ; i = (i + 1) & mask {
			sl := &slots[i]
			m := sl.mark.Load()
			if m == 0 {
				break
			}
			if m == h && sl.w.a == a && len(sl.key) == n {
				return sl.val, true
			}
		}
	}
	var zero V
	return zero, false
}

// loadHashed is load for a key whose hash, from prefetch, is h. Its probe
// is loadWord's with a longer test: one probe taking the test as a func
// ran 5% more instructions over the peer feed, since the func is not
// inlined.
func (t *table[V]) loadHashed(k []byte, h uint64) (V, bool) {
	if len(k) <= 8 {
		return t.loadWord(word.Tail(k), len(k))
	}
	if p := t.slots.Load(); p != nil {
		slots := *p
		var w keyWords // as hashKey gives them
		if len(k) <= maxWordKey {
			w = wordsOf(k)
		}
		mask := uint64(len(slots) - 1)
		for i := h & mask; ; i = (i + 1) & mask {
			sl := &slots[i]
			m := sl.mark.Load()
			if m == 0 {
				break
			}
			if m == h && sl.w == w && len(sl.key) == len(k) && (len(k) <= maxWordKey || sl.key == string(k)) {
				return sl.val, true
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
	var slots []slot[V]
	if p := t.slots.Load(); p != nil {
		slots = *p
	}
	if 4*(t.n+1) > 3*len(slots) { // keep the array at most three quarters full
		grown := make([]slot[V], max(64, 2*len(slots)))
		for i := range slots {
			if m := slots[i].mark.Load(); m != 0 {
				place(grown, m, slots[i].w, slots[i].key, slots[i].val)
			}
		}
		slots = grown
		t.slots.Store(&slots)
	}
	h, w := hashKey(t.seed, []byte(k))
	if place(slots, h|1, w, k, v) {
		t.n++
	}
}

// place puts an entry in the first empty slot of its probe sequence, unless
// its key is already there; it reports whether it did.
func place[V any](slots []slot[V], mark uint64, w keyWords, k string, v V) bool {
	mask := uint64(len(slots) - 1)
	for i := mark & mask; ; i = (i + 1) & mask {
		sl := &slots[i]
		m := sl.mark.Load()
		if m == 0 {
			sl.w, sl.key, sl.val = w, k, v
			sl.mark.Store(mark) // last: publishes the slot
			return true
		}
		if m == mark && sl.key == k {
			return false
		}
	}
}
