// Package redissink keeps the latest price of every market, provider,
// selection and side in Redis, as a hot cache for live consumers, with
// go-redis v9.
//
// Each market is one hash, "<prefix><market>", with a field per
// "provider|selection|side" holding the event's canonical JSON
// ([odds.Event.AppendJSON]) and a field "provider|selection|side#pos"
// holding its position. The hash expires TTL after its last update.
//
// An update older than what is stored never overwrites it: a Lua script
// compares positions inside Redis, atomically and without WATCH round trips
// (by provider sequence when both events have one, else by provider time;
// an equal position overwrites, so a re-delivery is harmless). Each Write
// is one pipeline of script calls, each covering up to 500 updates of any
// markets (one market a call on a Redis Cluster, whose scripts must keep
// to one slot).
//
// Within a batch, an update that a later one of the same field supersedes
// (at least as new by sequence and by provider time) never goes to Redis:
// the outcome is the same, and a busy selection's several updates a batch
// cost one. With Publish set, the script also publishes every change it
// applied on the channel "<prefix><market>#updates", so live consumers get
// deltas without polling; then every update goes to Redis, so that every
// change is published.
package redissink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/redis/go-redis/v9"
)

// Config configures a [Sink]. The zero value is usable.
type Config struct {
	// Prefix starts every key and channel (default "odds:").
	Prefix string
	// TTL is how long a market's hash lives after its last update (default 24h).
	TTL time.Duration
	// Publish sends each applied change on the market's channel.
	Publish bool
}

// Sink writes the latest prices to Redis. It is safe for concurrent use.
type Sink struct {
	client  redis.UniversalClient
	cfg     Config
	cluster bool
}

var _ sink.Sink = (*Sink)(nil)

// update applies updates to the hashes in KEYS, each only if its position
// is not older than the stored one. A position is "<seq:20 digits>|<provider
// time ns:20 digits>": fixed width, so that comparing strings compares
// numbers beyond the 2^53 that Lua's doubles hold.
//
// ARGV is the TTL in ms and whether to publish, then for each key in turn
// the number of its updates and, for each, its field, the field that holds
// its position, its position and its value. The updates come grouped by key,
// in order, so the script reads each hash's positions with one HMGET and
// writes with one HSET, and builds no table per update. One call covers
// many markets, so Lua's per-call cost is paid once per batch.
var update = redis.NewScript(`
local zero = '00000000000000000000'
local ttl, publish = ARGV[1], ARGV[2] == '1'
local a, applied = 3, 0
for k = 1, #KEYS do
  local key, n = KEYS[k], tonumber(ARGV[a])
  a = a + 1
  local posFields = {}
  for j = 1, n do posFields[j] = ARGV[a + 4*j - 3] end
  local stored = redis.call('HMGET', key, unpack(posFields))
  local cur, out, at = {}, {}, {}
  for j = 1, n do
    local i = a + 4*j - 4
    local field, p = ARGV[i], ARGV[i + 2]
    local old = cur[field] or stored[j]
    local newer = true
    if old then
      local oseq, nseq = string.sub(old, 1, 20), string.sub(p, 1, 20)
      if oseq ~= zero and nseq ~= zero then
        newer = nseq >= oseq
      else
        newer = string.sub(p, 22) >= string.sub(old, 22)
      end
    end
    if newer then
      cur[field] = p
      local o = at[field]
      if not o then
        o = #out + 1
        at[field] = o
        out[o], out[o + 2] = field, ARGV[i + 1]
      end
      out[o + 1], out[o + 3] = ARGV[i + 3], p
      if publish then redis.call('PUBLISH', key .. '#updates', ARGV[i + 3]) end
    end
  end
  if #out > 0 then
    redis.call('HSET', key, unpack(out))
    applied = applied + #out / 4
  end
  redis.call('PEXPIRE', key, ttl)
  a = a + 4*n
end
return applied
`)

// maxPerCall bounds the updates of one script call, within what Lua's
// unpack takes.
const maxPerCall = 500

// New returns a Sink that uses client, which the caller configures and closes.
func New(client redis.UniversalClient, cfg Config) *Sink {
	if cfg.Prefix == "" {
		cfg.Prefix = "odds:"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 24 * time.Hour
	}
	_, cluster := client.(*redis.ClusterClient)
	return &Sink{client: client, cfg: cfg, cluster: cluster}
}

// Key returns the hash key of market.
func (s *Sink) Key(market string) string { return s.cfg.Prefix + market }

// Channel returns the channel that carries market's changes.
func (s *Sink) Channel(market string) string { return s.Key(market) + "#updates" }

// Field returns the hash field of an event: "provider|selection|side".
func Field(e *odds.Event) string { return string(appendField(nil, e)) }

func appendField(b []byte, e *odds.Event) []byte {
	b = append(b, e.Provider...)
	b = append(b, '|')
	b = append(b, e.Selection...)
	b = append(b, '|')
	return append(b, e.Side.String()...)
}

