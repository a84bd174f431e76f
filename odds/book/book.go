// Package book keeps the live state of markets from canonical odds events:
// the latest price of every provider's selection, applied in order, and what
// people and strategies ask of it — the best price per selection across
// providers, the market's overround and fair prices, cross-book arbitrage
// with the stake split that locks it in, a rolling implied probability, and
// the price that was on offer at a given time.
//
// Every answer is a function of the events applied, never of the wall
// clock, so a backtest gets the same answers as live trading. A Book is not
// safe for concurrent use; guard it, or give each goroutine its own.
//
// [Watchdog] watches the same events for silence: a provider that stops
// sending, a live market that stops updating, a provider clock that drifts.
package book

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// Config configures a [Book]. The zero value is usable.
type Config struct {
	// History is how many past prices each quote keeps for [Book.PriceAt]
	// and [Book.ImpliedTrend] (default 64); older ones are forgotten.
	History int
}

// Book is the state of many markets.
type Book struct {
	cfg     Config
	markets map[string]*Market
}

// Market is one market's quotes.
type Market struct {
	Key    string
	quotes map[quoteKey]*Quote
	order  []quoteKey // first-seen order, so answers are deterministic
}

type quoteKey struct {
	provider, selection string
	side                odds.Side
	line                odds.LineKey
}

// Quote is the latest price of one provider's selection and side.
type Quote struct {
	Latest  odds.Event
	history []point // ring, oldest first once full
	next    int
}

type point struct {
	at    time.Time
	price odds.Price
	open  bool
}

// New returns an empty Book.
func New(cfg Config) *Book {
	if cfg.History <= 0 {
		cfg.History = 64
	}
	return &Book{cfg: cfg, markets: make(map[string]*Market)}
}

// Apply records e as the latest price of its quote, unless an update
// already applied is newer (by provider sequence when both have one, else
// provider time). It reports whether e was applied.
func (b *Book) Apply(e odds.Event) bool {
	m := b.markets[e.Market]
	if m == nil {
		m = &Market{Key: e.Market, quotes: make(map[quoteKey]*Quote)}
		b.markets[e.Market] = m
	}
	k := quoteKey{e.Provider, e.Selection, e.Side, odds.LineKeyOf(e.Line)}
	q := m.quotes[k]
	if q == nil {
		q = &Quote{history: make([]point, 0, min(b.cfg.History, 8))}
		m.quotes[k] = q
		m.order = append(m.order, k)
	} else if older(&e, &q.Latest) {
		return false
	}
	q.Latest = e
	p := point{at: e.SourceTime, price: e.Price, open: e.Status == odds.StatusOpen}
	if len(q.history) < b.cfg.History {
		q.history = append(q.history, p)
	} else {
		q.history[q.next] = p
		q.next = (q.next + 1) % len(q.history)
	}
	return true
}

func older(e, than *odds.Event) bool {
	if e.Seq != 0 && than.Seq != 0 {
		return e.Seq < than.Seq
	}
	return e.SourceTime.Before(than.SourceTime)
}

// Market returns a market's state, or nil.
func (b *Book) Market(key string) *Market { return b.markets[key] }

// Quotes returns the latest event of every quote of the market, in the
// order the quotes were first seen.
func (m *Market) Quotes() []odds.Event {
	out := make([]odds.Event, 0, len(m.order))
	for _, k := range m.order {
		out = append(out, m.quotes[k].Latest)
	}
	return out
}

// Best is the best price to back one selection, across providers.
type Best struct {
	Selection string
	Line      decimal.NullDecimal
	Price     odds.Price
	Provider  string // the first provider, in quote order, to offer it
	Providers int    // how many providers quote the selection open
}

// Best returns the best back price of each selection of the market, over
// open quotes (a suspended or closed quote offers nothing), in the order the
// selections were first seen.
func (b *Book) Best(market string) []Best {
	m := b.markets[market]
	if m == nil {
		return nil
	}
	type selKey struct {
		selection string
		line      odds.LineKey
	}
	idx := map[selKey]int{}
	var out []Best
	for _, k := range m.order {
		e := &m.quotes[k].Latest
		if k.side != odds.Back || e.Status != odds.StatusOpen {
			continue
		}
		sk := selKey{k.selection, k.line}
		i, ok := idx[sk]
		if !ok {
			idx[sk] = len(out)
			out = append(out, Best{Selection: e.Selection, Line: e.Line, Price: e.Price, Provider: e.Provider, Providers: 1})
			continue
		}
		out[i].Providers++
		if e.Price.Cmp(out[i].Price) > 0 {
			out[i].Price, out[i].Provider = e.Price, e.Provider
		}
	}
	return out
}

// Outcomes groups a market's best prices into sets of mutually exclusive
// outcomes: all selections without a line, or those whose lines have one
// magnitude (home -3.5 with away +3.5). Sets of fewer than two are left out.
func (b *Book) Outcomes(market string) [][]Best {
	best := b.Best(market)
	idx := map[odds.LineKey]int{}
	var sets [][]Best
	for _, x := range best {
		g := odds.LineKeyOf(x.Line).Magnitude()
		i, ok := idx[g]
		if !ok {
			i = len(sets)
			idx[g] = i
			sets = append(sets, nil)
		}
		sets[i] = append(sets[i], x)
	}
	out := sets[:0]
	for _, s := range sets {
		if len(s) >= 2 {
			out = append(out, s)
		}
	}
	return out
}

func prices(set []Best) []odds.Price {
	ps := make([]odds.Price, len(set))
	for i, x := range set {
		ps[i] = x.Price
	}
	return ps
}

// ErrIncomplete reports a market without a set of at least two open outcomes.
var ErrIncomplete = errors.New("book: no complete set of open outcomes")

