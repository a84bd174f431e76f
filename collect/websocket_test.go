package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/gorilla/websocket"
)

// feedServer is a provider that numbers its messages and resumes from the
// number a client asks for, and that misbehaves on purpose: it drops the
// connection every closeEvery messages, goes silent (no data, no pongs),
// sends an oversized frame, sends garbage, and refuses connections for a
// while. It resumes a few messages early, so the client must skip overlap.
type feedServer struct {
	total      int
	closeEvery int
	pad        string

	mu          sync.Mutex
	conns       int
	refuse      func() bool // refuse this upgrade?
	hangOn      map[int]bool
	oversizeOn  map[int]bool
	garbageOn   map[int]bool
	hung        []chan struct{}
	garbageSent atomic.Int64
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.refuse != nil && f.refuse() {
		f.mu.Unlock()
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	f.conns++
	n := f.conns
	for _, h := range f.hung { // a new connection frees the old, silent ones
		close(h)
	}
	f.hung = nil
	f.mu.Unlock()

	up := websocket.Upgrader{}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	var sub struct {
		Op   string `json:"op"`
		From int    `json:"from"`
	}
	if err := c.ReadJSON(&sub); err != nil || sub.Op != "subscribe" {
		return
	}
	from := max(1, sub.From-3) // resume with overlap
	sent := 0
	for seq := from; seq <= f.total; seq++ {
		switch {
		case f.hangOn[n] && sent == 5:
			h := make(chan struct{})
			f.mu.Lock()
			f.hung = append(f.hung, h)
			f.mu.Unlock()
			<-h // silent: no data, and no pongs since nothing reads
			return
		case f.oversizeOn[n] && sent == 5:
			c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 4096)))
			return
		case f.garbageOn[n] && sent == 5:
			c.WriteMessage(websocket.TextMessage, []byte("\x00not json{"))
			f.garbageSent.Add(1)
		}
		msg := fmt.Sprintf(`{"seq":%d,"pad":%q}`, seq, f.pad)
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			return
		}
		sent++
		if sent == f.closeEvery {
			return // an abrupt close
		}
	}
	c.ReadMessage() // done: wait for the client to go
}

func seqOf(payload []byte) Position {
	var m struct {
		Seq uint64 `json:"seq"`
	}
	if json.Unmarshal(payload, &m) != nil {
		return Position{}
	}
	return Position{Seq: m.Seq, Token: fmt.Sprint(m.Seq)}
}

// subscribe resumes after the last message delivered.
func subscribe(ctx context.Context, last Position) ([][]byte, error) {
	return [][]byte{[]byte(fmt.Sprintf(`{"op":"subscribe","from":%d}`, last.Seq+1))}, nil
}

