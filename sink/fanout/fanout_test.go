package fanout

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/oddsflow/oddsflow/odds"
)

var t0 = time.Unix(1795000000, 0).UTC()

func ev(market, sel, price string, n int) odds.Event {
	p, _ := odds.Parse(price)
	var h odds.Hasher
	h.AddUint64(uint64(n))
	return odds.Event{ID: h.Sum(), Provider: "pinnacle", Market: market, Selection: sel, Price: p, SourceTime: t0.Add(time.Duration(n))}
}

type msg struct {
	Op     string       `json:"op"`
	Market string       `json:"market"`
	Seq    uint64       `json:"seq"`
	Event  *odds.Event  `json:"event"`
	Events []odds.Event `json:"events"`
}

func dial(t *testing.T, srv *httptest.Server, query string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+query, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func next(t *testing.T, c *websocket.Conn) msg {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m msg
	if err := c.ReadJSON(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A client gets a snapshot, then every delta of its markets in order,
// numbered, and nothing of the others.
func TestSnapshotThenDeltas(t *testing.T) {
	f := New(Config{})
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx := context.Background()
	f.Write(ctx, []odds.Event{ev("m1", "home", "2.0", 1), ev("m1", "away", "1.8", 2), ev("m2", "home", "3.0", 3)})

	c := dial(t, srv, "")
	c.WriteJSON(map[string]any{"op": "subscribe", "markets": []string{"m1"}})
	snap := next(t, c)
	if snap.Op != "snapshot" || snap.Market != "m1" || snap.Seq != 2 || len(snap.Events) != 2 {
		t.Fatalf("snapshot %+v", snap)
	}
	f.Write(ctx, []odds.Event{ev("m2", "home", "3.1", 4), ev("m1", "home", "2.1", 5), ev("m1", "home", "2.2", 6)})
	for i, want := range []string{"2.1", "2.2"} {
		d := next(t, c)
		if d.Op != "delta" || d.Market != "m1" || d.Seq != uint64(3+i) || d.Event.Price.String() != want {
			t.Fatalf("delta %d: %+v", i, d)
		}
	}
	// Asking again gives the current state.
	c.WriteJSON(map[string]any{"op": "snapshot", "market": "m1"})
	if s := next(t, c); s.Op != "snapshot" || s.Seq != 4 || s.Events[0].Price.String() != "2.2" {
		t.Fatalf("second snapshot %+v", s)
	}
}

func TestAuthorizeAndLimits(t *testing.T) {
	f := New(Config{Authorize: Token("s3cret"), MaxMessage: 64})
	srv := httptest.NewServer(f)
	defer srv.Close()
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"?token=wrong", nil)
	if err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token admitted: %v", err)
	}
	c := dial(t, srv, "?token=s3cret")
	c.WriteMessage(websocket.TextMessage, []byte(`{"op":"subscribe","markets":["`+strings.Repeat("x", 100)+`"]}`))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("an oversized request was served")
	}
}

// A client that does not read is conflated (told so, and given the newest
// price of each quote) while a client that keeps up loses nothing.
func TestSlowClient(t *testing.T) {
	f := New(Config{Queue: 64, WriteTimeout: time.Minute})
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx := context.Background()
	fast := dial(t, srv, "")
	fast.WriteJSON(map[string]any{"op": "subscribe", "markets": []string{"*"}})
	slow := dial(t, srv, "")
	slow.WriteJSON(map[string]any{"op": "subscribe", "markets": []string{"m"}})
	for f.Clients() < 2 {
		runtime.Gosched()
	}
	received := make(chan uint64, 64)
	go func() {
		for {
			fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			var m msg
			if err := fast.ReadJSON(&m); err != nil {
				close(received)
				return
			}
			if m.Op == "delta" {
				received <- m.Seq
			}
		}
	}()
	// Big messages, so the slow client's socket buffers fill and its queue backs up.
	pad := strings.Repeat("p", 2000)
	const rounds, per = 300, 50
	want := uint64(1)
	var lastHome, lastAway string
	for r := range rounds {
		for i := range per {
			n := r*per + i
			e := ev("m", []string{"home", "away"}[n%2], fmt.Sprintf("%.2f", 1.5+float64(n%300)/100), n)
			e.Provider = pad
			if n%2 == 0 {
				lastHome = e.Price.String()
			} else {
				lastAway = e.Price.String()
			}
			if err := f.Write(ctx, []odds.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		for range per { // the fast client keeps up: wait for it, in order
			if s := <-received; s != want {
				t.Fatalf("the fast client got seq %d, want %d", s, want)
			}
			want++
		}
	}
	// Now the slow client reads: a snapshot, deltas, a conflation notice, and
	// at the end the newest price of each quote.
	var ops []string
	prices := map[string]string{}
	for {
		slow.SetReadDeadline(time.Now().Add(2 * time.Second))
		var m msg
		if err := slow.ReadJSON(&m); err != nil {
			break // drained
		}
		ops = append(ops, m.Op)
		if m.Op == "delta" {
			prices[m.Event.Selection] = m.Event.Price.String()
		}
	}
	if !slices.Contains(ops, "conflated") {
		t.Errorf("the slow client was never told it was conflated: %d messages", len(ops))
	}
	if prices["home"] != lastHome || prices["away"] != lastAway {
		t.Errorf("slow client ended at %v, want home %s away %s", prices, lastHome, lastAway)
	}
	if f.Clients() != 2 {
		t.Errorf("%d clients: conflation should have kept the slow one", f.Clients())
	}
}

// A client too slow even for conflation (new quotes keep coming) is dropped.
func TestDropTooSlow(t *testing.T) {
	f := New(Config{Queue: 4})
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := dial(t, srv, "")
	c.WriteJSON(map[string]any{"op": "subscribe", "markets": []string{"*"}})
	for f.Clients() < 1 {
		runtime.Gosched()
	}
	pad := strings.Repeat("p", 2000) // big messages fill the socket buffers sooner
	for i := range 50000 {
		e := ev(fmt.Sprint("m", i), "home", "2.0", i)
		e.Provider = pad
		f.Write(context.Background(), []odds.Event{e})
		if f.Clients() == 0 {
			break
		}
	}
	var closeErr *websocket.CloseError
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				closeErr = ce
			}
			break
		}
	}
	if closeErr == nil || closeErr.Code != websocket.CloseTryAgainLater {
		t.Fatalf("closed with %v, want 1013", closeErr)
	}
}

func TestProtocolErrors(t *testing.T) {
	f := New(Config{})
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := dial(t, srv, "")
	c.WriteMessage(websocket.TextMessage, []byte(`not json`))
	var m map[string]string
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.ReadJSON(&m); err != nil || m["op"] != "error" {
		t.Fatalf("%v %v", m, err)
	}
	b, _ := json.Marshal(map[string]string{"op": "dance"})
	c.WriteMessage(websocket.TextMessage, b)
	if err := c.ReadJSON(&m); err != nil || m["error"] != "unknown op" {
		t.Fatalf("%v %v", m, err)
	}
	f.Close(context.Background())
	if err := f.Write(context.Background(), nil); err == nil {
		t.Error("Write after Close")
	}
}
