package book_test

import (
	"fmt"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/odds/book"
	"github.com/shopspring/decimal"
)

func Example() {
	b := book.New(book.Config{})
	at := time.Unix(1795000000, 0)
	quote := func(provider, sel, price string) {
		p, _ := odds.Parse(price)
		b.Apply(odds.Event{Provider: provider, Market: "nba-2026-0101:h2h", Selection: sel, Price: p, SourceTime: at})
	}
	quote("pinnacle", "home", "-105")
	quote("pinnacle", "away", "-115")
	quote("fanduel", "away", "+110")

	for _, x := range b.Best("nba-2026-0101:h2h") {
		fmt.Println(x.Selection, x.Price, x.Provider)
	}
	for _, a := range b.Arbitrage("nba-2026-0101:h2h", decimal.NewFromInt(100)) {
		fmt.Println("stakes", a.Stakes[0], a.Stakes[1], "payout", a.Payout, "profit", a.Profit)
	}
	// Output:
	// home 1.9523809524 pinnacle
	// away 2.1 fanduel
	// stakes 51.82 48.18 payout 101.17 profit 1.17
}
