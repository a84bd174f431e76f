package generic_test

import (
	"fmt"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize/generic"
)

func ExampleOutcomes() {
	n := generic.NewOutcomes(generic.Config{})
	env := collect.Envelope{Payload: []byte(`{"provider":"pinnacle","market_id":"nfl-2026-00042:spreads",` +
		`"timestamp":1795000000123,"outcomes":[{"name":"home","price":-110,"line":-3.5},{"name":"away","price":-105,"line":3.5}]}`)}
	events, err := n.Normalize(nil, env)
	if err != nil {
		panic(err)
	}
	for _, e := range events {
		fmt.Println(e.Selection, e.Line.Decimal, e.Price, e.SourceTime.Format("15:04:05.000"))
	}
	// Output:
	// home -3.5 1.9090909091 11:06:40.123
	// away 3.5 1.9523809524 11:06:40.123
}

func ExampleGames() {
	n := generic.NewGames(generic.Config{})
	env := collect.Envelope{Provider: "espnbet", Payload: []byte(`{"gameId":"401547","isOpen":false,` +
		`"home":-3.5,"away":3.5,"homeOdds":-110,"awayOdds":-105,"date":"2026-11-21T23:59:58Z"}`)}
	events, _ := n.Normalize(nil, env)
	for _, e := range events {
		fmt.Println(e.Market, e.Selection, e.Line.Decimal, e.Price, e.Status)
	}
	// Output:
	// 401547:spreads home -3.5 1.9090909091 suspended
	// 401547:spreads away 3.5 1.9523809524 suspended
}