// firstSet returns the market's first outcome set.
func (b *Book) firstSet(market string) ([]Best, error) {
	sets := b.Outcomes(market)
	if len(sets) == 0 {
		return nil, fmt.Errorf("%w in market %q", ErrIncomplete, market)
	}
	return sets[0], nil
}

// Overround returns the overround of the market's best prices (its first
// outcome set): negative means the best prices together pay more than
// they take.
func (b *Book) Overround(market string) (decimal.Decimal, error) {
	set, err := b.firstSet(market)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return odds.Overround(prices(set))
}

// Fair returns fair probabilities and prices of the market's best prices
// (its first outcome set) by method m.
func (b *Book) Fair(market string, m odds.Method) (odds.Fair, error) {
	set, err := b.firstSet(market)
	if err != nil {
		return odds.Fair{}, err
	}
	return odds.RemoveMargin(prices(set), m)
}

// Arbitrage is a set of best prices from several books whose implied
// probabilities sum below 1: backing every outcome with Stakes returns
// Payout whichever wins.
type Arbitrage struct {
	Outcomes []Best
	// Stakes split the total stake in proportion to each outcome's implied
	// probability, rounded to cents, so every outcome returns about Payout.
	Stakes []decimal.Decimal
	// Payout is the least any outcome returns; Profit is Payout minus the
	// stakes, and Margin the profit per unit staked.
	Payout, Profit, Margin decimal.Decimal
}

// Arbitrage returns the arbitrages among the market's outcome sets for a
// total stake, or none.
func (b *Book) Arbitrage(market string, total decimal.Decimal) []Arbitrage {
	var out []Arbitrage
	for _, set := range b.Outcomes(market) {
		imp := make([]decimal.Decimal, len(set))
		sum := decimal.Zero
		for i, x := range set {
			imp[i] = decimal.NewFromInt(1).DivRound(x.Price.Decimal(), 24)
			sum = sum.Add(imp[i])
		}
		if sum.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			continue
		}
		a := Arbitrage{Outcomes: set, Stakes: make([]decimal.Decimal, len(set))}
		staked := decimal.Zero
		for i := range set {
			a.Stakes[i] = total.Mul(imp[i]).DivRound(sum, 2)
			staked = staked.Add(a.Stakes[i])
		}
		for i, x := range set {
			ret := a.Stakes[i].Mul(x.Price.Decimal())
			if i == 0 || ret.LessThan(a.Payout) {
				a.Payout = ret
			}
		}
		a.Payout = a.Payout.Round(2)
		a.Profit = a.Payout.Sub(staked)
		a.Margin = a.Profit.DivRound(staked, 6)
		out = append(out, a)
	}
	return out
}

// ImpliedTrend returns the average implied probability of a selection's
// best back price over the window ending at t, weighting each price by how
// long it was on offer (a step function, as prices are). ok is false when
// no price was on offer in the window.
func (b *Book) ImpliedTrend(market, selection string, window time.Duration, t time.Time) (avg decimal.Decimal, ok bool) {
	m := b.markets[market]
	if m == nil {
		return decimal.Decimal{}, false
	}
	// Merge every provider's history of the selection into the best price
	// at each change.
	var times []time.Time
	for _, k := range m.order {
		if k.selection != selection || k.side != odds.Back {
			continue
		}
		for _, p := range m.quotes[k].points() {
			times = append(times, p.at)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	start := t.Add(-window)
	total := decimal.Zero
	var covered time.Duration
	for i := range times {
		from, to := times[i], t
		if i+1 < len(times) {
			to = times[i+1]
		}
		if to.After(t) {
			to = t
		}
		if from.Before(start) {
			from = start
		}
		if !to.After(from) {
			continue
		}
		best, found := b.bestAt(m, selection, times[i])
		if !found {
			continue
		}
		d := to.Sub(from)
		total = total.Add(best.Implied().Mul(decimal.NewFromInt(int64(d))))
		covered += d
	}
	if covered == 0 {
		return decimal.Decimal{}, false
	}
	return total.DivRound(decimal.NewFromInt(int64(covered)), odds.Places), true
}

// bestAt returns the best open back price of selection at time t.
func (b *Book) bestAt(m *Market, selection string, t time.Time) (odds.Price, bool) {
	var best odds.Price
	found := false
	for _, k := range m.order {
		if k.selection != selection || k.side != odds.Back {
			continue
		}
		if p, ok := m.quotes[k].at(t); ok && p.open && (!found || p.price.Cmp(best) > 0) {
			best, found = p.price, true
		}
	}
	return best, found
}

// PriceAt returns the price a provider offered for a selection and side at
// time t: the latest update at or before t that the quote's history still
// holds. ok is false before the first, or past the history kept.
func (b *Book) PriceAt(market, provider, selection string, side odds.Side, line decimal.NullDecimal, t time.Time) (odds.Price, bool) {
	m := b.markets[market]
	if m == nil {
		return odds.Price{}, false
	}
	q := m.quotes[quoteKey{provider, selection, side, odds.LineKeyOf(line)}]
	if q == nil {
		return odds.Price{}, false
	}
	p, ok := q.at(t)
	if !ok || !p.open {
		return odds.Price{}, false
	}
	return p.price, true
}

// points returns the quote's history, oldest first.
func (q *Quote) points() []point {
	if q.next == 0 {
		return q.history
	}
	return append(append([]point(nil), q.history[q.next:]...), q.history[:q.next]...)
}

func (q *Quote) at(t time.Time) (point, bool) {
	ps := q.points()
	i := sort.Search(len(ps), func(i int) bool { return ps[i].at.After(t) })
	if i == 0 {
		return point{}, false
	}
	return ps[i-1], true
}
