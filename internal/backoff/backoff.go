// Package backoff computes retry delays: exponential growth with full jitter
// (a delay drawn uniformly from zero to the current ceiling), which spreads
// reconnecting clients apart instead of letting them retry in lockstep.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Policy is the shape of the delays. Zero fields take the defaults.
type Policy struct {
	Initial    time.Duration // first ceiling (default 100ms)
	Max        time.Duration // largest ceiling (default 30s)
	Multiplier float64       // growth per attempt (default 2)
}

func (p Policy) withDefaults() Policy {
	if p.Initial <= 0 {
		p.Initial = 100 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	return p
}

// Ceiling returns the largest delay of attempt n (0-based): Initial *
// Multiplier^n, capped at Max.
func (p Policy) Ceiling(n int) time.Duration {
	p = p.withDefaults()
	c := float64(p.Initial)
	for i := 0; i < n && c < float64(p.Max); i++ {
		c *= p.Multiplier
	}
	if c > float64(p.Max) {
		return p.Max
	}
	return time.Duration(c)
}

// Backoff yields successive delays. It is not safe for concurrent use.
type Backoff struct {
	p       Policy
	rnd     *rand.Rand
	attempt int
}

// New returns a Backoff whose jitter comes from a PCG source seeded with
// seed, so a test gets the same delays every run; pass a random seed in
// production.
func New(p Policy, seed uint64) *Backoff {
	return &Backoff{p: p.withDefaults(), rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next returns the delay before the next attempt, in [0, Ceiling(attempt)].
func (b *Backoff) Next() time.Duration {
	c := b.p.Ceiling(b.attempt)
	b.attempt++
	return time.Duration(b.rnd.Int64N(int64(c) + 1))
}

// Attempt returns how many delays Next has given since the last Reset.
func (b *Backoff) Attempt() int { return b.attempt }

// Reset starts over from the first ceiling, after a success.
func (b *Backoff) Reset() { b.attempt = 0 }
