// Package betfair normalizes the Betfair Exchange Stream API's market stream.
//
// The stream sends an image of each subscribed market, then deltas: price
// levels keyed by price (atb, atl, trd) or by depth (batb, batl, bdatb,
// bdatl), where a size of 0 removes the level, and market definitions that
// carry the market's and runners' status. [Cache] applies them in order and
// keeps the clocks (initialClk, clk) a reconnect needs to resume.
// [Normalizer] wraps a Cache and emits, for every runner a message touched,
// its best price to back and to lay as canonical events whenever either
// changes.
//
// Messages of one stream must reach one Normalizer in order.
package betfair

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// ErrStreamStatus reports a market stream message that carries an error
// status instead of data (503: the stream is unavailable, prices are stale).
var ErrStreamStatus = errors.New("betfair: stream status")

// Provider is the provider name on the events this package emits.
const Provider = "betfair"

// Normalizer turns market stream messages into events. It is safe for
// concurrent use, but messages must be given in stream order.
type Normalizer struct {
	mu    sync.Mutex
	cache *Cache
	last  map[sideKey]emitted
}

type sideKey struct {
	market string
	runner RunnerKey
	lay    bool
}

type emitted struct {
	price, size decimal.Decimal
	status      odds.Status
}

// New returns a Normalizer with an empty cache.
func New() *Normalizer {
	return &Normalizer{cache: NewCache(), last: make(map[sideKey]emitted)}
}

// Clocks returns the stream's resume tokens after the last message applied,
// for the resubscription message of a reconnect.
func (n *Normalizer) Clocks() (initialClk, clk string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cache.InitialClk, n.cache.Clk
}

// Market returns a rendering of one cached market (as [Market.String]), or
// "" if it is not cached.
func (n *Normalizer) Market(id string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if mk := n.cache.Markets[id]; mk != nil {
		return mk.String()
	}
	return ""
}

// RunnerStatuses returns the status of every runner in market's
// definition (ACTIVE, WINNER, LOSER, REMOVED …) by selection ID, for
// settling a backtest; nil if the market has no definition.
func (n *Normalizer) RunnerStatuses(market string) map[int64]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	mk := n.cache.Markets[market]
	if mk == nil || mk.Definition == nil {
		return nil
	}
	out := make(map[int64]string, len(mk.Definition.Runners))
	for _, rd := range mk.Definition.Runners {
		out[rd.ID] = rd.Status
	}
	return out
}

// Normalize applies env's message to the cache and appends an event for each
// best price to back or lay that changed, in message order, back before lay.
//
// Each event has Provider "betfair", Market the market ID, Selection the
// selection ID, Line the handicap when the runner has one, Side, Price and
// Size from the best level, Status from the market definition (a runner that
// is not ACTIVE overrides an open market), and SourceTime the message's "pt".
// When a side that had a price has none left, the event repeats the last
// price with Size 0.
func (n *Normalizer) Normalize(dst []odds.Event, env collect.Envelope) ([]odds.Event, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	changes, err := n.cache.Apply(env.Payload)
	if err != nil {
		return dst, err
	}
	var errs []error
	for _, ch := range changes {
		mk := n.cache.Markets[ch.Market]
		keys := ch.Runners
		if ch.Definition {
			keys = make([]RunnerKey, 0, len(mk.Definition.Runners)+len(ch.Runners))
			keys = append(keys, ch.Runners...)
			for _, rd := range mk.Definition.Runners {
				keys = append(keys, RunnerKey{ID: rd.ID, Handicap: handicap(rd.Handicap)})
			}
		}
		seen := make(map[RunnerKey]bool, len(keys))
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			for _, lay := range []bool{false, true} {
				ev, ok, err := n.event(mk, k, lay, env)
				if err != nil {
					errs = append(errs, fmt.Errorf("market %s runner %d: %w", mk.ID, k.ID, err))
				} else if ok {
					dst = append(dst, ev)
				}
			}
		}
	}
	return dst, errors.Join(errs...)
}

func (n *Normalizer) event(mk *Market, k RunnerKey, lay bool, env collect.Envelope) (odds.Event, bool, error) {
	r := mk.Runners[k]
	if r == nil {
		return odds.Event{}, false, nil
	}
	sk := sideKey{mk.ID, k, lay}
	prev, hadPrev := n.last[sk]
	now := emitted{status: status(mk, k)}
	if best, ok := r.Best(lay); ok {
		now.price, now.size = best.Price, best.Size
	} else if hadPrev {
		now.price, now.size = prev.price, decimal.Zero // the side emptied
	} else {
		return odds.Event{}, false, nil
	}
	if hadPrev && prev.status == now.status && prev.price.Equal(now.price) && prev.size.Equal(now.size) {
		return odds.Event{}, false, nil
	}
	price, err := odds.FromDecimal(now.price)
	if err != nil {
		return odds.Event{}, false, err
	}
	n.last[sk] = now
	ev := odds.Event{
		Provider:   Provider,
		Market:     mk.ID,
		Selection:  strconv.FormatInt(k.ID, 10),
		Price:      price,
		Size:       decimal.NullDecimal{Decimal: now.size, Valid: true},
		Status:     now.status,
		SourceTime: mk.PublishTime,
		ReceivedAt: env.ReceivedAt,
	}
	if lay {
		ev.Side = odds.Lay
	}
	if k.Handicap != "" {
		ev.Line = decimal.NullDecimal{Decimal: decimal.RequireFromString(k.Handicap), Valid: true}
	}
	var h odds.Hasher
	h.AddString(Provider)
	h.AddString(mk.ID)
	h.AddString(ev.Selection)
	h.AddString(k.Handicap)
	h.AddUint64(uint64(ev.Side))
	h.AddUint64(uint64(mk.PublishTime.UnixMilli()))
	h.AddString(now.price.String())
	h.AddString(now.size.String())
	h.AddUint64(uint64(now.status))
	ev.ID = h.Sum()
	return ev, true, nil
}

// status maps Betfair's market and runner status to the canonical one.
func status(mk *Market, k RunnerKey) odds.Status {
	switch mk.Status(k) {
	case "REMOVED", "REMOVED_VACANT":
		return odds.StatusRemoved
	case "WINNER", "LOSER", "PLACED":
		return odds.StatusClosed
	case "HIDDEN":
		return odds.StatusSuspended
	}
	if mk.Definition == nil {
		return odds.StatusOpen
	}
	switch mk.Definition.Status {
	case "SUSPENDED", "INACTIVE":
		return odds.StatusSuspended
	case "CLOSED":
		return odds.StatusClosed
	}
	return odds.StatusOpen
}
