package oddsapi_test

import (
	"fmt"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize/oddsapi"
)

func ExampleNormalizer() {
	body := `[{"id":"e9123","sport_key":"americanfootball_nfl","home_team":"Kansas City Chiefs","away_team":"Buffalo Bills",
	 "bookmakers":[{"key":"draftkings","last_update":"2026-11-21T23:58:10Z","markets":[
	  {"key":"spreads","outcomes":[{"name":"Buffalo Bills","price":1.91,"point":2.5},{"name":"Kansas City Chiefs","price":1.91,"point":-2.5}]}]}]}]`
	var n oddsapi.Normalizer
	events, err := n.Normalize(nil, collect.Envelope{Provider: "oddsapi", Payload: []byte(body)})
	if err != nil {
		panic(err)
	}
	for _, e := range events {
		fmt.Println(e.Provider, e.Market, e.Selection, e.Line.Decimal, e.Price, e.SourceTime.Format("15:04:05"))
	}
	// Output:
	// draftkings e9123:spreads Buffalo Bills 2.5 1.91 23:58:10
	// draftkings e9123:spreads Kansas City Chiefs -2.5 1.91 23:58:10
}
