package normalize_test

import (
	"errors"
	"fmt"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/normalize/generic"
)

func ExampleRegistry() {
	var reg normalize.Registry
	reg.Register("feedx", "", generic.NewOutcomes(generic.Config{}))

	env := collect.Envelope{Provider: "feedx", Payload: []byte(
		`{"provider":"pinnacle","market_id":"nfl-2026-00042:h2h","timestamp":1795000000123,` +
			`"outcomes":[{"name":"home","price":-110},{"name":"away","price":50}]}`)}
	events, err := reg.Normalize(nil, env)
	for _, e := range events {
		fmt.Println(e.Provider, e.Market, e.Selection, e.Price)
	}
	fmt.Println("dead letter:", err)

	_, err = reg.Normalize(nil, collect.Envelope{Provider: "nobody"})
	fmt.Println(errors.Is(err, normalize.ErrUnknownSchema))
	// Output:
	// pinnacle nfl-2026-00042:h2h home 1.9090909091
	// dead letter: market nfl-2026-00042:h2h outcome 1 "away": odds: invalid odds: American odds 50: must be <= -100 or >= +100
	// true
}
