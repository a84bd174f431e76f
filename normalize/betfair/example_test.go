package betfair_test

import (
	"fmt"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize/betfair"
)

func ExampleNormalizer() {
	n := betfair.New()
	for _, msg := range []string{
		`{"op":"mcm","initialClk":"G1","clk":"AAA","pt":1650392673420,"ct":"SUB_IMAGE","mc":[{"id":"1.197931750","img":true,` +
			`"marketDefinition":{"status":"OPEN","runners":[{"id":42930960,"status":"ACTIVE"}]},` +
			`"rc":[{"id":42930960,"atb":[[8.8,18.62],[8.6,4.83]],"atl":[[9,5.45],[9.2,5.49]]}]}]}`,
		`{"op":"mcm","clk":"AAB","pt":1650392674421,"mc":[{"id":"1.197931750","rc":[{"id":42930960,"atb":[[8.8,0]]}]}]}`,
		`{"op":"mcm","clk":"AAC","pt":1650392679000,"ct":"HEARTBEAT"}`,
	} {
		events, err := n.Normalize(nil, collect.Envelope{Provider: betfair.Provider, Payload: []byte(msg)})
		if err != nil {
			panic(err)
		}
		for _, e := range events {
			fmt.Println(e.Market, e.Selection, e.Side, e.Price, e.Size.Decimal, e.Status)
		}
	}
	initial, clk := n.Clocks()
	fmt.Println("resume with", initial, clk)
	// Output:
	// 1.197931750 42930960 back 8.8 18.62 open
	// 1.197931750 42930960 lay 9 5.45 open
	// 1.197931750 42930960 back 8.6 4.83 open
	// resume with G1 AAC
}
