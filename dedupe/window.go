package dedupe

import (
	"context"
	"math"
	"math/bits"
	"sync"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

// WindowConfig configures a [Window]. The zero value is usable.
type WindowConfig struct {
	// Window is how long an ID is remembered after it is first seen
	// (default 10 minutes).
	Window time.Duration
	// MaxKeys bounds the IDs held at once (default 1<<20, about 40 MiB when
	// full); past it the oldest are evicted first, and counted. Memory grows
	// with use, up to the bound.
	MaxKeys int
	// Shards splits the window so concurrent callers rarely contend
	// (default 16; rounded up to a power of two).
	Shards int
	// By chooses the event time that places events in the window.
	By TimeSource
}

// WindowStats counts what a Window has done.
type WindowStats struct {
	Checks     uint64 // IDs looked up
	Duplicates uint64 // found within the window
	Expired    uint64 // forgotten because they left the window
	Evicted    uint64 // forgotten early because the window was full
	Keys       int    // held now
}

// Window is an in-memory sliding-window deduplicator. Each shard keeps its
// IDs in a ring in arrival order, indexed by a linear-probing table of
// 8-byte slots (32 bits of the ID and a ring index), so a check reads the
// table and, only when those bits match, one ring entry: O(1) with no
// allocation, and at most 40 bytes per key at the bound.
//
// Time moves forward per shard with the largest time seen, so a late event
// never shrinks the window. It is safe for concurrent use.
type Window struct {
	window int64
	by     TimeSource
	shards []shard
	mask   uint64
}

type entry struct {
	hi, lo uint64
	at     int64 // Unix ns when first seen, or dead
}

// dead marks a ring entry that was moved to the tail; it expires at once.
const dead = math.MinInt64

type shard struct {
	mu        sync.Mutex
	ring      []entry // power-of-two length
	head      uint64  // position of the oldest entry
	tail      uint64  // position of the next entry
	table     []uint64
	maxRing   int
	dead      int // dead entries between head and tail
	watermark int64
	stats     WindowStats
	_         [64]byte // keep shards' locks on separate cache lines
}

const minRing = 256

// NewWindow returns an empty window.
func NewWindow(cfg WindowConfig) *Window {
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Minute
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 1 << 20
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 16
	}
	n := pow2(cfg.Shards)
	per := pow2(max((cfg.MaxKeys+n-1)/n, minRing))
	w := &Window{window: int64(cfg.Window), by: cfg.By, shards: make([]shard, n), mask: uint64(n - 1)}
	for i := range w.shards {
		s := &w.shards[i]
		s.maxRing = per
		s.ring = make([]entry, min(minRing, per))
		s.table = make([]uint64, 2*len(s.ring))
	}
	return w
}

func pow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// Seen reports whether id was seen within the window of at (no more than
// Window before or after it), and records it if not. A duplicate keeps its first-seen time: the window runs
// from the first sighting, as with Redis SET NX.
func (w *Window) Seen(id odds.ID, at time.Time) bool {
	s := &w.shards[id.Hi&w.mask] // the table uses Lo
	s.mu.Lock()
	dup := s.seen(id, at.UnixNano(), w.window)
	s.mu.Unlock()
	return dup
}

// Dedupe implements [Deduper]. It never fails.
func (w *Window) Dedupe(_ context.Context, batch []odds.Event) ([]odds.Event, error) {
	kept := batch[:0]
	for i := range batch {
		if !w.Seen(batch[i].ID, w.by.At(&batch[i])) {
			kept = append(kept, batch[i])
		}
	}
	return kept, nil
}

// Stats returns the counters summed over shards.
func (w *Window) Stats() WindowStats {
	var t WindowStats
	for i := range w.shards {
		s := &w.shards[i]
		s.mu.Lock()
		st := s.stats
		st.Keys = int(s.tail-s.head) - s.dead
		s.mu.Unlock()
		t.Checks += st.Checks
		t.Duplicates += st.Duplicates
		t.Expired += st.Expired
		t.Evicted += st.Evicted
		t.Keys += st.Keys
	}
	return t
}