// Write applies events with one pipeline. Network failures are marked
// [sink.Retryable].
func (s *Sink) Write(ctx context.Context, events []odds.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// One script call per maxPerCall updates, grouped by market, each
	// market's in order. A cluster takes one market per call, since a
	// script's keys must share a slot.
	type call struct {
		keys    []string
		updates [][]int // per key, indexes into events
		idx     map[string]int
		n       int
	}
	var calls []*call
	byMarket := map[string]*call{} // cluster: the open call of each market
	var cur *call
	var skip []bool
	if !s.cfg.Publish {
		skip = superseded(events)
	}
	for i := range events {
		if skip != nil && skip[i] {
			continue
		}
		e := &events[i]
		c := cur
		if s.cluster {
			c = byMarket[e.Market]
		}
		if c == nil || c.n >= maxPerCall {
			c = &call{idx: make(map[string]int, 8)}
			calls = append(calls, c)
			if s.cluster {
				byMarket[e.Market] = c
			} else {
				cur = c
			}
		}
		k, ok := c.idx[e.Market]
		if !ok {
			k = len(c.keys)
			c.keys = append(c.keys, s.Key(e.Market))
			c.updates = append(c.updates, nil)
			c.idx[e.Market] = k
		}
		c.updates[k] = append(c.updates[k], i)
		c.n++
	}
	publish := "0"
	if s.cfg.Publish {
		publish = "1"
	}
	buf := make([]byte, 0, len(events)*448) // every field, position and value, in one allocation
	args := make([][]any, len(calls))
	for ci, c := range calls {
		a := make([]any, 0, 2+len(c.keys)+4*c.n)
		a = append(a, s.cfg.TTL.Milliseconds(), publish)
		for _, group := range c.updates {
			a = append(a, len(group))
			for _, i := range group {
				e := &events[i]
				f := len(buf)
				buf = appendField(buf, e)
				buf = append(buf, "#pos"...)
				p := len(buf)
				buf = appendPosition(buf, e)
				v := len(buf)
				buf = e.AppendJSON(buf)
				a = append(a, buf[f:p-4:p-4], buf[f:p:p], buf[p:v:v], buf[v:len(buf):len(buf)])
			}
		}
		args[ci] = a
	}
	run := func(evalsha bool) error {
		_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for ci, c := range calls {
				if evalsha {
					update.EvalSha(ctx, p, c.keys, args[ci]...)
				} else {
					update.Eval(ctx, p, c.keys, args[ci]...)
				}
			}
			return nil
		})
		return err
	}
	err := run(true)
	if err != nil && isNoScript(err) {
		err = run(false) // first use on this server: send the script itself
	}
	if err != nil {
		err = fmt.Errorf("redissink: %w", err)
		if ctx.Err() != nil || !retryable(err) {
			return err
		}
		return sink.Retryable(err)
	}
	return nil
}

// superseded marks the events that a later event of the same hash field in
// the batch makes moot: one at least as new by both sequence and provider
// time, with a sequence exactly when the earlier has one. Whatever is
// stored, applying the batch in order stores that later event whenever it
// stores the earlier one, so the script need not see the earlier at all. A
// busy market's batch carries several updates of a selection, and each one
// costs Redis more than the Go side's check of all of them. (With Publish
// set every change is published, so nothing is skipped.)
func superseded(events []odds.Event) []bool {
	type field struct {
		market, provider, selection string
		side                        odds.Side
	}
	skip := make([]bool, len(events))
	next := make(map[field]int, len(events))
	for i := len(events) - 1; i >= 0; i-- {
		e := &events[i]
		k := field{e.Market, e.Provider, e.Selection, e.Side}
		if j, ok := next[k]; ok {
			// Dominance is transitive, so comparing with the next event
			// suffices even when that one is skipped too.
			l := &events[j]
			skip[i] = (l.Seq != 0) == (e.Seq != 0) && l.Seq >= e.Seq && providerNS(l) >= providerNS(e)
		}
		next[k] = i
	}
	return skip
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// retryable tells a lost connection or a busy server from a refusal.
func retryable(err error) bool {
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		return strings.HasPrefix(msg, "LOADING") || strings.HasPrefix(msg, "BUSY") || strings.HasPrefix(msg, "TRYAGAIN") ||
			strings.HasPrefix(msg, "MASTERDOWN") || strings.HasPrefix(msg, "CLUSTERDOWN")
	}
	return true // the network, a closed connection, a timeout
}

// appendPosition appends e's order, its sequence and provider time, each
// as 20 zero-padded digits: "<seq>|<ns>".
func appendPosition(b []byte, e *odds.Event) []byte {
	b = appendPadded(b, e.Seq)
	b = append(b, '|')
	return appendPadded(b, providerNS(e))
}

// providerNS is the provider time a position holds: Unix ns, or 0 for none.
func providerNS(e *odds.Event) uint64 {
	if !e.SourceTime.IsZero() && e.SourceTime.UnixNano() > 0 {
		return uint64(e.SourceTime.UnixNano())
	}
	return 0
}

func appendPadded(b []byte, v uint64) []byte {
	var d [20]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:]...)
}

// Latest returns the events cached for market, as stored.
func (s *Sink) Latest(ctx context.Context, market string) ([]odds.Event, error) {
	m, err := s.client.HGetAll(ctx, s.Key(market)).Result()
	if err != nil {
		return nil, fmt.Errorf("redissink: %w", err)
	}
	out := make([]odds.Event, 0, len(m)/2)
	for f, v := range m {
		if strings.HasSuffix(f, "#pos") {
			continue
		}
		var e odds.Event
		if err := e.UnmarshalJSON([]byte(v)); err != nil {
			return nil, fmt.Errorf("redissink: field %s: %w", f, err)
		}
		out = append(out, e)
	}
	return out, nil
}