// Every fault at once; with a resuming provider every message arrives
// exactly once and in order across dozens of reconnects.
func TestWebSocketFaults(t *testing.T) {
	f := &feedServer{total: 3000, closeEvery: 97, pad: strings.Repeat("p", 150),
		hangOn: map[int]bool{3: true, 9: true}, oversizeOn: map[int]bool{5: true, 14: true}, garbageOn: map[int]bool{7: true}}
	var downFired atomic.Bool
	refusals := 0
	f.refuse = func() bool { // from the 12th connection, refuse until the Down hook has fired
		if f.conns == 11 && !downFired.Load() {
			refusals++
			return true
		}
		return false
	}
	srv := httptest.NewServer(f)
	defer srv.Close()

	var (
		mu                     sync.Mutex
		delays                 []time.Duration
		attempts               []int
		connected, disconnects int
		reasons                = map[string]int{}
		gaps                   uint64
	)
	policy := Backoff{Initial: 2 * time.Millisecond, Max: 20 * time.Millisecond, Seed: 7}
	ws := NewWebSocket(WebSocketConfig{
		URL: "ws" + strings.TrimPrefix(srv.URL, "http"), Provider: "feed", Schema: "v1",
		Handshake:    subscribe,
		Position:     seqOf,
		PingInterval: 30 * time.Millisecond, PongTimeout: 30 * time.Millisecond,
		ReadLimit:     1024,
		Backoff:       policy,
		DownThreshold: 40 * time.Millisecond,
		Hooks: Hooks{
			Connected: func(string) { mu.Lock(); connected++; mu.Unlock() },
			Disconnected: func(_ string, err error) {
				mu.Lock()
				defer mu.Unlock()
				disconnects++
				switch {
				case errors.Is(err, ErrFrameTooLarge):
					reasons["oversize"]++
				case strings.Contains(err.Error(), "timeout"):
					reasons["silent"]++
				case strings.Contains(err.Error(), "503"):
					reasons["refused"]++
				default:
					reasons["closed"]++
				}
			},
			ReconnectScheduled: func(_ string, attempt int, d time.Duration) {
				mu.Lock()
				attempts, delays = append(attempts, attempt), append(delays, d)
				mu.Unlock()
			},
			Down: func(string, time.Duration) { downFired.Store(true) },
			Gap:  func(_ string, missing, _ uint64) { gaps += missing },
		},
	})
	defer ws.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	next, garbage := uint64(1), 0
	for next <= uint64(f.total) {
		env, err := ws.Next(ctx)
		if err != nil {
			t.Fatalf("Next after seq %d: %v", next-1, err)
		}
		if env.Seq == 0 {
			garbage++ // delivered as it came: the normalizer dead-letters it
			continue
		}
		if env.Seq != next {
			t.Fatalf("got seq %d, want %d: lost, duplicated or reordered", env.Seq, next)
		}
		if env.Provider != "feed" || env.Schema != "v1" || env.ReceivedAt.IsZero() || env.Token != fmt.Sprint(env.Seq) {
			t.Fatalf("envelope %+v", env)
		}
		next++
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("sent %d, delivered %d exactly once in order; %d connections, %d disconnects %v, %d refusals, %d garbage",
		f.total, next-1, connected, disconnects, reasons, refusals, garbage)
	if connected < 20 {
		t.Errorf("only %d connections: the test wanted 20+ reconnects", connected)
	}
	// At least the faults the server staged; a loaded machine may add a spurious silence.
	if reasons["oversize"] != 2 || reasons["silent"] < 2 || reasons["refused"] == 0 {
		t.Errorf("disconnect reasons %v: want 2 oversize, 2 or more silent, some refused", reasons)
	}
	if !downFired.Load() {
		t.Error("the Down hook never fired")
	}
	if garbage != int(f.garbageSent.Load()) || garbage == 0 {
		t.Errorf("delivered %d garbage messages, server sent %d", garbage, f.garbageSent.Load())
	}
	if gaps != 0 {
		t.Errorf("%d messages reported missing from a provider that resumes", gaps)
	}
	for i, d := range delays {
		// attempts restart from 1 after a healthy spell; the ceiling follows the attempt.
		if c := policy.Ceiling(attempts[i] - 1); d < 0 || d > c {
			t.Errorf("delay %v before attempt %d outside [0, %v]", d, attempts[i], c)
		}
	}
}

// serveMessages serves a WebSocket that sends msgs as messages of type typ
// to each connection, then waits for the client to go, and returns its URL.
func serveMessages(t *testing.T, typ int, msgs [][]byte) string {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for _, m := range msgs {
			c.WriteMessage(typ, m)
		}
		c.ReadMessage()
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// A provider that numbers messages but cannot resume: the gap is reported
// on the envelope and through the hook.
func TestWebSocketGap(t *testing.T) {
	var msgs [][]byte
	for _, seq := range []int{1, 2, 5, 6} {
		msgs = append(msgs, []byte(fmt.Sprintf(`{"seq":%d}`, seq)))
	}
	var hooked uint64
	ws := NewWebSocket(WebSocketConfig{URL: serveMessages(t, websocket.TextMessage, msgs), Position: seqOf,
		Hooks: Hooks{Gap: func(_ string, missing, seq uint64) { hooked = missing*100 + seq }}})
	defer ws.Close()
	var gaps []uint64
	for range 4 {
		env, err := ws.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		gaps = append(gaps, env.Gap)
	}
	if fmt.Sprint(gaps) != "[0 0 2 0]" || hooked != 205 {
		t.Errorf("gaps %v, hook %d", gaps, hooked)
	}
}

func TestWebSocketCloseInterruptsNext(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err == nil {
			c.ReadMessage() // never sends
			c.Close()
		}
	}))
	defer srv.Close()
	connected := make(chan struct{})
	ws := NewWebSocket(WebSocketConfig{URL: "ws" + strings.TrimPrefix(srv.URL, "http"),
		Hooks: Hooks{Connected: func(string) { close(connected) }}})
	errc := make(chan error, 1)
	go func() {
		_, err := ws.Next(context.Background())
		errc <- err
	}()
	<-connected
	ws.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
}

