package sinktest_test

import (
	"fmt"

	"github.com/oddsflow/oddsflow/sink/sinktest"
)

// Events gives every adapter's test the same realistic events: prices,
// lines, sizes, sequences and times, over a few markets.
func ExampleEvents() {
	for _, e := range sinktest.Events(0, 3, 2) {
		fmt.Println(e.Provider, e.Market, e.Selection, e.Price, e.Line.Decimal, e.Seq)
	}
	// Output:
	// pinnacle nfl-2026-00000:spreads home 2 -5 1
	// draftkings nfl-2026-00001:spreads home 1.9900990099 -4.5 2
	// pinnacle nfl-2026-00000:spreads away 2.02 -4 3
}
