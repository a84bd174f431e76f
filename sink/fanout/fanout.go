// Package fanout streams live odds to many WebSocket clients: a sink the
// pipeline writes to that is also an http.Handler clients connect to.
//
// A client subscribes to markets (or "*" for all), receives a snapshot of
// each market's current quotes, then every change in order, numbered per
// market, so it can tell when it missed one and ask for the snapshot again.
// The protocol, all JSON text frames:
//
//	client: {"op":"subscribe","markets":["nfl-2026-00042:h2h"]}      or ["*"]
//	client: {"op":"snapshot","market":"nfl-2026-00042:h2h"}          ask again
//	server: {"op":"snapshot","market":"…","seq":41,"events":[…]}
//	server: {"op":"delta","market":"…","seq":42,"event":{…}}
//	server: {"op":"conflated"}                                      you fell behind; some deltas were merged
//
// A slow client never slows the pipeline: its queue is bounded; when it is
// full, its pending deltas are conflated to the latest per quote (and it is
// told so), and a client still too far behind is dropped with close code
// 1013 (try again later). Events are encoded with [odds.Event.AppendJSON].
package fanout

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
)

// Config configures a [Fanout]. The zero value is usable.
type Config struct {
	// Authorize checks a client before it is upgraded (a token in a header
	// or the query); an error refuses it with 401. Nil admits everyone.
	Authorize func(r *http.Request) error
	// CheckOrigin vets the Origin header (default: gorilla's same-origin check).
	CheckOrigin func(r *http.Request) bool
	// Queue bounds the messages waiting for one client (default 4096).
	Queue int
	// MaxMessage bounds a client's message to the server (default 4 KiB).
	MaxMessage int64
	// WriteTimeout bounds one write to a client (default 5s).
	WriteTimeout time.Duration
}

// Fanout is a [sink.Sink] and an [http.Handler]. It is safe for concurrent use.
type Fanout struct {
	cfg Config
	up  websocket.Upgrader

	mu      sync.RWMutex
	markets map[string]*market
	all     map[*client]bool
	closed  bool
}

var (
	_ sink.Sink   = (*Fanout)(nil)
	_ sink.Closer = (*Fanout)(nil)
)

type market struct {
	seq    uint64
	quotes map[quoteKey]odds.Event
	order  []quoteKey
	subs   map[*client]bool
}

type quoteKey struct {
	provider, selection string
	side                odds.Side
	line                odds.LineKey
}

func keyOf(e *odds.Event) quoteKey {
	return quoteKey{provider: e.Provider, selection: e.Selection, side: e.Side, line: odds.LineKeyOf(e.Line)}
}

// New returns a Fanout; mount it on a path of your server.
func New(cfg Config) *Fanout {
	if cfg.Queue <= 0 {
		cfg.Queue = 4096
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = 4 << 10
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	return &Fanout{cfg: cfg, up: websocket.Upgrader{CheckOrigin: cfg.CheckOrigin}, markets: map[string]*market{}, all: map[*client]bool{}}
}

// Write applies events to the markets' state and queues each, numbered, for
// the market's subscribers. It never waits for a client.
func (f *Fanout) Write(ctx context.Context, events []odds.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return sink.ErrClosed
	}
	for i := range events {
		e := &events[i]
		m := f.market(e.Market)
		k := keyOf(e)
		if _, ok := m.quotes[k]; !ok {
			m.order = append(m.order, k)
		}
		m.quotes[k] = *e
		m.seq++
		if len(m.subs) == 0 && len(f.all) == 0 {
			continue
		}
		msg := delta(e, m.seq)
		for c := range m.subs {
			c.send(msg, e.Market, k)
		}
		for c := range f.all {
			c.send(msg, e.Market, k)
		}
	}
	return nil
}

func (f *Fanout) market(key string) *market {
	m := f.markets[key]
	if m == nil {
		m = &market{quotes: map[quoteKey]odds.Event{}, subs: map[*client]bool{}}
		f.markets[key] = m
	}
	return m
}

