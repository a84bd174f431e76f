package generic

import (
	"sync"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// interner keeps one copy of each string, line and price it has seen, so a
// steady feed (a few providers, thousands of markets, a handful of selection
// names and lines) allocates nothing per message. It stops growing at max
// entries per table; past that, values are built fresh each time.
type interner struct {
	mu     sync.RWMutex
	max    int
	str    map[string]string
	lines  map[string]decimal.Decimal
	prices map[string]odds.Price
}

func newInterner(max int) *interner {
	return &interner{
		max:    max,
		str:    make(map[string]string),
		lines:  make(map[string]decimal.Decimal),
		prices: make(map[string]odds.Price),
	}
}

func (in *interner) string(b []byte) string {
	in.mu.RLock()
	s, ok := in.str[string(b)] // no allocation: the compiler looks up without converting
	in.mu.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	in.mu.Lock()
	if len(in.str) < in.max {
		in.str[s] = s
	}
	in.mu.Unlock()
	return s
}

// line returns the decimal of raw, a JSON number or string's content.
func (in *interner) line(raw []byte) (decimal.Decimal, error) {
	in.mu.RLock()
	d, ok := in.lines[string(raw)]
	in.mu.RUnlock()
	if ok {
		return d, nil
	}
	d, err := decimal.NewFromString(string(raw))
	if err != nil {
		return decimal.Decimal{}, err
	}
	in.mu.Lock()
	if len(in.lines) < in.max {
		in.lines[string(raw)] = d
	}
	in.mu.Unlock()
	return d, nil
}

// price returns the price of raw text through parse, remembering it.
func (in *interner) price(raw []byte, parse func(string) (odds.Price, error)) (odds.Price, error) {
	in.mu.RLock()
	p, ok := in.prices[string(raw)]
	in.mu.RUnlock()
	if ok {
		return p, nil
	}
	p, err := parse(string(raw))
	if err != nil {
		return odds.Price{}, err
	}
	in.mu.Lock()
	if len(in.prices) < in.max {
		in.prices[string(raw)] = p
	}
	in.mu.Unlock()
	return p, nil
}