// Table slots hold the low 32 bits of the ID's Lo (which include its home
// slot) above the ring index + 1; 0 is empty. Probes and deletions read only
// the table; a ring entry is read only when those 32 bits match.
func slotTag(lo uint64) uint64 { return lo << 32 }

func (s *shard) seen(id odds.ID, at, window int64) bool {
	s.stats.Checks++
	if at > s.watermark {
		s.watermark = at
		s.expire(at - window)
	}
	rmask := uint64(len(s.ring) - 1)
	tmask := uint64(len(s.table) - 1)
	tag := slotTag(id.Lo)
	for slot := id.Lo & tmask; ; slot = (slot + 1) & tmask {
		v := s.table[slot]
		if v == 0 {
			break
		}
		if v&0xffffffff00000000 != tag {
			continue
		}
		e := &s.ring[(v&0xffffffff)-1]
		if e.hi != id.Hi || e.lo != id.Lo {
			continue
		}
		if d := at - e.at; d <= window && d >= -window {
			s.stats.Duplicates++
			return true
		}
		// Seen before, but far enough away in time to count as new: move it to
		// the tail, so the ring stays in time order and expiry is not held up.
		s.unlink((v & 0xffffffff) - 1)
		e.at = dead
		s.dead++
		break
	}
	if int(s.tail-s.head) == len(s.ring) {
		if len(s.ring) < s.maxRing {
			s.grow()
			rmask = uint64(len(s.ring) - 1)
			tmask = uint64(len(s.table) - 1)
		} else {
			for s.head != s.tail && s.ring[s.head&rmask].at == dead {
				s.removeHead()
			}
			if int(s.tail-s.head) == len(s.ring) {
				s.removeHead()
				s.stats.Evicted++
			}
		}
	}
	idx := s.tail & rmask
	s.ring[idx] = entry{hi: id.Hi, lo: id.Lo, at: at}
	s.tail++
	slot := id.Lo & tmask
	for s.table[slot] != 0 {
		slot = (slot + 1) & tmask
	}
	s.table[slot] = tag | (idx + 1)
	return false
}

// expire forgets entries at the head of the ring first seen before cutoff.
func (s *shard) expire(cutoff int64) {
	rmask := uint64(len(s.ring) - 1)
	for s.head != s.tail && s.ring[s.head&rmask].at < cutoff {
		if s.ring[s.head&rmask].at != dead {
			s.stats.Expired++
		}
		s.removeHead()
	}
}

// removeHead deletes the oldest ring entry, and its table slot unless it is dead.
func (s *shard) removeHead() {
	idx := s.head & uint64(len(s.ring)-1)
	if s.ring[idx].at == dead {
		s.dead--
	} else {
		s.unlink(idx)
	}
	s.head++
}

// unlink deletes the table slot of ring entry idx by backward-shift deletion
// (no tombstones, so probes stay short).
func (s *shard) unlink(idx uint64) {
	tmask := uint64(len(s.table) - 1)
	hole := s.ring[idx].lo & tmask
	for s.table[hole]&0xffffffff != idx+1 {
		hole = (hole + 1) & tmask
	}
	for j := (hole + 1) & tmask; s.table[j] != 0; j = (j + 1) & tmask {
		home := (s.table[j] >> 32) & tmask
		// Move the entry at j into the hole unless its home lies cyclically in (hole, j].
		if (j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j) {
			s.table[hole] = s.table[j]
			hole = j
		}
	}
	s.table[hole] = 0
}

// grow doubles the ring and the table, keeping arrival order.
func (s *shard) grow() {
	old, rmask := s.ring, uint64(len(s.ring)-1)
	s.ring = make([]entry, 2*len(old))
	n := uint64(0)
	for p := s.head; p != s.tail; p++ {
		if e := old[p&rmask]; e.at != dead {
			s.ring[n] = e
			n++
		}
	}
	s.head, s.tail, s.dead = 0, n, 0
	s.table = make([]uint64, 2*len(s.ring))
	tmask := uint64(len(s.table) - 1)
	for i := uint64(0); i < n; i++ {
		e := &s.ring[i]
		slot := e.lo & tmask
		for s.table[slot] != 0 {
			slot = (slot + 1) & tmask
		}
		s.table[slot] = slotTag(e.lo) | (i + 1)
	}
}
