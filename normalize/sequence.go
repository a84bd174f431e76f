package normalize

import (
	"sync"
	"time"

	"github.com/oddsflow/oddsflow/internal/ahead"
	"github.com/oddsflow/oddsflow/internal/byshard"
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
// by their [odds.ID], and kept in open-addressing tables of 40-byte slots,
// one per shard, so that a table's growth pauses only its shard, briefly: a
// shard seven sixteenths full allocates its next table and faults it in over
// the admits before it is needed.
// With hundreds of thousands of selections the tables live in main memory,
// so [Sequencer.Filter] reads the slots of a batch's events, shard by shard,
// before deciding any, and the cache misses overlap.
type Sequencer struct {
	shards [seqShards]seqShard
}

const seqShards = 16

type seqShard struct {
	mu      sync.Mutex
	slots   []seqSlot // a power of two long, at most half full; nil until used
	n       int       // slots in use
	next    ahead.Array[seqSlot]
	touched uint64   // sum of touch's reads, kept so they are not optimized away
	_       [64]byte // keep shards' locks on separate cache lines
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
	sh := s.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.admit(k, at)
}

func (s *Sequencer) shard(k odds.ID) *seqShard { return &s.shards[k.Hi>>60] } // the table uses Lo

// filterChunk bounds the events Filter decides at a time.
const filterChunk = byshard.Max

// Filter keeps the events of batch that Admit, called on each in order,
// would admit, in their order, reusing batch's array. It returns them and
// how many it dropped as late. Shards share nothing, so deciding a chunk
// shard by shard gives the same result as deciding it in order.
func (s *Sequencer) Filter(batch []odds.Event) (kept []odds.Event, late int) {
	var (
		keys    [filterChunk]odds.ID
		at      [filterChunk]position
		ok      [filterChunk]bool
		shardOf [filterChunk]uint8
		g       byshard.Grouping
	)
	n := 0
	for start := 0; start < len(batch); start += filterChunk {
		c := batch[start:min(start+filterChunk, len(batch))]
		for i := range c { // hashing needs no lock
			keys[i], at[i] = selection(&c[i]), positionOf(&c[i])
			shardOf[i] = uint8(keys[i].Hi >> 60)
		}
		g.Group(shardOf[:len(c)], seqShards)
		for j := range s.shards {
			group := g.Shard(j)
			if len(group) == 0 {
				continue
			}
			sh := &s.shards[j]
			sh.mu.Lock()
			sh.touch(&keys, group)
			for _, i := range group {
				ok[i] = sh.admit(keys[i], at[i])
			}
			sh.mu.Unlock()
		}
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

// touch reads the home slot of each key of group. The reads do not depend on
// one another, so their cache misses overlap, where admit would wait for each
// in turn.
func (sh *seqShard) touch(keys *[filterChunk]odds.ID, group []uint8) {
	if sh.slots == nil {
		return
	}
	mask := uint64(len(sh.slots) - 1)
	var sum uint64
	for _, i := range group {
		sum += sh.slots[keys[i].Lo&mask].key.Lo
	}
	sh.touched = sum
}

func (s *seqShard) admit(k odds.ID, at position) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.resize(max(64, 2*len(s.slots)))
	} else if 16*(s.n+1) > 7*len(s.slots) {
		// Seven sixteenths full: fault the next table in, a page an admit
		// (the sixteenth left is more admits than it has pages), so that
		// growing at half full is only the move.
		s.next.Prepare(2 * len(s.slots))
		s.next.Touch()
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
func (s *seqShard) resize(size int) {
	old := s.slots
	s.slots = s.next.Take(size)
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
	cutoff := position{sec: t.Unix(), nsec: int32(t.Nanosecond())}
	dropped := 0
	for j := range s.shards {
		dropped += s.shards[j].forget(cutoff)
	}
	return dropped
}

func (s *seqShard) forget(cutoff position) int {
	s.mu.Lock()
	defer s.mu.Unlock()
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
