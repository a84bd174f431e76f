package dedupe

import (
	"context"
	"math"
	"math/bits"
	"sync"
	"time"
	"unsafe"

	"github.com/oddsflow/oddsflow/internal/ahead"
	"github.com/oddsflow/oddsflow/internal/byshard"
	"github.com/oddsflow/oddsflow/internal/prefetch"
	"github.com/oddsflow/oddsflow/odds"
)

// WindowConfig configures a [Window]. The zero value is usable.
type WindowConfig struct {
	// Window is how long an ID is remembered after it is first seen
	// (default 10 minutes).
	Window time.Duration
	// MaxKeys bounds the IDs held at once (default 1<<20, about 40 MiB when
	// full); past it the oldest are evicted first, and counted. Memory grows
	// with use, fourfold at a time, up to the bound; a shard fifteen
	// sixteenths full allocates its next step ahead (and lets it go if
	// expiry brings it below three quarters). Size it to how late
	// re-sends come: a window far larger than the processor's caches costs a
	// cache miss per check, and its random reads evict what the rest of the
	// pipeline keeps there.
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
// IDs in a ring in arrival order, indexed by a table of cache-line buckets:
// seven 8-byte slots (32 bits of the ID and 32 bits of its ring position) and
// a word for an overflow mark and an insertion cursor. A check reads one
// bucket (now and then two), and one ring entry only when the 32 bits match:
// O(1) with no allocation, and 40 bytes per key at the bound.
//
// Forgetting is free: a slot whose position has left the ring is stale and
// is reused by a later insert into its bucket, so expiry and eviction only
// advance the ring's head. A full bucket spills into the next one and marks
// itself with the newest position that spilled; since the ring forgets in
// arrival order, once that position has left the ring nothing spilled from
// the bucket is held, and lookups stop there.
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

// dead marks a ring entry that was seen again after its window and re-added
// at the tail; it expires at once.
const dead = math.MinInt64

type shard struct {
	mu        sync.Mutex
	ring      []entry // power-of-two length
	head      uint64  // position of the oldest entry
	tail      uint64  // position of the next entry
	headAt    int64   // the oldest entry's time, or math.MaxInt64 if none
	table     []bucket
	maxRing   int
	roomAt    int    // inserts at this many keys held make room first
	dead      int    // dead entries between head and tail
	indexed   uint64 // tail when the table was last rebuilt
	reindex   uint64 // rebuild the table every this many inserts
	watermark int64
	stats     WindowStats
	nextRing  ahead.Array[entry] // growth's arrays, faulted in ahead of it
	nextTable ahead.Array[bucket]
	_         [64]byte // keep shards' locks on separate cache lines
}

// A bucket is a cache line of 8 words. Words 1 to 7 are slots (tag<<32 |
// ring position, or 0). Word 0 holds the overflow mark (markBit | the newest
// ring position that spilled past the bucket, or no markBit) and the cursor,
// the slot the next insert tries first (0 to 6 for slots 1 to 7).
//
// Slots are filled round the bucket from the cursor, so in arrival order,
// and the ring forgets in arrival order: the slot at the cursor is the
// bucket's oldest, the first to go stale, and an insert into a bucket that
// is not full usually takes it at the first try. (Growth and late re-adds
// break the order for a while; an insert then scans the bucket.)
type bucket [bucketWords]uint64

const (
	bucketWords = 8
	markBit     = 1 << 32
	cursorShift = 33
	cursorMask  = 7 << cursorShift
)

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
		s.table = make([]bucket, tableSize(len(s.ring)))
		s.reindex = 1 << 31
		s.headAt = math.MaxInt64
		s.setRoomAt()
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
//
// A large window lives in main memory, and a check's one random read costs
// a memory latency. Dedupe hides most of it: it takes the batch a chunk at a
// time, groups the chunk by shard (shards share nothing, so the result is the
// same as checking in order), and under each shard's lock first prefetches
// the table bucket of every event of the group, so that their misses
// overlap, and only then checks them, from the cache. (Prefetch instructions
// rather than plain loads took BenchmarkWindowDedupe/1Mkeys from a median of
// 152 to 134 ns a check, in five interleaved runs.)
func (w *Window) Dedupe(_ context.Context, batch []odds.Event) ([]odds.Event, error) {
	var dup [chunk]bool
	kept := 0
	for start := 0; start < len(batch); start += chunk {
		c := batch[start:min(start+chunk, len(batch))]
		w.check(c, dup[:len(c)])
		// Close the gaps a run of kept events at a time: an event is 200
		// bytes, and one copy of a run costs less than a copy per event.
		for i := 0; i < len(c); {
			if dup[i] {
				i++
				continue
			}
			run := i
			for i < len(c) && !dup[i] {
				i++
			}
			if kept != start+run {
				copy(batch[kept:], c[run:i])
			}
			kept += i - run
		}
	}
	return batch[:kept], nil
}

// chunk is how many events Dedupe groups by shard at a time.
const chunk = byshard.Max

// check sets dup[i] to whether c[i] was seen, for up to chunk events.
func (w *Window) check(c []odds.Event, dup []bool) {
	if len(c) < 8 || len(w.shards) > chunk {
		for i := range c {
			dup[i] = w.Seen(c[i].ID, w.by.At(&c[i]))
		}
		return
	}
	var shardOf [chunk]uint8
	for i := range c {
		shardOf[i] = uint8(c[i].ID.Hi & w.mask)
	}
	var g byshard.Grouping
	g.Group(shardOf[:len(c)], len(w.shards))
	for k := range w.shards {
		group := g.Shard(k)
		if len(group) == 0 {
			continue
		}
		s := &w.shards[k]
		s.mu.Lock()
		if len(s.table) >= prefetchBuckets {
			s.prefetch(c, group)
		}
		for _, i := range group {
			dup[i] = s.seen(c[i].ID, w.by.At(&c[i]).UnixNano(), w.window)
		}
		s.mu.Unlock()
	}
}

// prefetchBuckets is the table size from which Dedupe prefetches: a
// smaller shard (up to 4,096 keys, 160 KiB with its ring) stays in the
// cache of a core checking it, where prefetching only costs instructions.
const prefetchBuckets = 1024

// prefetch starts loading the home bucket of each event of group.
func (s *shard) prefetch(c []odds.Event, group []uint8) {
	bmask := uint64(len(s.table) - 1)
	for _, i := range group {
		prefetch.Line(unsafe.Pointer(&s.table[home(tag(c[i].ID.Lo), bmask)]))
	}
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

// tag is the slot's upper half: 32 bits of the ID, with the low bit set so
// that a used slot is never 0.
func tag(lo uint64) uint64 { return (lo>>32 | 1) << 32 }

// home returns the home bucket of a tag: the tag's bits above its lowest.
// A slot thus knows its bucket, and growing the table spreads each bucket
// over itself and its twins in the new upper part, without reading the ring.
// The bits that choose the bucket repeat in the tag, so a tag has fewer bits
// to tell IDs apart, down to 17 at a million keys per shard: a false match
// costs one ring read, for about 1 in 20,000 lookups.
func home(tg, bmask uint64) uint64 { return tg >> 33 & bmask }

func (s *shard) seen(id odds.ID, at, window int64) bool {
	s.stats.Checks++
	if at > s.watermark {
		s.watermark = at
		if at-window > s.headAt {
			s.expire(at - window)
		}
	}
	tg := tag(id.Lo)
	// A slot's position p is held if it is in [head, tail). Comparing the low 32
	// bits is exact because the table is rebuilt every 2^31 inserts, so no slot
	// is older than 2^32 positions.
	last, held := uint32(s.tail)-1, uint32(s.tail-s.head)
	table := s.table
	bmask := uint64(len(table) - 1)
	for b := home(tg, bmask); ; b = (b + 1) & bmask {
		bk := &table[b]
		if match(bk, tg) {
			for i := 1; i < bucketWords; i++ {
				if v := bk[i]; v&^0xffffffff == tg && last-uint32(v) < held {
					if dup, ok := s.found(&bk[i], id, at, window); ok {
						return dup
					}
				}
			}
		}
		if m := bk[0]; m&markBit == 0 || last-uint32(m) >= held {
			s.add(id, at, tg)
			return false
		}
	}
}

// match reports whether a slot of bk has the tag tg. Tags match rarely but
// for duplicates, so a check tests the whole bucket in a few instructions a
// slot, without a branch, and looks closer only on a match: a slot has the
// tag exactly when its xor with tg is below 2^32.
func match(bk *bucket, tg uint64) bool {
	return min(bk[1]^tg, bk[2]^tg, bk[3]^tg, bk[4]^tg, bk[5]^tg, bk[6]^tg, bk[7]^tg) < 1<<32
}

// found finishes a check whose tag matched the live slot at slot. ok is false
// if the slot holds another ID.
func (s *shard) found(slot *uint64, id odds.ID, at, window int64) (dup, ok bool) {
	pos := *slot
	e := &s.ring[pos&uint64(len(s.ring)-1)]
	if e.hi != id.Hi || e.lo != id.Lo {
		return false, false
	}
	if d := at - e.at; d <= window && d >= -window {
		s.stats.Duplicates++
		return true, true
	}
	// Seen before, but far enough away in time to count as new: re-add it at
	// the tail, so the ring stays in arrival order and expiry is not held up.
	e.at = dead
	s.dead++
	if uint32(pos) == uint32(s.head) {
		s.headAt = dead
	}
	*slot = 0
	s.add(id, at, tag(id.Lo))
	return false, true
}

// add appends a new ID, whose tag is tg, at the ring's tail, making room
// first, and indexes it.
func (s *shard) add(id odds.ID, at int64, tg uint64) {
	if held := int(s.tail - s.head); held == s.maxRing {
		// A full window's every insert: forget the dead entries at the head
		// (re-adds that expire at once), which makes room, or else the oldest.
		if s.headAt == dead {
			for s.headAt == dead {
				s.removeHead()
			}
		} else {
			s.removeHead()
			s.stats.Evicted++
		}
		s.prefetchAhead(s.head) // and so the tail's: in a full ring they are one
	} else {
		if held >= s.roomAt {
			s.makeRoom()
		}
		s.prefetchAhead(s.tail)
	}
	pos := s.tail
	s.ring[pos&uint64(len(s.ring)-1)] = entry{hi: id.Hi, lo: id.Lo, at: at}
	if pos == s.head {
		s.headAt = at
	}
	s.tail++
	if s.tail-s.indexed >= s.reindex {
		s.rebuild()
		return
	}
	// Most IDs take the slot at their home bucket's cursor, in the line the
	// lookup has just read; index takes the rest.
	bk := &s.table[home(tg, uint64(len(s.table)-1))]
	if i := bk[0]>>cursorShift&7 + 1; i < bucketWords {
		if free(bk[i], uint32(s.tail)-1, uint32(s.tail-s.head)) {
			fill(bk, i, tg|uint64(uint32(pos)))
			return
		}
	}
	s.index(tg, pos)
}

// makeRoom runs before an insert into a ring below the bound and at least
// fifteen sixteenths full.
func (s *shard) makeRoom() {
	if int(s.tail-s.head) == len(s.ring) {
		s.grow()
	} else {
		// Fifteen sixteenths full: fault the next arrays in, a page of each
		// an insert (the sixteenth left is more inserts than they have
		// pages), so that growing is only the move.
		n := s.nextSize()
		s.nextRing.Prepare(n)
		s.nextRing.Touch()
		s.nextTable.Prepare(tableSize(n))
		s.nextTable.Touch()
	}
}

// setRoomAt sets the number of keys held at which inserts make room.
func (s *shard) setRoomAt() {
	s.roomAt = len(s.ring)
	if len(s.ring) < s.maxRing {
		s.roomAt = len(s.ring) - len(s.ring)/16
	}
}

// tableSize is the number of buckets for a ring of n entries: two words an
// entry, so that at the bound a key takes 40 bytes.
func tableSize(n int) int { return max(1, 2*n/bucketWords) }

// index puts ring position pos in the first free or stale slot from the home
// bucket of tg on, marking each full bucket it passes with pos unless the
// bucket's mark is newer (grow indexes out of arrival order).
func (s *shard) index(tg, pos uint64) {
	last, held := uint32(s.tail)-1, uint32(s.tail-s.head)
	table := s.table
	bmask := uint64(len(table) - 1)
	for b := home(tg, bmask); ; b = (b + 1) & bmask {
		bk := &table[b]
		if i := freeSlot(bk, last, held); i != 0 {
			fill(bk, uint64(i), tg|uint64(uint32(pos)))
			return
		}
		// Positions compare by age: their distance from the head.
		if m, head := bk[0], uint32(s.head); m&markBit == 0 || uint32(m)-head >= held || uint32(pos)-head > uint32(m)-head {
			bk[0] = m&cursorMask | markBit | uint64(uint32(pos))
		}
	}
}

// freeSlot returns the first slot of bk that is empty or whose position has
// left the ring [tail-held, tail), or 0 if all are held.
func freeSlot(bk *bucket, last, held uint32) int {
	for i := 1; i < bucketWords; i++ {
		if free(bk[i], last, held) {
			return i
		}
	}
	return 0
}

// free reports whether slot value v is empty or holds a position that has
// left the ring [last+1-held, last].
func free(v uint64, last, held uint32) bool { return v == 0 || last-uint32(v) >= held }

// fill puts slot value v in slot i of bk and moves the cursor past it.
func fill(bk *bucket, i, v uint64) {
	bk[i] = v
	if i == bucketWords-1 {
		i = 0
	}
	bk[0] = bk[0]&^cursorMask | i<<cursorShift
}

// expire forgets entries at the head of the ring first seen before cutoff.
func (s *shard) expire(cutoff int64) {
	for s.headAt < cutoff {
		if s.headAt != dead {
			s.stats.Expired++
		}
		s.removeHead()
	}
	s.prefetchAhead(s.head)
	if s.nextRing.Len() != 0 && 4*int(s.tail-s.head) < 3*len(s.ring) {
		// Expiry keeps the shard from growing: do not hold memory for it.
		s.nextRing.Drop()
		s.nextTable.Drop()
	}
}

// prefetchAhead starts loading the ring entry ringAhead past position pos,
// which a walk along the ring reaches a few inserts into the shard later.
// Two walks need it, the head's and the tail's; a small ring stays in the
// cache and skips it.
//
// The head (expiry and eviction) walks the ring in order, but with the
// other shards' walks in between the processor does not see the stream,
// and without this each cache line of the ring cost a miss
// (BenchmarkWindowSeen/64Kkeys: medians of 125 ns a check without, 73 ns
// with, in eight interleaved runs). It also covers Dedupe's batches, which
// used to prefetch the entries from the head by group.
//
// The tail (inserts) writes lines that are not in the cache (entries that
// expired minutes ago, or a grown ring's fresh ones), and a write to such a
// line waits for it as a read does: without this, normbench over the peer
// feed took 1/0.945 of the time (20 alternating rounds) and
// BenchmarkWindowFill 102-123 ns a check against 77-87. Add prefetches for
// the tail below the bound only: in a full ring the tail is where the head
// was, and the head's prefetch has loaded it.
func (s *shard) prefetchAhead(pos uint64) {
	if len(s.ring) >= prefetchRing {
		prefetch.Line(unsafe.Pointer(&s.ring[(pos+ringAhead)&uint64(len(s.ring)-1)]))
	}
}

const (
	prefetchRing = 4 * prefetchBuckets // the ring of a table of prefetchBuckets
	ringAhead    = 8                   // three cache lines of entries
)

// removeHead forgets the oldest ring entry; its slot, if any, is now stale.
func (s *shard) removeHead() {
	if s.headAt == dead {
		s.dead--
	}
	s.head++
	s.headAt = math.MaxInt64
	if s.head != s.tail {
		s.headAt = s.ring[s.head&uint64(len(s.ring)-1)].at
	}
}

// grow makes the ring and the table four times larger (up to the bound).
// Ring positions stay as they are, so the table's live slots stay valid and
// move in one sequential pass over the old table (a random walk over the
// ring would cost a cache miss per key). Growing fourfold rather than
// twofold moves each key a third as often on the way to the bound; it cut
// the window's growth from 12% to 8% of a profile of the peer benchmark, at
// the price of up to four times the live keys' memory until the bound.
func (s *shard) grow() {
	old, omask := s.ring, uint64(len(s.ring)-1)
	s.ring = s.nextRing.Take(s.nextSize())
	nmask := uint64(len(s.ring) - 1)
	for p := s.head; p != s.tail; {
		i, j := p&omask, p&nmask
		n := min(uint64(len(old))-i, uint64(len(s.ring))-j, s.tail-p)
		copy(s.ring[j:j+n], old[i:i+n])
		p += n
	}
	last, held := uint32(s.tail)-1, uint32(s.tail-s.head)
	oldTable := s.table
	s.table = s.nextTable.Take(tableSize(len(s.ring)))
	for i := range oldTable {
		for _, v := range oldTable[i][1:] {
			if !free(v, last, held) {
				s.index(v&^0xffffffff, uint64(uint32(v)))
			}
		}
	}
	s.setRoomAt()
}

// nextSize is the ring's length after it grows.
func (s *shard) nextSize() int { return min(4*len(s.ring), s.maxRing) }

// rebuild indexes the ring's entries afresh, so that no slot holds a
// position more than 2^32 behind the tail.
func (s *shard) rebuild() {
	clear(s.table)
	rmask := uint64(len(s.ring) - 1)
	for p := s.head; p != s.tail; p++ {
		if e := &s.ring[p&rmask]; e.at != dead {
			s.index(tag(e.lo), p)
		}
	}
	s.indexed = s.tail
}
