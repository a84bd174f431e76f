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
// With Publish set, the script also publishes every change it applied on
// the channel "<prefix><market>#updates", so live consumers get deltas
// without polling.
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

// update applies field/position/value triples to one market's hash, each
// only if its position is not older than the stored one. A position is
// "<seq:20 digits>|<provider time ns:20 digits>": fixed width, so that
// comparing strings compares numbers beyond the 2^53 that Lua's doubles hold.
//
// ARGV is the TTL in ms, whether to publish, then for each update: the
// index of its key in KEYS, its field, position and value. One call covers
// many markets, so Lua's per-call cost is paid once per batch.
var update = redis.NewScript(`
local n = (#ARGV - 2) / 4
local zero = '00000000000000000000'
-- Read every stored position first, per key, with one HMGET each.
local want = {}
for j = 1, n do
  local k = tonumber(ARGV[4*j - 1])
  want[k] = want[k] or {}
  table.insert(want[k], ARGV[4*j] .. '#pos')
end
local stored = {}
for k, fields in pairs(want) do
  local vals = redis.call('HMGET', KEYS[k], unpack(fields))
  local m = {}
  for i, f in ipairs(fields) do m[f] = vals[i] end
  stored[k] = m
end
local pos, val, order = {}, {}, {}
for j = 1, n do
  local k, field, p, value = tonumber(ARGV[4*j - 1]), ARGV[4*j], ARGV[4*j + 1], ARGV[4*j + 2]
  local pf = field .. '#pos'
  pos[k] = pos[k] or {}
  val[k] = val[k] or {}
  order[k] = order[k] or {}
  local old = pos[k][pf] or stored[k][pf]
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
    if not val[k][field] then table.insert(order[k], field) end
    pos[k][pf], val[k][field] = p, value
    if ARGV[2] == '1' then redis.call('PUBLISH', KEYS[k] .. '#updates', value) end
  end
end
local applied = 0
for k, fields in pairs(order) do
  if #fields > 0 then
    local args = {}
    for _, f in ipairs(fields) do
      args[#args + 1] = f
      args[#args + 1] = val[k][f]
      args[#args + 1] = f .. '#pos'
      args[#args + 1] = pos[k][f .. '#pos']
    end
    redis.call('HSET', KEYS[k], unpack(args))
    applied = applied + #fields
  end
  redis.call('PEXPIRE', KEYS[k], ARGV[1])
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
func Field(e *odds.Event) string {
	return e.Provider + "|" + e.Selection + "|" + e.Side.String()
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
	// One script call per maxPerCall updates; each market's updates keep
	// their order. A cluster takes one market per call, since a script's
	// keys must share a slot.
	type call struct {
		keys []string
		args []any
		idx  map[string]int
	}
	publish := "0"
	if s.cfg.Publish {
		publish = "1"
	}
	newCall := func() *call {
		return &call{args: []any{s.cfg.TTL.Milliseconds(), publish}, idx: make(map[string]int, 8)}
	}
	var calls []*call
	byMarket := map[string]*call{} // cluster: the open call of each market
	cur := newCall()
	buf := make([]byte, 0, len(events)*384) // every position and value, in one allocation
	for i := range events {
		e := &events[i]
		c := cur
		if s.cluster {
			if c = byMarket[e.Market]; c == nil || len(c.args) >= 2+4*maxPerCall {
				c = newCall()
				byMarket[e.Market] = c
				calls = append(calls, c)
			}
		} else if len(c.args) >= 2+4*maxPerCall {
			calls = append(calls, cur)
			cur = newCall()
			c = cur
		}
		k, ok := c.idx[e.Market]
		if !ok {
			c.keys = append(c.keys, s.Key(e.Market))
			k = len(c.keys)
			c.idx[e.Market] = k
		}
		start := len(buf)
		buf = appendPosition(buf, e)
		mid := len(buf)
		buf = e.AppendJSON(buf)
		c.args = append(c.args, k, Field(e), buf[start:mid:mid], buf[mid:len(buf):len(buf)])
	}
	if !s.cluster && len(cur.keys) > 0 {
		calls = append(calls, cur)
	}
	run := func(evalsha bool) error {
		_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, c := range calls {
				if evalsha {
					update.EvalSha(ctx, p, c.keys, c.args...)
				} else {
					update.Eval(ctx, p, c.keys, c.args...)
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
	var ns uint64
	if !e.SourceTime.IsZero() && e.SourceTime.UnixNano() > 0 {
		ns = uint64(e.SourceTime.UnixNano())
	}
	b = appendPadded(b, e.Seq)
	b = append(b, '|')
	return appendPadded(b, ns)
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
