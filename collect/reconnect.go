package collect

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oddsflow/oddsflow/internal/backoff"
)

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("collect: closed")

// Backoff shapes the delays between reconnection attempts: exponential growth
// with full jitter (each delay drawn uniformly from zero to the current
// ceiling), so many clients of one provider do not reconnect in lockstep.
// The zero value takes the defaults.
type Backoff struct {
	Initial    time.Duration // first ceiling (default 100ms)
	Max        time.Duration // largest ceiling (default 30s)
	Multiplier float64       // growth per failed attempt (default 2)
	// ResetAfter is how long a connection must stay healthy before the
	// delays start over from Initial (default 30s), so a provider that
	// accepts and then drops every connection still backs off.
	ResetAfter time.Duration
	// Seed seeds the jitter, for deterministic tests (0: random).
	Seed uint64
}

// Ceiling returns the largest delay before attempt n (0-based).
func (b Backoff) Ceiling(n int) time.Duration {
	return backoff.Policy{Initial: b.Initial, Max: b.Max, Multiplier: b.Multiplier}.Ceiling(n)
}

func (b Backoff) start() *backoff.Backoff {
	seed := b.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return backoff.New(backoff.Policy{Initial: b.Initial, Max: b.Max, Multiplier: b.Multiplier}, seed)
}

func (b Backoff) resetAfter() time.Duration {
	if b.ResetAfter <= 0 {
		return 30 * time.Second
	}
	return b.ResetAfter
}

// Hooks report what a collector does, for metrics and alerts. Every field is
// optional. Hooks are called from the goroutine calling Next; they must be
// fast and must not block.
type Hooks struct {
	// Connected follows every successful connection and handshake.
	Connected func(provider string)
	// Disconnected follows every lost connection or failed attempt, with its cause.
	Disconnected func(provider string, err error)
	// ReconnectScheduled reports the wait before attempt number attempt (from 1).
	ReconnectScheduled func(provider string, attempt int, delay time.Duration)
	// Down fires once per outage, when the provider has been unreachable for
	// longer than the collector's DownThreshold.
	Down func(provider string, down time.Duration)
	// Gap reports messages the provider numbered but never sent: missing
	// of them, just before the one numbered seq.
	Gap func(provider string, missing, seq uint64)
	// Received counts every message delivered and its bytes.
	Received func(provider string, bytes int)
}

// Position is where a provider's stream stands: its sequence number or
// offset, and its resume token. A collector tracks the position of the last
// message it delivered and hands it to the handshake of the next connection,
// so a provider that can resume sends only what was missed.
type Position struct {
	Seq   uint64
	Token string
}

// reconnector is the reconnection state every network collector shares:
// the backoff, the outage clock, and the position of the last delivery.
type reconnector struct {
	provider  string
	hooks     Hooks
	policy    Backoff
	threshold time.Duration
	now       func() time.Time

	b         interface{ Next() time.Duration }
	tried     bool // the first attempt goes at once
	attempt   int
	upSince   time.Time // when the current connection came up
	downSince time.Time // when the provider was last reachable, during an outage
	downSaid  bool
	last      Position
}

