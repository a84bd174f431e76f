package normalize

import (
	"sync"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

// Sequencer keeps updates in order per selection: it admits an event only if
// it is not older than the last one it admitted for the same provider,
// market, selection, side and line, so a late update never overwrites a newer
// price downstream. Order is by [odds.Event.Seq] when both events have one,
// else by [odds.Event.SourceTime]; an equal position is admitted.
//
// The zero Sequencer is ready to use and safe for concurrent use. It
// remembers one position per selection it has seen; [Sequencer.Forget]
// drops those not updated since a time.
//
// Selections are told apart by a 128-bit hash of their fields, as events are
// by their [odds.ID], and kept in an open-addressing table of 40-byte slots:
// with hundreds of thousands of selections it lives in main memory, so
// [Sequencer.Filter] reads the slots of a whole batch before deciding any,
// and the cache misses overlap.
type Sequencer struct {
	mu      sync.Mutex
	slots   []seqSlot // a power of two long, at most half full; nil until used
	n       int       // slots in use
	touched uint64    // sum of touch's reads, kept so they are not optimized away
}

type seqSlot struct {
	key odds.ID // zero: empty (keys have a bit set, see selection)
	pos position
}

// selection returns the key of e's provider, market, selection, side and line.
func selection(e *odds.Event) odds.ID {
	var h odds.Hasher
	h.AddString(e.Provider)
	h.AddString(e.Market)
	h.AddString(e.Selection)
	h.AddUint64(uint64(e.Side))
	h.AddLine(odds.LineKeyOf(e.Line))
	k := h.Sum()
	k.Hi |= 1 // never the empty key
	return k
}

// position is where a selection was last updated: its sequence, and its
// provider time as Unix seconds and nanoseconds (exact for any time, unlike
// UnixNano).
type position struct {
	seq  uint64
	sec  int64
	nsec int32
}

func positionOf(e *odds.Event) position {
	return position{seq: e.Seq, sec: e.SourceTime.Unix(), nsec: int32(e.SourceTime.Nanosecond())}
}

func (p position) before(q position) bool {
	return p.sec < q.sec || (p.sec == q.sec && p.nsec < q.nsec)
}

// Admit reports whether e is in order, and if so records it as the latest.
func (s *Sequencer) Admit(e *odds.Event) bool {
	k, at := selection(e), positionOf(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admit(k, at)
}

// filterChunk bounds the events Filter decides under one lock.
const filterChunk = 256

// Filter keeps the events of batch that Admit, called on each in order,
// would admit, in their order, reusing batch's array. It returns them and
// how many it dropped as late.
func (s *Sequencer) Filter(batch []odds.Event) (kept []odds.Event, late int) {
	var (
		keys [filterChunk]odds.ID
		at   [filterChunk]position
		ok   [filterChunk]bool
	)
	n := 0
	for start := 0; start < len(batch); start += filterChunk {
		c := batch[start:min(start+filterChunk, len(batch))]
		for i := range c { // hashing needs no lock
			keys[i], at[i] = selection(&c[i]), positionOf(&c[i])
		}
		s.mu.Lock()
		s.touch(keys[:len(c)])
		for i := range c {
			ok[i] = s.admit(keys[i], at[i])
		}
		s.mu.Unlock()
		for i := range c {
			switch {
			case !ok[i]:
				late++
			case n != start+i: // an event is 200 bytes: copy only to close a gap
				batch[n] = c[i]
				n++
			default:
				n++
			}
		}
	}
	return batch[:n], late
}

// touch reads the home slot of each key. The reads do not depend on one
// another, so their cache misses overlap, where admit would wait for each in
// turn.
func (s *Sequencer) touch(keys []odds.ID) {
	if s.slots == nil {
		return
	}
	mask := uint64(len(s.slots) - 1)
	var sum uint64
	for _, k := range keys {
		sum += s.slots[k.Lo&mask].key.Lo
	}
	s.touched = sum
}

func (s *Sequencer) admit(k odds.ID, at position) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.resize(max(64, 2*len(s.slots)))
	}
	mask := uint64(len(s.slots) - 1)
	i := k.Lo & mask
	for s.slots[i].key != k {
		if s.slots[i].key == (odds.ID{}) {
			s.slots[i] = seqSlot{key: k, pos: at}
			s.n++
			return true
		}
		i = (i + 1) & mask
	}
	last := &s.slots[i].pos
	if at.seq != 0 && last.seq != 0 {
		if at.seq < last.seq {
			return false
		}
	} else if at.before(*last) {
		return false
	}
	*last = at
	return true
}

// resize moves every selection to a table of size slots.
func (s *Sequencer) resize(size int) {
	old := s.slots
	s.slots = make([]seqSlot, size)
	mask := uint64(size - 1)
	for _, e := range old {
		if e.key == (odds.ID{}) {
			continue
		}
		i := e.key.Lo & mask
		for s.slots[i].key != (odds.ID{}) {
			i = (i + 1) & mask
		}
		s.slots[i] = e
	}
}

// Forget drops the positions of selections last updated before t, and
// returns how many it dropped. An event for one of them later is admitted.
func (s *Sequencer) Forget(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := position{sec: t.Unix(), nsec: int32(t.Nanosecond())}
	dropped := 0
	for i := range s.slots {
		if e := &s.slots[i]; e.key != (odds.ID{}) && e.pos.before(cutoff) {
			*e = seqSlot{}
			dropped++
		}
	}
	if dropped > 0 { // rebuild, smaller if it can be: linear probing allows no holes
		s.n -= dropped
		size := 64
		for 2*s.n > size {
			size *= 2
		}
		s.resize(size)
	}
	return dropped
}
