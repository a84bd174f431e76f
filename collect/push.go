package collect

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PushConfig configures a [Push] receiver.
type PushConfig struct {
	// Keys maps each API key to the provider it identifies. A request
	// carries its key in "Authorization: Bearer <key>" or "X-API-Key".
	Keys map[string]string
	// MaxBody bounds a request body (default 1 MiB); larger is refused with 413.
	MaxBody int64
	// Rate and Burst limit each key's requests per second (default 100 and
	// 200); beyond, 429 with Retry-After.
	Rate  float64
	Burst int
	// Queue is how many envelopes may wait for Next (default 10000).
	Queue int
	// Wait is how long a request may wait for room in a full queue before
	// it is refused with 503 and Retry-After (default 100ms).
	Wait time.Duration
	// Now is the clock for ReceivedAt and the rate limits (default time.Now).
	Now func() time.Time
	// Hooks count traffic (Received).
	Hooks Hooks
}

// Push is an [http.Handler] that providers POST or PUT their updates to,
// and a [Source] of what they sent. A body is one envelope, or one per line
// when its Content-Type is application/x-ndjson. The schema is the
// request's X-Schema header, if any.
//
// A request is answered 202 Accepted only once all its envelopes are queued
// for Next; a full queue answers 503 with Retry-After, so a provider retries
// rather than losing data. Keys are compared in constant time and never
// logged or echoed.
type Push struct {
	cfg     PushConfig
	keys    []pushKey
	queue   chan Envelope
	freed   chan struct{} // Next took an envelope: there may be room
	enq     sync.Mutex    // one batch at a time, so batches neither interleave nor half-fit
	mu      sync.Mutex    // guards buckets
	buckets map[string]*bucket
}

type pushKey struct {
	sum      [32]byte
	provider string
}

// NewPush returns a receiver; mount it on your server's mux.
func NewPush(cfg PushConfig) *Push {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 100
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 200
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 10000
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Push{cfg: cfg, queue: make(chan Envelope, cfg.Queue), freed: make(chan struct{}, 1), buckets: make(map[string]*bucket)}
	for k, prov := range cfg.Keys {
		p.keys = append(p.keys, pushKey{sha256.Sum256([]byte(k)), prov})
	}
	return p
}

// provider returns the provider of the request's key, comparing against
// every key in constant time (hashes, so lengths do not leak either).
func (p *Push) provider(r *http.Request) (string, bool) {
	key := r.Header.Get("X-API-Key")
	if auth := r.Header.Get("Authorization"); key == "" && strings.HasPrefix(auth, "Bearer ") {
		key = strings.TrimPrefix(auth, "Bearer ")
	}
	sum := sha256.Sum256([]byte(key))
	found := ""
	ok := 0
	for _, k := range p.keys {
		if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 {
			found, ok = k.provider, 1
		}
	}
	return found, ok == 1 && key != ""
}

// ServeHTTP receives one request.
func (p *Push) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	provider, ok := p.provider(r)
	if !ok {
		http.Error(w, "unknown or missing API key", http.StatusUnauthorized)
		return
	}
	if wait := p.take(provider); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, p.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	now := p.cfg.Now()
	schema := r.Header.Get("X-Schema")
	var envs []Envelope
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-ndjson") {
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, int(p.cfg.MaxBody)+1)
		for sc.Scan() {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				envs = append(envs, Envelope{Provider: provider, Schema: schema, Payload: bytes.Clone(line), ReceivedAt: now})
			}
		}
	} else if len(body) > 0 {
		envs = append(envs, Envelope{Provider: provider, Schema: schema, Payload: body, ReceivedAt: now})
	}
	if len(envs) > cap(p.queue) {
		http.Error(w, "batch larger than the receiver's queue", http.StatusRequestEntityTooLarge)
		return
	}
	if !p.enqueue(r.Context(), envs) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy: retry later", http.StatusServiceUnavailable)
		return
	}
	for _, e := range envs {
		if h := p.cfg.Hooks.Received; h != nil {
			h(provider, len(e.Payload))
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

// enqueue queues all of envs or none: it waits up to cfg.Wait for room.
// Only the holder of enq adds to the queue, so room it sees stays.
func (p *Push) enqueue(ctx context.Context, envs []Envelope) bool {
	p.enq.Lock()
	defer p.enq.Unlock()
	deadline := time.NewTimer(p.cfg.Wait)
	defer deadline.Stop()
	for cap(p.queue)-len(p.queue) < len(envs) {
		select {
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		case <-p.freed:
		}
	}
	for _, e := range envs {
		p.queue <- e
	}
	return true
}

// Next returns the next envelope received.
func (p *Push) Next(ctx context.Context) (Envelope, error) {
	select {
	case env := <-p.queue:
		select {
		case p.freed <- struct{}{}:
		default:
		}
		return env, nil
	case <-ctx.Done():
		return Envelope{}, ctx.Err()
	}
}

// bucket is a token bucket per provider.
type bucket struct {
	tokens float64
	at     time.Time
}

// take spends one token of provider's bucket, or returns how long until
// one is available.
func (p *Push) take(provider string) time.Duration {
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buckets[provider]
	if b == nil {
		b = &bucket{tokens: float64(p.cfg.Burst), at: now}
		p.buckets[provider] = b
	}
	b.tokens = math.Min(float64(p.cfg.Burst), b.tokens+now.Sub(b.at).Seconds()*p.cfg.Rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / p.cfg.Rate * float64(time.Second))
}
