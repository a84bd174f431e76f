package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// ErrFrameTooLarge reports a message larger than the collector's read limit.
// The connection is dropped and opened again.
var ErrFrameTooLarge = errors.New("collect: frame larger than the read limit")

// WebSocketConfig configures a [WebSocket] collector.
type WebSocketConfig struct {
	// URL is the ws:// or wss:// address.
	URL string
	// Header is sent with the opening handshake (API keys, origin).
	Header http.Header
	// Dialer dials; set its TLSClientConfig, Proxy and EnableCompression
	// (per-message deflate) there. Default: websocket.DefaultDialer.
	Dialer *websocket.Dialer
	// Provider and Schema label the envelopes.
	Provider, Schema string
	// Handshake returns the messages to send after every connect, in order
	// (authenticate, then subscribe), given the position of the last message
	// delivered, so that a provider that can resume sends only what was
	// missed. Nil sends nothing.
	Handshake func(ctx context.Context, last Position) ([][]byte, error)
	// Position extracts a message's sequence and resume token; nil when the
	// provider has none. With sequences, a gap is reported and a message
	// already delivered (a resume's overlap) is skipped.
	Position func(payload []byte) Position
	// PingInterval is how often the collector pings (default 15s), and
	// PongTimeout how long it waits beyond that for any sign of life
	// (default 10s): a silently dead connection is dropped within their sum.
	PingInterval, PongTimeout time.Duration
	// ReadLimit bounds one message's size (default 1 MiB).
	ReadLimit int64
	// Backoff shapes the delays between connection attempts.
	Backoff Backoff
	// DownThreshold is how long the provider may be unreachable before the
	// Down hook fires (default 30s).
	DownThreshold time.Duration
	// Hooks report connections, outages, gaps and traffic.
	Hooks Hooks
	// Now is the clock for ReceivedAt (default time.Now).
	Now func() time.Time
}

// WebSocket is a [Source] reading a provider's WebSocket feed, reconnecting
// with backoff whenever the connection fails. Each text or binary message
// becomes one envelope, its bytes untouched. Next must not be called
// concurrently; Close may be called from any goroutine.
type WebSocket struct {
	cfg WebSocketConfig
	rc  *reconnector

	now      func() time.Time // the injected clock, or nil for time.Now
	conn     *websocket.Conn
	extended time.Time  // when the read deadline last moved
	slab     *slab      // payloads are read into its free tail
	spares   chan *slab // released slabs, for reuse
	stopPing chan struct{}
	pingDone chan struct{}

	lifecycle
}

// NewWebSocket returns a collector; it connects on the first Next.
func NewWebSocket(cfg WebSocketConfig) *WebSocket {
	if cfg.Dialer == nil {
		cfg.Dialer = websocket.DefaultDialer
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 15 * time.Second
	}
	if cfg.PongTimeout <= 0 {
		cfg.PongTimeout = 10 * time.Second
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = 1 << 20
	}
	return &WebSocket{
		cfg: cfg, now: cfg.Now, lifecycle: newLifecycle(),
		rc:     newReconnector(cfg.Provider, cfg.Hooks, cfg.Backoff, cfg.DownThreshold, cfg.Now),
		spares: make(chan *slab, spareSlabs),
	}
}

// Next returns the next message, connecting or reconnecting as needed. It
// returns only ctx's error or [ErrClosed]: a feed that fails is retried.
func (w *WebSocket) Next(ctx context.Context) (Envelope, error) {
	if ctx != w.watch.ctx { // a method value allocates: only when the context is new
		w.watch.set(ctx, w.interrupt)
	}
	for {
		if err := ctx.Err(); err != nil {
			return Envelope{}, err
		}
		if w.isClosed() {
			return Envelope{}, ErrClosed
		}
		if w.conn == nil {
			if err := w.rc.wait(ctx, w.done); err != nil {
				return Envelope{}, err
			}
			if err := w.connect(ctx); err != nil {
				if w.isClosed() {
					return Envelope{}, ErrClosed
				}
				w.rc.down(err)
				continue
			}
			w.rc.up()
		}
		payload, slab, err := w.read()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				err = fmt.Errorf("%w (%d bytes): %v", ErrFrameTooLarge, w.cfg.ReadLimit, err)
			}
			w.drop()
			if w.isClosed() {
				return Envelope{}, ErrClosed
			}
			if ctx.Err() != nil {
				return Envelope{}, ctx.Err()
			}
			w.rc.down(err)
			continue
		}
		now := time.Now()
		if now.Sub(w.extended) > w.cfg.PingInterval/4 {
			w.extendAt(now) // moving a socket deadline costs; a quarter interval late is fine
		}
		recv := now
		if w.now != nil {
			recv = w.now()
		}
		env := Envelope{Provider: w.cfg.Provider, Schema: w.cfg.Schema, Payload: payload, ReceivedAt: recv, Release: slab.release}
		var pos Position
		if w.cfg.Position != nil {
			pos = w.cfg.Position(payload)
		}
		if w.rc.deliver(&env, pos) {
			return env, nil
		}
		slab.unref() // delivered before: skipped
	}
}

