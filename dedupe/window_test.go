package dedupe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/internal/ahead"
	"github.com/oddsflow/oddsflow/odds"
)

func id(n uint64) odds.ID {
	var h odds.Hasher
	h.AddUint64(n)
	return h.Sum()
}

var t0 = time.Unix(1795000000, 0)

func TestWindowBasics(t *testing.T) {
	w := NewWindow(WindowConfig{Window: time.Minute})
	if w.Seen(id(1), t0) {
		t.Fatal("first sighting reported as duplicate")
	}
	if !w.Seen(id(1), t0.Add(30*time.Second)) {
		t.Fatal("re-send within the window not caught")
	}
	if !w.Seen(id(1), t0.Add(time.Minute)) {
		t.Fatal("re-send at exactly the window's edge not caught (the window is inclusive)")
	}
	// Time moves on: the first sighting leaves the window.
	if w.Seen(id(2), t0.Add(2*time.Minute)) {
		t.Fatal("new ID reported as duplicate")
	}
	if w.Seen(id(1), t0.Add(2*time.Minute)) {
		t.Fatal("ID older than the window still reported as duplicate")
	}
	st := w.Stats()
	if st.Checks != 5 || st.Duplicates != 2 || st.Expired != 1 || st.Keys != 2 {
		t.Errorf("stats = %+v", st)
	}
}

// A late event does not move time backwards: the window is anchored at the
// latest time seen.
func TestWindowLateEvent(t *testing.T) {
	w := NewWindow(WindowConfig{Window: time.Minute, Shards: 1})
	w.Seen(id(1), t0)
	w.Seen(id(2), t0.Add(10*time.Minute))
	if w.Seen(id(1), t0) {
		t.Error("an expired ID came back as a duplicate because a late event arrived")
	}
}

