package normalize

import (
	"fmt"
	"runtime/debug"
	"testing"

	"github.com/oddsflow/oddsflow/internal/ahead"
	"github.com/oddsflow/oddsflow/odds"
)

// shardZeroSelections returns events of n different selections, all of
// them kept in shard 0, at t0.
func shardZeroSelections(n int) []odds.Event {
	var events []odds.Event
	for m := 0; len(events) < n; m++ {
		e := odds.Event{Provider: "p", Market: fmt.Sprint("m", m), Selection: "home", SourceTime: t0}
		if selection(&e).Hi>>60 == 0 {
			events = append(events, e)
		}
	}
	return events
}

// BenchmarkSequencerGrowth times the one admit that grows a shard from
// 8,192 to 16,384 slots (4,096 selections move), into memory just returned
// to the operating system, as a growing process's fresh memory is: with the
// table faulted in ahead over the admits before, as the Sequencer does, and
// with that table dropped first, as before it did.
func BenchmarkSequencerGrowth(b *testing.B) {
	events := shardZeroSelections(4097)
	for _, faultedAhead := range []bool{true, false} {
		name := map[bool]string{true: "faulted-ahead", false: "fresh-memory"}[faultedAhead]
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				var s Sequencer
				for i := range 4096 {
					s.Admit(&events[i])
				}
				sh := &s.shards[0]
				if !faultedAhead {
					sh.next = ahead.Array[seqSlot]{}
				}
				debug.FreeOSMemory() // what earlier runs left is fresh again
				b.StartTimer()
				s.Admit(&events[4096])
				b.StopTimer()
				if len(sh.slots) != 16384 {
					b.Fatalf("table of %d slots after the growing admit; want 16384", len(sh.slots))
				}
			}
		})
	}
}
