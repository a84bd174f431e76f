package simfeed

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// appendHalf writes what %g writes for every line the feed quotes.
func TestAppendHalf(t *testing.T) {
	for h := -40; h <= 130; h++ {
		v := float64(h) / 2
		if got, want := string(appendHalf(nil, v)), strconv.FormatFloat(v, 'g', -1, 64); got != want {
			t.Errorf("%v: %s want %s", v, got, want)
		}
	}
}

// A connection's share quotes its games and no other; the shares of n
// connections cover every game once.
func TestSharesSplitTheGames(t *testing.T) {
	const n, of = 200, 3
	quoted := map[int]int{}
	for part := range of {
		g := newGames(n, part, of)
		for i := range g.n {
			game := g.first + g.of*i
			if game >= n || game%of != part {
				t.Fatalf("share %d of %d quotes game %d", part, of, game)
			}
			quoted[game]++
		}
	}
	for game := range n {
		if quoted[game] != 1 {
			t.Fatalf("game %d quoted by %d shares; want 1", game, quoted[game])
		}
	}
	if all := newGames(n, 0, 0); all != (games{0, 1, n}) {
		t.Fatalf("no share asked for: %+v, want every game", all)
	}
}

// After Stop, Sent is final, and connections that read on get exactly that
// many messages.
func TestStopLetsReadersDrain(t *testing.T) {
	p, err := Start(20000, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	reads := make(chan struct{}, 1024)
	var readers sync.WaitGroup
	var conns []*websocket.Conn
	for i := range 2 {
		c, _, err := websocket.DefaultDialer.Dial(p.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"part":%d,"of":2}`, i)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		readers.Go(func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				reads <- struct{}{}
			}
		})
	}
	timeout := time.After(10 * time.Second) // fails the test; nothing waits on it
	read := int64(0)
	await := func(n int64) {
		for ; read < n; read++ {
			select {
			case <-reads:
			case <-timeout:
				t.Fatalf("read %d messages of %d", read, n)
			}
		}
	}
	await(1000) // the feed is flowing
	p.Stop()
	sent := p.Sent()
	await(sent)
	for _, c := range conns {
		c.Close()
	}
	readers.Wait()
	if extra := len(reads); extra != 0 || p.Sent() != sent {
		t.Fatalf("Sent was %d at Stop and is %d now; %d messages read past it", sent, p.Sent(), extra)
	}
}
