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
// by their [odds.ID]: a map with small keys stays in the cache where one
// keyed by the strings themselves, for hundreds of thousands of selections,
// would not.
type Sequencer struct {
	mu   sync.Mutex
	last map[odds.ID]position
}

// selection returns the key of e's provider, market, selection, side and line.
func selection(e *odds.Event) odds.ID {
	var h odds.Hasher
	h.AddString(e.Provider)
	h.AddString(e.Market)
	h.AddString(e.Selection)
	h.AddUint64(uint64(e.Side))
	h.AddLine(odds.LineKeyOf(e.Line))
	return h.Sum()
}

// position is where a selection was last updated: its sequence, and its
// provider time as Unix seconds and nanoseconds (exact for any time, unlike
// UnixNano). It holds no pointer, so the map stores it in place and the
// garbage collector never scans the map.
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
	k, now := selection(e), positionOf(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.last[k]; ok {
		if now.seq != 0 && last.seq != 0 {
			if now.seq < last.seq {
				return false
			}
		} else if now.before(last) {
			return false
		}
	} else if s.last == nil {
		s.last = make(map[odds.ID]position)
	}
	s.last[k] = now
	return true
}

// Forget drops the positions of selections last updated before t, and
// returns how many it dropped. An event for one of them later is admitted.
func (s *Sequencer) Forget(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	cutoff := position{sec: t.Unix(), nsec: int32(t.Nanosecond())}
	for k, p := range s.last {
		if p.before(cutoff) {
			delete(s.last, k)
			n++
		}
	}
	return n
}