// Per-message deflate, when both ends agree to it, is transparent.
func TestWebSocketCompression(t *testing.T) {
	up := websocket.Upgrader{EnableCompression: true}
	negotiated := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		negotiated <- r.Header.Get("Sec-WebSocket-Extensions")
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.EnableWriteCompression(true)
		c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat(`{"seq":1,"odds":"-110"}`, 50)))
		c.ReadMessage()
	}))
	defer srv.Close()
	ws := NewWebSocket(WebSocketConfig{URL: "ws" + strings.TrimPrefix(srv.URL, "http"),
		Dialer: &websocket.Dialer{EnableCompression: true}})
	defer ws.Close()
	env, err := ws.Next(context.Background())
	if err != nil || string(env.Payload) != strings.Repeat(`{"seq":1,"odds":"-110"}`, 50) {
		t.Fatalf("%q, %v", env.Payload, err)
	}
	if ext := <-negotiated; !strings.Contains(ext, "permessage-deflate") {
		t.Errorf("client offered %q", ext)
	}
}

// Payloads share blocks of memory but never each other's bytes: each keeps
// its content when the others are appended to, and messages larger than a
// block, or that straddle the end of one, arrive whole.
func TestWebSocketPayloadsAreSeparate(t *testing.T) {
	var sent [][]byte
	for i := range 40 {
		size := []int{0, 1, 300, slabSize - 100, slabSize + 7, 3 * slabSize}[i%6]
		sent = append(sent, bytes.Repeat([]byte{byte('a' + i%26)}, size))
	}
	ws := NewWebSocket(WebSocketConfig{URL: serveMessages(t, websocket.BinaryMessage, sent)})
	defer ws.Close()
	var got [][]byte
	for range sent {
		env, err := ws.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, env.Payload)
	}
	for i := range got {
		_ = append(got[i], "scribble"...) // must not reach the next payload
	}
	for i := range sent {
		if !bytes.Equal(got[i], sent[i]) {
			t.Fatalf("message %d: %d bytes, want %d as sent", i, len(got[i]), len(sent[i]))
		}
	}
}

// A released slab is read into again; one that still holds an unreleased
// payload is not, so that payload keeps its bytes.
func TestWebSocketReusesReleasedSlabs(t *testing.T) {
	var sent [][]byte
	for i := range 400 { // about six slabs
		sent = append(sent, bytes.Repeat([]byte{byte('a' + i%26)}, 1000))
	}
	ws := NewWebSocket(WebSocketConfig{URL: serveMessages(t, websocket.TextMessage, sent)})
	defer ws.Close()
	next := func(i int) Envelope {
		env, err := ws.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(env.Payload, sent[i]) {
			t.Fatalf("message %d: %.20q, want %.20q", i, env.Payload, sent[i])
		}
		return env
	}
	held := next(0)
	for i := 1; i < 200; i++ {
		next(i).Release()
	}
	var spares []*slab
	for len(ws.spares) > 0 {
		spares = append(spares, <-ws.spares)
	}
	if len(spares) == 0 {
		t.Fatal("no slab came back after its envelopes were released")
	}
	for _, s := range spares {
		ws.spares <- s
	}
	reused := 0
	for i := 200; i < 400; i++ {
		env := next(i)
		at := uintptr(unsafe.Pointer(unsafe.SliceData(env.Payload)))
		for _, s := range spares {
			if base := uintptr(unsafe.Pointer(unsafe.SliceData(s.buf))); at >= base && at < base+uintptr(cap(s.buf)) {
				reused++
			}
		}
		env.Release()
	}
	if reused == 0 {
		t.Error("no later message was read into a released slab")
	}
	if !bytes.Equal(held.Payload, sent[0]) {
		t.Errorf("an unreleased payload was overwritten: %.20q", held.Payload)
	}
	held.Release()
	defer func() {
		if recover() == nil {
			t.Error("a second release did not panic")
		}
	}()
	held.Release()
}
