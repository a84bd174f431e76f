// Package simfeed is a simulated odds provider for the examples: a
// WebSocket endpoint that, after a subscription, streams updates in the
// outcome-list shape, about 3% of them exact re-sends and 0.5% malformed,
// as real feeds have.
package simfeed

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Provider is a running simulated feed.
type Provider struct {
	URL     string
	srv     *http.Server
	rate    int
	markets int
	sent    atomic.Int64
}

// Start serves a feed of rate messages per second over markets markets on a
// free loopback port; every connection gets its own stream.
func Start(rate, markets int) (*Provider, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Provider{URL: "ws://" + l.Addr().String() + "/feed", rate: rate, markets: markets}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 5 * time.Second}
	go p.srv.Serve(l)
	return p, nil
}

// Close stops the feed.
func (p *Provider) Close() error { return p.srv.Close() }

// Sent returns how many messages the provider has sent.
func (p *Provider) Sent() int64 { return p.sent.Load() }

var books = []string{"pinnacle", "draftkings", "fanduel", "bet365", "betmgm"}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{WriteBufferSize: 64 << 10}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	if _, _, err := c.ReadMessage(); err != nil { // the subscription
		return
	}
	go func() { // read, so pings are answered and a close is noticed
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				c.Close()
				return
			}
		}
	}()
	rnd := rand.New(rand.NewPCG(1, 2))
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var last []byte
	owed := 0.0
	for range tick.C {
		owed += float64(p.rate) / 1000
		for ; owed >= 1; owed-- {
			msg := p.message(rnd, last)
			if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
			p.sent.Add(1)
			last = msg
		}
	}
}

func american(rnd *rand.Rand) int {
	if rnd.IntN(2) == 0 {
		return -101 - rnd.IntN(300)
	}
	return 100 + rnd.IntN(350)
}

func (p *Provider) message(rnd *rand.Rand, last []byte) []byte {
	switch x := rnd.IntN(1000); {
	case x < 30 && last != nil:
		return last // an exact re-send
	case x < 35:
		return []byte(`{"provider":"fanduel","market_id":"nfl-2026-00001:h2h","timestamp":` + fmt.Sprint(time.Now().UnixMilli())) // cut off
	}
	game := rnd.IntN(max(p.markets/3, 1))
	book := books[rnd.IntN(len(books))]
	ts := time.Now().UnixMilli()
	switch rnd.IntN(3) {
	case 0:
		return fmt.Appendf(nil, `{"provider":%q,"market_id":"nfl-2026-%05d:h2h","timestamp":%d,"outcomes":[{"name":"home","price":%d},{"name":"away","price":%d}]}`,
			book, game, ts, american(rnd), american(rnd))
	case 1:
		line := float64(rnd.IntN(29)-14) / 2
		return fmt.Appendf(nil, `{"provider":%q,"market_id":"nfl-2026-%05d:spreads","timestamp":%d,"outcomes":[{"name":"home","price":%d,"line":%g},{"name":"away","price":%d,"line":%g}]}`,
			book, game, ts, american(rnd), line, american(rnd), -line)
	default:
		total := 35 + float64(rnd.IntN(30))/2
		return fmt.Appendf(nil, `{"provider":%q,"market_id":"nfl-2026-%05d:totals","timestamp":%d,"outcomes":[{"name":"over","price":%d,"line":%g},{"name":"under","price":%d,"line":%g}]}`,
			book, game, ts, american(rnd), total, american(rnd), total)
	}
}
