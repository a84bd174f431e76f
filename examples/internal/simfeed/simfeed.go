// Package simfeed is a simulated odds provider for the examples: a
// WebSocket endpoint that, after a subscription, streams updates in the
// outcome-list shape, about 3% of them exact re-sends and 0.5% malformed,
// as real feeds have.
package simfeed

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
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
	conns   atomic.Int64 // connections served so far

	mu      sync.Mutex
	stopped bool
	stop    chan struct{}  // closed by Stop
	sending sync.WaitGroup // connections that may still send
}

// Start serves a feed of rate messages per second over markets markets on a
// free loopback port; every connection gets its own stream.
func Start(rate, markets int) (*Provider, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Provider{URL: "ws://" + l.Addr().String() + "/feed", rate: rate, markets: markets, stop: make(chan struct{})}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 5 * time.Second}
	go p.srv.Serve(l)
	return p, nil
}

// Close stops the feed.
func (p *Provider) Close() error { return p.srv.Close() }

// Sent returns how many messages the provider has sent.
func (p *Provider) Sent() int64 { return p.sent.Load() }

// Stop ends the feed: every connection flushes what it has sent and sends
// nothing more, and stays open. Stop returns once they all have, so that
// Sent is then final, and a reader that drains its connections gets exactly
// that many messages.
func (p *Provider) Stop() {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.stop)
	}
	p.mu.Unlock()
	p.sending.Wait()
}

// startSending reports whether a new connection may send, and if so counts
// it among those Stop waits for.
func (p *Provider) startSending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	p.sending.Add(1)
	return true
}

// flushEvery is how often the feed writes what is due.
const flushEvery = 250 * time.Microsecond

var books = []string{"pinnacle", "draftkings", "fanduel", "bet365", "betmgm"}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	_, subscription, err := c.ReadMessage()
	if err != nil {
		return
	}
	// {"part":i,"of":n} asks for the i-th of n shares of the games, as a
	// feed split over n connections would: each game on one connection.
	var share struct{ Part, Of int }
	json.Unmarshal(subscription, &share)
	games := newGames(max(p.markets/3, 1), share.Part, share.Of)
	// From here on the feed writes its frames itself, into a buffer flushed
	// every flushEvery: a feed of 200K messages a second would otherwise
	// spend a core on one write call per message. Pings are answered
	// through the same writer, so frames never interleave.
	pings := make(chan []byte, 16)
	c.SetPingHandler(func(data string) error {
		select {
		case pings <- []byte(data):
		default:
		}
		return nil
	})
	closed := make(chan struct{})
	go func() { // read, so pings are seen and a close is noticed
		defer close(closed)
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	out := bufio.NewWriterSize(c.NetConn(), 256<<10)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	ticks, stop := tick.C, p.stop
	sending := p.startSending()
	if !sending {
		ticks, stop = nil, nil
	}
	defer func() {
		if sending {
			p.sending.Done()
		}
	}()
	// Each connection its own sequence: streams that sent the same messages at
	// the same millisecond would be exact duplicates of each other.
	rnd := rand.New(rand.NewPCG(1, 1+uint64(p.conns.Add(1))))
	var last, spare []byte
	start, sent := time.Now(), int64(0)
	for {
		select {
		case <-closed:
			return
		case data := <-pings:
			writeFrame(out, 0xA, data) // pong
		case <-stop:
			ticks, stop = nil, nil
		case now := <-ticks:
			// What is due by now, so a late tick does not lower the rate.
			due := int64(float64(p.rate)*now.Sub(start).Seconds()) - sent
			ts := now.UnixMilli() // one clock read a tick, not a message
			for ; due > 0; due-- {
				sent++
				msg, resend := games.message(rnd, ts, last, spare[:0])
				writeFrame(out, 0x1, msg)
				p.sent.Add(1)
				if !resend {
					spare, last = last, msg
				}
			}
		}
		if err := out.Flush(); err != nil {
			return
		}
		if sending && stop == nil { // stopped, and all it sent is flushed
			sending = false
			p.sending.Done()
		}
	}
}

// writeFrame writes one unmasked server frame (RFC 6455 §5.2) of opcode op.
func writeFrame(w *bufio.Writer, op byte, payload []byte) {
	w.WriteByte(0x80 | op)
	switch n := len(payload); {
	case n < 126:
		w.WriteByte(byte(n))
	case n < 1<<16:
		var b [2]byte
		binary.BigEndian.PutUint16(b[:], uint16(n))
		w.WriteByte(126)
		w.Write(b[:])
	default:
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(n))
		w.WriteByte(127)
		w.Write(b[:])
	}
	w.Write(payload)
}

func american(rnd *rand.Rand) int {
	if rnd.IntN(2) == 0 {
		return -101 - rnd.IntN(300)
	}
	return 100 + rnd.IntN(350)
}

// games are the games a connection quotes: every of-th from first.
type games struct{ first, of, n int }

// newGames returns share part of of of the feed's n games (all of them for
// a share that does not make sense).
func newGames(n, part, of int) games {
	if of < 1 || part < 0 || part >= of || part >= n {
		return games{0, 1, n}
	}
	return games{part, of, (n - part + of - 1) / of}
}

// message appends the next message to dst, or returns last again as an exact
// re-send. It builds the text with strconv, not fmt, so that the simulator,
// which shares the process with the pipeline it feeds, allocates nothing per
// message and does not add garbage-collection pauses to the latencies.
func (g games) message(rnd *rand.Rand, ts int64, last, dst []byte) (msg []byte, resend bool) {
	switch x := rnd.IntN(1000); {
	case x < 30 && last != nil:
		return last, true
	case x < 35:
		dst = append(dst, `{"provider":"fanduel","market_id":"nfl-2026-00001:h2h","timestamp":`...)
		return strconv.AppendInt(dst, ts, 10), false // cut off
	}
	game := g.first + g.of*rnd.IntN(g.n)
	dst = append(dst, `{"provider":"`...)
	dst = append(dst, books[rnd.IntN(len(books))]...)
	dst = append(dst, `","market_id":"nfl-2026-`...)
	for d := 10000; d > 1 && game < d; d /= 10 {
		dst = append(dst, '0')
	}
	dst = strconv.AppendInt(dst, int64(game), 10)
	var names [2]string
	var lines [2]float64
	hasLine := true
	switch rnd.IntN(3) {
	case 0:
		dst, names, hasLine = append(dst, ":h2h"...), [2]string{"home", "away"}, false
	case 1:
		line := float64(rnd.IntN(29)-14) / 2
		dst, names, lines = append(dst, ":spreads"...), [2]string{"home", "away"}, [2]float64{line, -line}
	default:
		total := 35 + float64(rnd.IntN(30))/2
		dst, names, lines = append(dst, ":totals"...), [2]string{"over", "under"}, [2]float64{total, total}
	}
	dst = append(dst, `","timestamp":`...)
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, `,"outcomes":[`...)
	for i, name := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":"`...)
		dst = append(dst, name...)
		dst = append(dst, `","price":`...)
		dst = strconv.AppendInt(dst, int64(american(rnd)), 10)
		if hasLine {
			dst = append(dst, `,"line":`...)
			dst = appendHalf(dst, lines[i])
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...), false
}

// appendHalf appends a line, a multiple of one half, as %g would.
func appendHalf(dst []byte, v float64) []byte {
	halves := int64(v * 2)
	if halves < 0 {
		dst = append(dst, '-')
		halves = -halves
	}
	dst = strconv.AppendInt(dst, halves/2, 10)
	if halves%2 != 0 {
		dst = append(dst, ".5"...)
	}
	return dst
}