// slabSize is the size of the blocks message payloads are read into.
const slabSize = 64 << 10

// spareSlabs bounds the released slabs a collector keeps for reuse: 1 MiB,
// enough for the messages a pipeline has in flight at hundreds of thousands
// a second.
const spareSlabs = 16

// A slab is a block that payloads are read into one after another. Its
// count is of the envelopes that hold its payloads, plus one while it is the
// block being read into; when it drops to zero, nothing reads the block any
// more, and it goes back to its collector's spares.
type slab struct {
	buf     []byte
	refs    atomic.Int32
	release func()     // unref as a func value made once, so that envelopes carry it without allocating
	spares  chan *slab // where it goes when released; nil for an outsized slab
}

func (s *slab) unref() {
	switch n := s.refs.Add(-1); {
	case n < 0:
		panic("collect: envelope released twice")
	case n == 0 && s.spares != nil:
		s.buf = s.buf[:0]
		select {
		case s.spares <- s:
		default: // spares enough: the garbage collector takes this one
		}
	}
}

// newSlab returns a slab of at least size bytes, a spare if it can, counted
// once for the collector reading into it.
func (w *WebSocket) newSlab(size int) *slab {
	var s *slab
	if size <= slabSize {
		select {
		case s = <-w.spares:
		default:
			s = &slab{buf: make([]byte, 0, slabSize), spares: w.spares}
		}
	} else {
		s = &slab{buf: make([]byte, 0, size)}
	}
	if s.release == nil {
		s.release = s.unref
	}
	s.refs.Store(1)
	return s
}

// read reads the next message into the current slab and counts the slab
// once more for it: one allocation per slab, not one or more per message,
// and none at all once envelopes are released, keeps the garbage collector,
// and the pauses it adds to every stage's latency, out of the collector's
// hot path. Payloads are capped slices, so appending to one never writes
// into the next.
func (w *WebSocket) read() ([]byte, *slab, error) {
	_, r, err := w.conn.NextReader()
	if err != nil {
		return nil, nil, err
	}
	if w.slab == nil {
		w.slab = w.newSlab(slabSize)
	}
	start := len(w.slab.buf)
	for {
		if len(w.slab.buf) == cap(w.slab.buf) { // full: carry the message so far to a new slab
			n := len(w.slab.buf) - start
			next := w.newSlab(2 * n)
			next.buf = append(next.buf, w.slab.buf[start:]...)
			w.slab.unref() // it is read into no more; its envelopes may still hold it
			w.slab, start = next, 0
		}
		s := w.slab
		m, err := r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+m]
		if err == io.EOF {
			s.refs.Add(1)
			return s.buf[start:len(s.buf):len(s.buf)], s, nil
		}
		if err != nil {
			s.buf = s.buf[:start]
			return nil, nil, err
		}
	}
}

func (w *WebSocket) connect(ctx context.Context) error {
	ctx, cancel := w.cancelOnClose(ctx)
	defer cancel()
	conn, resp, err := w.cfg.Dialer.DialContext(ctx, w.cfg.URL, w.cfg.Header)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("collect: websocket dial %s: %w (HTTP %s)", w.cfg.URL, err, resp.Status)
		}
		return fmt.Errorf("collect: websocket dial %s: %w", w.cfg.URL, err)
	}
	conn.SetReadLimit(w.cfg.ReadLimit)
	if w.cfg.Handshake != nil {
		msgs, err := w.cfg.Handshake(ctx, w.rc.last)
		if err != nil {
			conn.Close()
			return fmt.Errorf("collect: websocket handshake: %w", err)
		}
		for _, m := range msgs {
			if err := conn.WriteMessage(websocket.TextMessage, m); err != nil {
				conn.Close()
				return fmt.Errorf("collect: websocket handshake: %w", err)
			}
		}
	}
	if err := w.setActive(conn); err != nil {
		return err
	}
	w.conn = conn
	w.extend()
	conn.SetPongHandler(func(string) error { w.extend(); return nil })
	w.stopPing, w.pingDone = make(chan struct{}), make(chan struct{})
	go w.ping(conn, w.stopPing, w.pingDone)
	return nil
}

// extend moves the read deadline: any message or pong is a sign of life.
func (w *WebSocket) extend() { w.extendAt(time.Now()) }

// extendAt moves the read deadline from now, which is wall time: socket
// deadlines do not follow an injected clock.
func (w *WebSocket) extendAt(now time.Time) {
	w.extended = now
	w.conn.SetReadDeadline(now.Add(w.cfg.PingInterval + w.cfg.PongTimeout))
}

// ping sends pings until stopped; the only writer once the handshake is done.
func (w *WebSocket) ping(conn *websocket.Conn, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(w.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(w.cfg.PongTimeout)); err != nil {
				return // the reader sees the failure
			}
		}
	}
}

func (w *WebSocket) drop() {
	close(w.stopPing)
	<-w.pingDone
	w.conn.Close()
	w.clearActive()
	w.conn = nil
}

// Close ends the collector: a Next in progress returns [ErrClosed].
func (w *WebSocket) Close() error {
	return w.close()
}