func delta(e *odds.Event, seq uint64) []byte {
	b := append([]byte(`{"op":"delta","market":`), strconv.Quote(e.Market)...)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"event":`...)
	b = e.AppendJSON(b)
	return append(b, '}')
}

// snapshot encodes a market's current quotes; f.mu must be held.
func (f *Fanout) snapshot(key string) []byte {
	m := f.market(key)
	b := append([]byte(`{"op":"snapshot","market":`), strconv.Quote(key)...)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, m.seq, 10)
	b = append(b, `,"events":[`...)
	for i, k := range m.order {
		if i > 0 {
			b = append(b, ',')
		}
		e := m.quotes[k]
		b = e.AppendJSON(b)
	}
	return append(b, "]}"...)
}

// Close disconnects every client; later writes fail with [sink.ErrClosed].
func (f *Fanout) Close(context.Context) error {
	f.mu.Lock()
	f.closed = true
	var cs []*client
	for c := range f.all {
		cs = append(cs, c)
	}
	for _, m := range f.markets {
		for c := range m.subs {
			cs = append(cs, c)
		}
	}
	f.mu.Unlock()
	for _, c := range cs {
		c.drop(websocket.CloseGoingAway, "server closing")
	}
	return nil
}

// Clients returns how many clients are connected and subscribed.
func (f *Fanout) Clients() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	seen := map[*client]bool{}
	for c := range f.all {
		seen[c] = true
	}
	for _, m := range f.markets {
		for c := range m.subs {
			seen[c] = true
		}
	}
	return len(seen)
}

// ServeHTTP upgrades a client and serves it until it leaves or is dropped.
func (f *Fanout) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.cfg.Authorize != nil {
		if err := f.cfg.Authorize(r); err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	conn, err := f.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn.SetReadLimit(f.cfg.MaxMessage)
	c := &client{f: f, conn: conn, wake: make(chan struct{}, 1), done: make(chan struct{}), pending: map[pendingKey]int{}}
	go c.write()
	c.read()
}

// client is one connection: a reader for its requests, a writer draining
// its bounded queue.
type client struct {
	f    *Fanout
	conn *websocket.Conn

	mu        sync.Mutex
	queue     [][]byte
	pending   map[pendingKey]int // quote -> index of its queued delta
	conflated bool               // conflation happened since the last notice
	gone      bool
	wake      chan struct{}
	done      chan struct{}
	dropOnce  sync.Once
	markets   []string // guarded by f.mu
}

type pendingKey struct {
	market string
	quote  quoteKey
}

// send queues msg; when the queue is full it replaces the quote's queued
// delta instead (conflation), and drops a client that has no room even so.
// Called with f.mu held; never blocks.
func (c *client) send(msg []byte, market string, q quoteKey) {
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		return
	}
	k := pendingKey{market, q}
	if len(c.queue) >= c.f.cfg.Queue {
		if i, ok := c.pending[k]; ok {
			c.queue[i] = msg // the newer price replaces the one not yet sent
			c.conflated = true
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		go c.drop(websocket.CloseTryAgainLater, "too slow: queue full")
		return
	}
	if market != "" {
		c.pending[k] = len(c.queue)
	}
	c.queue = append(c.queue, msg)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// write sends queued messages until the client goes.
func (c *client) write() {
	defer c.drop(websocket.CloseNormalClosure, "")
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		for {
			c.mu.Lock()
			if len(c.queue) == 0 {
				c.mu.Unlock()
				break
			}
			batch := c.queue
			notice := c.conflated
			c.queue, c.conflated = nil, false
			clear(c.pending)
			c.mu.Unlock()
			if notice {
				batch = append([][]byte{[]byte(`{"op":"conflated"}`)}, batch...)
			}
			for _, m := range batch {
				c.conn.SetWriteDeadline(time.Now().Add(c.f.cfg.WriteTimeout))
				if err := c.conn.WriteMessage(websocket.TextMessage, m); err != nil {
					return
				}
			}
		}
	}
}

type request struct {
	Op      string   `json:"op"`
	Markets []string `json:"markets"`
	Market  string   `json:"market"`
}

// read handles the client's requests until it leaves.
func (c *client) read() {
	defer c.drop(websocket.CloseNormalClosure, "")
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var req request
		if err := json.Unmarshal(data, &req); err != nil {
			c.sendControl(`{"op":"error","error":"bad request"}`)
			continue
		}
		switch req.Op {
		case "subscribe":
			c.subscribe(req.Markets)
		case "snapshot":
			c.f.mu.Lock()
			snap := c.f.snapshot(req.Market)
			c.send(snap, "", quoteKey{})
			c.f.mu.Unlock()
		default:
			c.sendControl(`{"op":"error","error":"unknown op"}`)
		}
	}
}

func (c *client) sendControl(msg string) {
	c.f.mu.RLock()
	defer c.f.mu.RUnlock()
	c.send([]byte(msg), "", quoteKey{})
}

// subscribe registers the client and queues a snapshot of each market,
// atomically with respect to writes, so no delta falls between them.
func (c *client) subscribe(markets []string) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	for _, key := range markets {
		if key == "*" {
			c.f.all[c] = true
			keys := make([]string, 0, len(c.f.markets))
			for mk := range c.f.markets {
				keys = append(keys, mk)
			}
			sort.Strings(keys)
			for _, mk := range keys {
				c.send(c.f.snapshot(mk), "", quoteKey{})
			}
			continue
		}
		m := c.f.market(key)
		m.subs[c] = true
		c.markets = append(c.markets, key)
		c.send(c.f.snapshot(key), "", quoteKey{})
	}
}

// drop disconnects the client once, with a close code, and unsubscribes it.
func (c *client) drop(code int, reason string) {
	c.dropOnce.Do(func() {
		c.mu.Lock()
		c.gone = true
		c.mu.Unlock()
		close(c.done)
		c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		c.conn.Close()
		c.f.mu.Lock()
		delete(c.f.all, c)
		for _, key := range c.markets {
			if m := c.f.markets[key]; m != nil {
				delete(m.subs, c)
			}
		}
		c.f.mu.Unlock()
	})
}

// ErrUnauthorized is what [Token]'s function returns for a wrong or missing token.
var ErrUnauthorized = errors.New("fanout: unauthorized")

// Token returns an Authorize function that admits requests carrying token in
// the "token" query parameter or an "Authorization: Bearer" header.
func Token(token string) func(r *http.Request) error {
	return func(r *http.Request) error {
		got := r.URL.Query().Get("token")
		if auth := r.Header.Get("Authorization"); len(auth) > 7 && auth[:7] == "Bearer " {
			got = auth[7:]
		}
		a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(token))
		if got == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			return ErrUnauthorized
		}
		return nil
	}
}