func newReconnector(provider string, hooks Hooks, policy Backoff, threshold time.Duration, now func() time.Time) *reconnector {
	if threshold <= 0 {
		threshold = 30 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	return &reconnector{provider: provider, hooks: hooks, policy: policy, threshold: threshold, now: now}
}

// wait sleeps before the next attempt (none before the first), or returns
// ctx's error, or ErrClosed when closed is closed.
func (r *reconnector) wait(ctx context.Context, closed <-chan struct{}) error {
	if !r.tried {
		r.tried = true
		return ctx.Err()
	}
	if r.b == nil {
		r.b = r.policy.start()
	}
	r.attempt++
	delay := r.b.Next()
	if h := r.hooks.ReconnectScheduled; h != nil {
		h(r.provider, r.attempt, delay)
	}
	return sleep(ctx, closed, delay)
}

// sleep waits d, or returns ctx's error, or ErrClosed when closed is closed
// (a nil closed never is).
func sleep(ctx context.Context, closed <-chan struct{}, d time.Duration) error {
	select {
	case <-closed:
		return ErrClosed
	default:
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-closed:
		return ErrClosed
	case <-t.C:
		return nil
	}
}

// up records a connection that came up.
func (r *reconnector) up() {
	r.upSince = r.now()
	r.downSince, r.downSaid = time.Time{}, false
	if h := r.hooks.Connected; h != nil {
		h(r.provider)
	}
}

// down records a lost connection or a failed attempt.
func (r *reconnector) down(err error) {
	now := r.now()
	if !r.upSince.IsZero() && now.Sub(r.upSince) >= r.policy.resetAfter() {
		r.b, r.attempt = nil, 0 // it was healthy long enough: start the delays over
	}
	if r.downSince.IsZero() {
		r.downSince = now
	}
	r.upSince = time.Time{}
	if h := r.hooks.Disconnected; h != nil {
		h(r.provider, err)
	}
	if d := now.Sub(r.downSince); !r.downSaid && d >= r.threshold {
		r.downSaid = true
		if h := r.hooks.Down; h != nil {
			h(r.provider, d)
		}
	}
}

// deliver checks a message's position against the last one delivered. It
// reports false for a message already delivered (a resume's overlap), and
// fills env's Seq, Token and Gap.
func (r *reconnector) deliver(env *Envelope, pos Position) bool {
	if pos.Seq != 0 && r.last.Seq != 0 {
		if pos.Seq <= r.last.Seq {
			return false
		}
		if missing := pos.Seq - r.last.Seq - 1; missing > 0 {
			env.Gap = missing
			if h := r.hooks.Gap; h != nil {
				h(r.provider, missing, pos.Seq)
			}
		}
	}
	env.Seq, env.Token = pos.Seq, pos.Token
	if pos.Seq != 0 {
		r.last.Seq = pos.Seq
	}
	if pos.Token != "" {
		r.last.Token = pos.Token
	}
	if h := r.hooks.Received; h != nil {
		h(r.provider, len(env.Payload))
	}
	return true
}

// watch arranges for f to run when the context a collector's Next was given
// ends, so a read blocked on a quiet connection returns. It registers once
// per context, not once per message.
type watch struct {
	ctx  context.Context
	stop func() bool
}

func (w *watch) set(ctx context.Context, f func()) {
	if ctx == w.ctx {
		return
	}
	w.clear()
	w.ctx = ctx
	if ctx.Done() != nil {
		w.stop = context.AfterFunc(ctx, f)
	}
}

func (w *watch) clear() {
	if w.stop != nil {
		w.stop()
	}
	w.ctx, w.stop = nil, nil
}

// deadliner is a connection whose blocked read can be cut short.
type deadliner interface {
	SetReadDeadline(time.Time) error
	Close() error
}

// lifecycle is what Close and a context's end need of a connection-holding
// collector, shared by every one: whether it is closed, a channel closed on
// Close, and the live connection to interrupt.
type lifecycle struct {
	watch watch // interrupts a blocked read when Next's context ends

	closed atomic.Bool // read on every message: no lock
	mu     sync.Mutex
	done   chan struct{} // closed by Close
	active deadliner
}

func newLifecycle() lifecycle { return lifecycle{done: make(chan struct{})} }

func (l *lifecycle) isClosed() bool { return l.closed.Load() }

// setActive records conn as the live connection, or closes it and returns
// ErrClosed if the collector was closed meanwhile.
func (l *lifecycle) setActive(conn deadliner) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		conn.Close()
		return ErrClosed
	}
	l.active = conn
	return nil
}

func (l *lifecycle) clearActive() {
	l.mu.Lock()
	l.active = nil
	l.mu.Unlock()
}

// interrupt makes a blocked read return at once: Next's context ended.
func (l *lifecycle) interrupt() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active != nil {
		l.active.SetReadDeadline(time.Unix(1, 0))
	}
}

// close marks the collector closed and closes the live connection.
func (l *lifecycle) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed.Swap(true) {
		close(l.done)
	}
	if l.active != nil {
		return l.active.Close()
	}
	return nil
}

// cancelOnClose returns a context that also ends when the collector is
// closed, so Close interrupts a dial or handshake in progress.
func (l *lifecycle) cancelOnClose(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-l.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
