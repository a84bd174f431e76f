package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// PollConfig configures a [Poll] collector.
type PollConfig struct {
	// Request builds each request, given the cursor the last response gave
	// (Pinnacle's "since"; "" at first). The collector adds If-None-Match.
	Request func(ctx context.Context, cursor string) (*http.Request, error)
	// Cursor reads the next cursor from a response; nil keeps none. See
	// [JSONCursor].
	Cursor func(resp *http.Response, body []byte) string
	// Client sends the requests (default http.DefaultClient).
	Client *http.Client
	// Interval is the time between the starts of two polls (default 5s):
	// the request budget. A provider's 429 with Retry-After stretches it.
	Interval time.Duration
	// MaxBody bounds a response body (default 16 MiB).
	MaxBody int64
	// Provider and Schema label the envelopes.
	Provider, Schema string
	// Backoff, DownThreshold, Hooks and Now as for [WebSocketConfig]; the
	// backoff applies to failed polls (errors, 5xx).
	Backoff       Backoff
	DownThreshold time.Duration
	Hooks         Hooks
	Now           func() time.Time
}

// Poll is a [Source] that polls an HTTP endpoint and emits each new
// response body as one envelope, its Token the cursor. It sends the last
// ETag as If-None-Match and emits nothing on 304; it honours 429 and
// Retry-After; it backs off on failures. Next must not be called concurrently.
type Poll struct {
	cfg    PollConfig
	rc     *reconnector
	cursor string
	etag   string
	next   time.Time // when the next poll may start
	failed bool      // the last poll failed: wait by the backoff
}

// NewPoll returns a collector; it polls on the first Next.
func NewPoll(cfg PollConfig) *Poll {
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 16 << 20
	}
	return &Poll{cfg: cfg, rc: newReconnector(cfg.Provider, cfg.Hooks, cfg.Backoff, cfg.DownThreshold, cfg.Now)}
}

// Next polls until a response has a new body, and returns it. It returns
// only ctx's error: a failing endpoint is retried.
func (p *Poll) Next(ctx context.Context) (Envelope, error) {
	for {
		if p.failed {
			if err := p.rc.wait(ctx, nil); err != nil {
				return Envelope{}, err
			}
		} else if err := sleepUntil(ctx, p.next); err != nil {
			return Envelope{}, err
		}
		p.rc.tried = true
		p.next = time.Now().Add(p.cfg.Interval)
		env, ok, err := p.poll(ctx)
		if ctx.Err() != nil {
			return Envelope{}, ctx.Err()
		}
		if err != nil {
			p.failed = true
			p.rc.down(err)
			continue
		}
		if p.failed || p.rc.upSince.IsZero() {
			p.failed = false
			p.rc.up()
		}
		if ok && p.rc.deliver(&env, Position{Token: env.Token}) {
			return env, nil
		}
	}
}

// poll makes one request. ok is false when there is nothing new.
func (p *Poll) poll(ctx context.Context) (env Envelope, ok bool, err error) {
	req, err := p.cfg.Request(ctx, p.cursor)
	if err != nil {
		return Envelope{}, false, fmt.Errorf("collect: poll: building the request: %w", err)
	}
	if p.etag != "" {
		req.Header.Set("If-None-Match", p.etag)
	}
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		return Envelope{}, false, fmt.Errorf("collect: poll: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxBody+1))
	if err != nil {
		return Envelope{}, false, fmt.Errorf("collect: poll: reading the body: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return Envelope{}, false, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		if wait, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			p.next = time.Now().Add(wait)
			return Envelope{}, false, nil // not a failure: the budget was spent
		}
		return Envelope{}, false, fmt.Errorf("collect: poll: HTTP %s", resp.Status)
	case resp.StatusCode/100 != 2:
		return Envelope{}, false, fmt.Errorf("collect: poll: HTTP %s", resp.Status)
	case int64(len(body)) > p.cfg.MaxBody:
		return Envelope{}, false, fmt.Errorf("%w: a response over %d bytes", ErrMessageTooLarge, p.cfg.MaxBody)
	}
	p.etag = resp.Header.Get("ETag")
	if p.cfg.Cursor != nil {
		if c := p.cfg.Cursor(resp, body); c != "" {
			p.cursor = c
		}
	}
	recv := time.Now()
	if p.cfg.Now != nil {
		recv = p.cfg.Now()
	}
	return Envelope{Provider: p.cfg.Provider, Schema: p.cfg.Schema, Payload: body, ReceivedAt: recv, Token: p.cursor}, true, nil
}

func sleepUntil(ctx context.Context, t time.Time) error { return sleep(ctx, nil, time.Until(t)) }

// retryAfter reads Retry-After as seconds or as an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// JSONCursor returns a Cursor that reads a top-level number or string field
// of a JSON body: JSONCursor("last") follows Pinnacle's "since" protocol,
// where each response's "last" is the next request's "since".
func JSONCursor(field string) func(*http.Response, []byte) string {
	return func(_ *http.Response, body []byte) string {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return ""
		}
		raw := m[field]
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		return ""
	}
}

// OddsAPIRequest returns a Request for The Odds API v4 odds endpoint:
// GET {base}/v4/sports/{sport}/odds?apiKey=…&regions=…&markets=…&oddsFormat=…
func OddsAPIRequest(base, sport, apiKey, regions, markets, oddsFormat string) func(context.Context, string) (*http.Request, error) {
	return func(ctx context.Context, _ string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v4/sports/"+sport+"/odds", nil)
		if err != nil {
			return nil, err
		}
		q := req.URL.Query()
		q.Set("apiKey", apiKey)
		q.Set("regions", regions)
		q.Set("markets", markets)
		q.Set("oddsFormat", oddsFormat)
		req.URL.RawQuery = q.Encode()
		return req, nil
	}
}