func TestWindowEvictsOldestFirst(t *testing.T) {
	w := NewWindow(WindowConfig{Window: time.Hour, MaxKeys: 256, Shards: 1})
	for i := range uint64(300) {
		w.Seen(id(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	st := w.Stats()
	if st.Evicted != 300-256 || st.Keys != 256 {
		t.Fatalf("stats = %+v, want 44 evicted and 256 held", st)
	}
	// Newest first: duplicates insert nothing, so nothing more is evicted.
	for i := uint64(299); i >= 44; i-- {
		if !w.Seen(id(i), t0.Add(time.Second)) {
			t.Fatalf("id %d was evicted; only the 44 oldest should be", i)
		}
	}
	for i := range uint64(44) {
		if w.Seen(id(i), t0.Add(time.Second)) {
			t.Fatalf("id %d survived; the oldest should be evicted first", i)
		}
	}
}

// The window agrees with a plain map model over a random mix of new IDs,
// re-sends, time steps, growth and expiry.
func TestWindowMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const window = int64(time.Second)
	w := NewWindow(WindowConfig{Window: time.Second, Shards: 4, MaxKeys: 1 << 16})
	model := map[uint64]int64{} // first seen
	now := t0.UnixNano()
	var watermark int64
	for step := range 200000 {
		now += r.Int64N(int64(200 * time.Microsecond))
		k := uint64(step)
		if step > 0 && r.IntN(4) == 0 {
			k = uint64(r.IntN(step)) // a re-send of something older
		}
		at := now
		if r.IntN(50) == 0 {
			at -= r.Int64N(int64(2 * time.Second)) // a late event
		}
		watermark = max(watermark, at)
		first, ok := model[k]
		// A re-send within the window of its first sighting may be a duplicate, and must be
		// while the first sighting is inside the window behind the latest time seen (an
		// entry may outlive that only while an older-arrived one keeps the ring's head).
		d := at - first
		mayDup := ok && d <= window && d >= -window
		mustDup := mayDup && first >= watermark-window
		got := w.Seen(id(k), time.Unix(0, at))
		if (got && !mayDup) || (!got && mustDup) {
			t.Fatalf("step %d: id %d duplicate = %v (first %d, at %d, watermark %d)", step, k, got, first, at, watermark)
		}
		if !got {
			model[k] = at
		}
	}
	if st := w.Stats(); st.Evicted != 0 || st.Duplicates == 0 || st.Expired == 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestDedupeBatch(t *testing.T) {
	w := NewWindow(WindowConfig{})
	batch := []odds.Event{{ID: id(1), Selection: "a"}, {ID: id(2), Selection: "b"}, {ID: id(1), Selection: "a again"}, {ID: id(3), Selection: "c"}}
	for i := range batch {
		batch[i].ReceivedAt = t0
	}
	kept, err := w.Dedupe(context.Background(), batch)
	if err != nil || len(kept) != 3 || kept[0].Selection != "a" || kept[1].Selection != "b" || kept[2].Selection != "c" {
		t.Fatalf("kept %v, %v", kept, err)
	}
	kept, _ = w.Dedupe(context.Background(), []odds.Event{{ID: id(2), ReceivedAt: t0}})
	if len(kept) != 0 {
		t.Fatalf("second batch kept %v", kept)
	}
}

func TestWindowNoAllocs(t *testing.T) {
	w := NewWindow(WindowConfig{MaxKeys: 1 << 12, Shards: 1})
	i := uint64(0)
	for range 1 << 13 { // fill to the bound, so no growth below
		w.Seen(id(i), t0)
		i++
	}
	allocs := testing.AllocsPerRun(1000, func() {
		w.Seen(id(i), t0)
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per check", allocs)
	}
}

func TestTimeSource(t *testing.T) {
	e := odds.Event{ReceivedAt: t0, SourceTime: t0.Add(time.Hour)}
	if !ReceiveTime.At(&e).Equal(t0) || !SourceTime.At(&e).Equal(t0.Add(time.Hour)) {
		t.Error("wrong time chosen")
	}
	e.SourceTime = time.Time{}
	if !SourceTime.At(&e).Equal(t0) {
		t.Error("no fallback to receive time")
	}
}

// Keys are generated ahead so the benchmark measures the window, not the hash.
func benchIDs(n int) []odds.ID {
	ids := make([]odds.ID, n)
	for i := range ids {
		ids[i] = id(uint64(i))
	}
	return ids
}

// BenchmarkWindowSeen: one core, a window holding `keys` IDs at its bound,
// 97% new IDs and 3% re-sends (the feed's mix), expiry and eviction live.
// At 4K keys (160 KiB) the window stays in a core's L2 cache, so that size
// shows the check's own cost; larger ones add the cache misses.
func BenchmarkWindowSeen(b *testing.B) {
	for _, keys := range []int{1 << 12, 1 << 14, 1 << 16, 1 << 20} {
		b.Run(byteSize(keys), func(b *testing.B) {
			ids := benchIDs(1 << 22)
			w := NewWindow(WindowConfig{Window: time.Hour, MaxKeys: keys})
			for i := range keys { // fill to the bound
				w.Seen(ids[i], t0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			i, at := keys, t0.UnixNano()
			for b.Loop() {
				k := i
				if i%33 == 0 {
					k = i - 1 // a re-send
				}
				w.Seen(ids[k&(len(ids)-1)], time.Unix(0, at))
				i++
				at += 1000
			}
		})
	}
}

// BenchmarkWindowDedupe: as BenchmarkWindowSeen, through Dedupe in batches
// of 256 events, as a pipeline stage calls it.
func BenchmarkWindowDedupe(b *testing.B) {
	for _, keys := range []int{1 << 12, 1 << 14, 1 << 16, 1 << 20} {
		b.Run(byteSize(keys), func(b *testing.B) {
			ids := benchIDs(1 << 22)
			w := NewWindow(WindowConfig{Window: time.Hour, MaxKeys: keys})
			for i := range keys {
				w.Seen(ids[i], t0)
			}
			batch := make([]odds.Event, 256)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			i, at := keys, t0.UnixNano()
			for b.Loop() {
				for j := range batch {
					k := i
					if i%33 == 0 {
						k = i - 1
					}
					batch[j].ID, batch[j].ReceivedAt = ids[k&(len(ids)-1)], time.Unix(0, at)
					i++
					at += 1000
				}
				w.Dedupe(ctx, batch)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/check")
		})
	}
}

// BenchmarkWindowFill: one core, a default window, new each time, takes a
// million IDs (3% re-sends) in batches of 256, a millisecond apart, as the
// peer benchmark's run does: it grows to its bound and expires as it goes,
// so its ring's tail writes into memory no check has read yet.
func BenchmarkWindowFill(b *testing.B) {
	const n = 1 << 20
	ids := benchIDs(n)
	batch := make([]odds.Event, 256)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		w := NewWindow(WindowConfig{})
		at := t0.UnixNano()
		for i := 0; i < n; i += len(batch) {
			for j := range batch {
				k := i + j
				if k%33 == 0 && k > 0 {
					k-- // a re-send
				}
				batch[j].ID, batch[j].ReceivedAt = ids[k], time.Unix(0, at)
				at += int64(time.Millisecond)
			}
			w.Dedupe(ctx, batch)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/check")
}

// BenchmarkWindowGrowth times the one check that grows a shard from 16,384
// to 65,536 keys (16,384 move), into memory just returned to the operating
// system, as a growing process's fresh memory is: with the arrays faulted in
// ahead over the inserts before, as the Window does, and with them dropped
// first, as before it did.
func BenchmarkWindowGrowth(b *testing.B) {
	ids := benchIDs(1<<14 + 1)
	for _, faultedAhead := range []bool{true, false} {
		name := map[bool]string{true: "faulted-ahead", false: "fresh-memory"}[faultedAhead]
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				w := NewWindow(WindowConfig{Window: time.Hour, MaxKeys: 1 << 16, Shards: 1})
				for _, id := range ids[:1<<14] {
					w.Seen(id, t0)
				}
				s := &w.shards[0]
				if !faultedAhead {
					s.nextRing, s.nextTable = ahead.Array[entry]{}, ahead.Array[bucket]{}
				}
				debug.FreeOSMemory() // what earlier runs left is fresh again
				b.StartTimer()
				w.Seen(ids[1<<14], t0)
				b.StopTimer()
				if len(s.ring) != 1<<16 {
					b.Fatalf("ring of %d after the growing check; want %d", len(s.ring), 1<<16)
				}
			}
		})
	}
}

func byteSize(keys int) string {
	if keys >= 1<<20 {
		return fmt.Sprintf("%dMkeys", keys>>20)
	}
	return fmt.Sprintf("%dKkeys", keys>>10)
}

// BenchmarkWindowMemory reports the heap bytes per key of a full window.
func BenchmarkWindowMemory(b *testing.B) {
	const keys = 1 << 20
	ids := benchIDs(keys)
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w := NewWindow(WindowConfig{Window: time.Hour, MaxKeys: keys})
		for _, id := range ids {
			w.Seen(id, t0)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/keys, "bytes/key")
		runtime.KeepAlive(w)
	}
}

// With no expiry, exactly the last MaxKeys IDs are held, through growth and
// eviction, however the table's probe chains shift.
func TestWindowHoldsExactlyTheNewest(t *testing.T) {
	w := NewWindow(WindowConfig{Window: time.Hour, MaxKeys: 256, Shards: 1})
	for i := range uint64(100000) {
		w.Seen(id(i), t0)
		if i > 300 && i%97 == 0 {
			for j := i - 255; j <= i; j++ {
				if !w.Seen(id(j), t0) {
					t.Fatalf("after %d: id %d missing", i, j)
				}
			}
		}
	}
}

// IDs that share a home bucket spill into the next buckets; with the table
// also rebuilt every few hundred inserts, the window still holds exactly
// the newest MaxKeys IDs, as a first-in first-out model does.
func TestWindowSpillsAndReindexes(t *testing.T) {
	const maxKeys = 256
	w := NewWindow(WindowConfig{Window: time.Hour, MaxKeys: maxKeys, Shards: 1})
	w.shards[0].reindex = 300
	key := func(n uint64) odds.ID {
		if n%3 == 0 {
			return id(n)
		}
		return odds.ID{Hi: n, Lo: n<<40 | 7} // tag bits 1-7 are 0: all in bucket 0 of 64
	}
	r := rand.New(rand.NewPCG(3, 4))
	var fifo []uint64
	held := map[uint64]bool{}
	for i := range uint64(50000) {
		k := i
		if i > 0 && r.IntN(2) == 0 {
			k = i - 1 - uint64(r.IntN(int(min(i, 2*maxKeys)))) // recent: held or just evicted
		}
		want := held[k]
		if got := w.Seen(key(k), t0); got != want {
			t.Fatalf("step %d: id %d seen = %v, want %v", i, k, got, want)
		}
		if !want {
			fifo = append(fifo, k)
			held[k] = true
			if len(fifo) > maxKeys {
				delete(held, fifo[0])
				fifo = fifo[1:]
			}
		}
	}
	if st := w.Stats(); st.Keys != maxKeys || st.Evicted == 0 {
		t.Errorf("stats = %+v", st)
	}
}

// A window that grows from its smallest ring to its bound, through spilled
// buckets, late events that re-add an ID (leaving a dead ring entry), expiry
// and eviction, must answer every check as a plain model of the documented
// behaviour does.
func TestWindowGrowsLikeModel(t *testing.T) {
	const maxKeys = 1 << 13
	window := time.Second
	w := NewWindow(WindowConfig{Window: window, MaxKeys: maxKeys, Shards: 1})
	key := func(n uint64) odds.ID {
		if n%3 == 0 {
			return odds.ID{Hi: n, Lo: n<<40 | 7} // spill until the table outgrows 128 buckets
		}
		return id(n)
	}
	type entry struct {
		k    uint64
		at   int64
		dead bool
	}
	var (
		ring []entry // from the oldest entry held
		live = map[uint64]int{}
		base int // ring[0]'s position
		wm   int64
	)
	pop := func() {
		if !ring[0].dead {
			delete(live, ring[0].k)
		}
		ring, base = ring[1:], base+1
	}
	modelSeen := func(k uint64, at int64) bool {
		if at > wm {
			wm = at
			for len(ring) > 0 && ring[0].at < wm-int64(window) {
				pop()
			}
		}
		if p, ok := live[k]; ok {
			if d := at - ring[p-base].at; d <= int64(window) && d >= -int64(window) {
				return true
			}
			ring[p-base].dead = true
			delete(live, k)
		}
		if len(ring) == maxKeys {
			for len(ring) > 0 && ring[0].dead {
				pop()
			}
			if len(ring) == maxKeys {
				pop()
			}
		}
		ring = append(ring, entry{k: k, at: at})
		live[k] = base + len(ring) - 1
		return false
	}
	r := rand.New(rand.NewPCG(7, 8))
	now := t0.UnixNano()
	var next uint64
	for i := range 60000 {
		now += int64(r.IntN(150)) * int64(time.Microsecond)
		k := next
		if next > 0 && r.IntN(3) == 0 {
			k = next - 1 - uint64(r.IntN(int(min(next, 3*maxKeys))))
		} else {
			next++
		}
		at := now
		if r.IntN(50) == 0 {
			at -= int64(r.IntN(3000)) * int64(time.Millisecond) // late, maybe past the window
		}
		want := modelSeen(k, at)
		if got := w.Seen(key(k), time.Unix(0, at)); got != want {
			t.Fatalf("step %d: id %d seen = %v, want %v", i, k, got, want)
		}
	}
	st := w.Stats()
	if len(w.shards[0].ring) != maxKeys || st.Evicted == 0 || st.Expired == 0 {
		t.Errorf("ring %d, stats %+v: the run should grow to the bound, evict and expire", len(w.shards[0].ring), st)
	}
	if held := len(live); st.Keys != held {
		t.Errorf("keys = %d, model holds %d", st.Keys, held)
	}
}

// A shard fifteen sixteenths full prepares the arrays it grows into, and
// growing takes them, with every key held as before.
func TestWindowGrowsIntoPreparedArrays(t *testing.T) {
	w := NewWindow(WindowConfig{Window: time.Hour, MaxKeys: 1 << 12, Shards: 1})
	s := &w.shards[0]
	n := uint64(0)
	add := func(count int) {
		for range count {
			if w.Seen(id(n), t0) {
				t.Fatalf("new id %d seen", n)
			}
			n++
		}
	}
	add(15 * minRing / 16)
	if s.nextRing.Len() != 0 || s.nextTable.Len() != 0 {
		t.Fatalf("arrays prepared at %d of %d keys; want them at fifteen sixteenths", n, minRing)
	}
	add(1)
	if s.nextRing.Len() != 4*minRing || s.nextTable.Len() != tableSize(4*minRing) {
		t.Fatalf("prepared ring %d and table %d at fifteen sixteenths; want %d and %d buckets",
			s.nextRing.Len(), s.nextTable.Len(), 4*minRing, tableSize(4*minRing))
	}
	add(minRing - int(n) + 1) // one past full: grows
	if len(s.ring) != 4*minRing || len(s.table) != tableSize(4*minRing) || s.nextRing.Len() != 0 || s.nextTable.Len() != 0 {
		t.Fatalf("after growing: ring %d, table %d, still prepared %d and %d",
			len(s.ring), len(s.table), s.nextRing.Len(), s.nextTable.Len())
	}
	for k := range n {
		if !w.Seen(id(k), t0) {
			t.Fatalf("id %d forgotten by growing", k)
		}
	}
}

// A shard that expiry brings back below three quarters full lets the
// arrays it prepared go: it may never grow into them.
func TestWindowDropsPreparedArrays(t *testing.T) {
	w := NewWindow(WindowConfig{Window: time.Second, MaxKeys: 1 << 12, Shards: 1})
	s := &w.shards[0]
	for n := range uint64(15*minRing/16 + 1) {
		w.Seen(id(n), t0)
	}
	if s.nextRing.Len() == 0 {
		t.Fatal("no arrays prepared at fifteen sixteenths full")
	}
	w.Seen(id(1<<40), t0.Add(2*time.Second)) // everything before has expired
	if s.nextRing.Len() != 0 || s.nextTable.Len() != 0 {
		t.Fatalf("%d keys held, arrays of %d and %d still prepared", s.tail-s.head, s.nextRing.Len(), s.nextTable.Len())
	}
}

// Dedupe groups large batches by shard; it must keep exactly what checking
// the events one by one keeps, in order, with the same counts, through
// duplicates within a batch, late events, expiry and eviction.
func TestDedupeGroupedMatchesSeen(t *testing.T) {
	cfg := WindowConfig{Window: time.Second, MaxKeys: 1024, Shards: 4}
	grouped, single := NewWindow(cfg), NewWindow(cfg)
	r := rand.New(rand.NewPCG(5, 6))
	now := t0
	n := uint64(0)
	for range 300 {
		batch := make([]odds.Event, r.IntN(600))
		for i := range batch {
			now = now.Add(time.Duration(r.IntN(1000)) * time.Microsecond)
			k := n
			if n > 0 && r.IntN(3) == 0 {
				k = n - 1 - uint64(r.IntN(int(min(n, 8000))))
			} else {
				n++
			}
			at := now
			if r.IntN(40) == 0 {
				at = at.Add(-time.Duration(r.IntN(3000)) * time.Millisecond)
			}
			batch[i] = odds.Event{ID: id(k), ReceivedAt: at, Seq: uint64(i)}
		}
		var want []uint64
		for i := range batch {
			if !single.Seen(batch[i].ID, batch[i].ReceivedAt) {
				want = append(want, batch[i].Seq)
			}
		}
		kept, _ := grouped.Dedupe(context.Background(), batch)
		var got []uint64
		for _, e := range kept {
			got = append(got, e.Seq)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("kept %v, want %v", got, want)
		}
	}
	if g, s := grouped.Stats(), single.Stats(); g != s || s.Expired == 0 || s.Evicted == 0 || s.Duplicates == 0 {
		t.Fatalf("stats %+v, want %+v (all kinds non-zero)", g, s)
	}
}
