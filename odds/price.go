package odds

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shopspring/decimal"
)

// Places is the number of decimal places kept when a conversion into decimal
// odds or into a probability does not terminate (American -110 is 21/11 =
// 1.9090909091). Rounding is half away from zero. Ten places keep every
// integer American price within ±10000 round-tripping exactly to 2 places.
const Places = 10

// americanPlaces is the precision of [Price.American].
const americanPlaces = 2

var (
	one     = decimal.NewFromInt(1)
	two     = decimal.NewFromInt(2)
	hundred = decimal.NewFromInt(100)
)

// Price is exact decimal odds: the total return for a stake of 1, stake
// included. The zero Price is not a valid price; constructors never return it
// without an error, and [Price.IsZero] reports it.
//
// Price is a small value; copy it freely. It is safe for concurrent use.
type Price struct {
	d decimal.Decimal
}

// FromDecimal returns the price with decimal odds d, which must be greater than 1.
// It keeps d exactly as given, trailing zeros and all.
func FromDecimal(d decimal.Decimal) (Price, error) {
	if d.Cmp(one) <= 0 {
		return Price{}, fmt.Errorf("%w: decimal odds %s: must be greater than 1", ErrInvalidOdds, d)
	}
	return Price{d: d}, nil
}

// americanTableMax bounds the precomputed American table: integer prices in
// [-americanTableMax, -100] and [100, americanTableMax] cost one lookup.
const americanTableMax = 10000

// americanSlots is the number of table entries on each side of zero.
const americanSlots = americanTableMax - 99

// american caches the integer American prices within ±americanTableMax,
// each converted on its first use: a feed quotes a few hundred of them, and
// converting all 19,802 up front (a division each) took 9 ms, which a short
// backtest or a benchmark would pay in full.
var american struct {
	mu    sync.Mutex // held to fill a slot
	slots [2 * americanSlots]americanSlot
}

// americanSlot is one cached price. ready is set once p is written and p
// never changes after, so a reader that sees ready may read p without a lock.
type americanSlot struct {
	ready atomic.Bool
	p     Price
}

// cachedAmerican returns the price of American a, kept in slot i.
func cachedAmerican(i int, a int64) Price {
	s := &american.slots[i]
	if s.ready.Load() {
		return s.p
	}
	american.mu.Lock()
	defer american.mu.Unlock()
	if !s.ready.Load() {
		if a > 0 {
			s.p = Price{d: americanPositive(decimal.NewFromInt(a))}
		} else {
			s.p = Price{d: americanNegative(decimal.NewFromInt(-a))}
		}
		s.ready.Store(true)
	}
	return s.p
}

// americanPositive converts American +a (a >= 100) exactly: 1 + a/100.
func americanPositive(a decimal.Decimal) decimal.Decimal {
	return a.Shift(-2).Add(one)
}

// americanNegative converts American -a (a >= 100): 1 + 100/a, rounded to Places.
func americanNegative(a decimal.Decimal) decimal.Decimal {
	return a.Add(hundred).DivRound(a, Places)
}

// FromAmerican returns the price of integer American odds a. a must be at most
// -100 or at least +100. Prices within ±10000 are converted once and then
// come from a table, without allocating.
func FromAmerican(a int64) (Price, error) {
	switch {
	case a >= 100 && a <= americanTableMax:
		return cachedAmerican(int(a-100), a), nil
	case a <= -100 && a >= -americanTableMax:
		return cachedAmerican(int(americanSlots-a-100), a), nil
	case a > -100 && a < 100:
		return Price{}, fmt.Errorf("%w: American odds %d: must be <= -100 or >= +100", ErrInvalidOdds, a)
	case a > 0:
		return Price{d: americanPositive(decimal.NewFromInt(a))}, nil
	default:
		return rounded(americanNegative(decimal.NewFromInt(a).Neg()), "American odds", a)
	}
}

// rounded returns the price d that a conversion rounded to [Places], or an
// error if the rounding left nothing to win: -10^13 American is 1.0000000000.
func rounded(d decimal.Decimal, notation string, v any) (Price, error) {
	if d.Cmp(one) <= 0 {
		return Price{}, fmt.Errorf("%w: %s %v: shorter than %d decimal places can hold", ErrInvalidOdds, notation, v, Places)
	}
	return Price{d: d}, nil
}

// FromAmericanDecimal returns the price of American odds a that may have a
// fractional part, such as -110.5. a must be at most -100 or at least +100.
func FromAmericanDecimal(a decimal.Decimal) (Price, error) {
	if a.IsInteger() && a.Abs().Cmp(decimal.NewFromInt(americanTableMax)) <= 0 {
		return FromAmerican(a.IntPart())
	}
	switch {
	case a.Cmp(hundred) >= 0:
		return Price{d: americanPositive(a)}, nil
	case a.Cmp(hundred.Neg()) <= 0:
		return rounded(americanNegative(a.Neg()), "American odds", a)
	default:
		return Price{}, fmt.Errorf("%w: American odds %s: must be <= -100 or >= +100", ErrInvalidOdds, a)
	}
}

// FromFractional returns the price of fractional (UK) odds num/den, which
// pays num for a stake of den. Both must be positive.
func FromFractional(num, den int64) (Price, error) {
	if num <= 0 || den <= 0 {
		return Price{}, fmt.Errorf("%w: fractional odds %d/%d: numerator and denominator must be positive", ErrInvalidOdds, num, den)
	}
	return rounded(decimal.NewFromInt(num).DivRound(decimal.NewFromInt(den), Places).Add(one), "fractional odds", fmt.Sprintf("%d/%d", num, den))
}

// FromImplied returns the price whose implied probability is p: 1/p, rounded
// to [Places]. p must lie in the open interval (0, 1).
func FromImplied(p decimal.Decimal) (Price, error) {
	if p.Sign() <= 0 || p.Cmp(one) >= 0 {
		return Price{}, fmt.Errorf("%w: %w: implied probability %s: must be in (0, 1)", ErrInvalidOdds, ErrInvalidProbability, p)
	}
	return rounded(one.DivRound(p, Places), "implied probability", p)
}

// Parse reads a price in any notation feeds send: American ("-110", "+150",
// "−110" with the Unicode minus sign, "-110.5"), fractional ("5/2", "1/1"),
// "EVEN", "EVENS" or "EVS" in any case, and decimal ("2.50"). Surrounding
// white space is ignored. An unsigned number is decimal odds.
//
// Text in no notation returns an error wrapping [ErrSyntax]; a price out of
// its notation's range returns one wrapping [ErrInvalidOdds]. Both wrap
// [ErrInvalidOdds].
func Parse(s string) (Price, error) {
	t := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(t, "\u2212"); ok {
		t = "-" + rest
	}
	switch {
	case t == "":
		return Price{}, syntaxError(s)
	case strings.EqualFold(t, "even"), strings.EqualFold(t, "evens"), strings.EqualFold(t, "evs"):
		return Price{d: two}, nil
	case strings.Contains(t, "/"):
		n, d, _ := strings.Cut(t, "/")
		num, err1 := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		den, err2 := strconv.ParseInt(strings.TrimSpace(d), 10, 64)
		if err1 != nil || err2 != nil {
			return Price{}, syntaxError(s)
		}
		return FromFractional(num, den)
	case t[0] == '+' || t[0] == '-':
		if !plainNumber(t[1:]) {
			return Price{}, syntaxError(s)
		}
		if a, err := strconv.ParseInt(t, 10, 64); err == nil {
			return FromAmerican(a)
		}
		a, err := decimal.NewFromString(t)
		if err != nil {
			return Price{}, syntaxError(s)
		}
		return FromAmericanDecimal(a)
	default:
		if !plainNumber(t) {
			return Price{}, syntaxError(s)
		}
		d, err := decimal.NewFromString(t)
		if err != nil {
			return Price{}, syntaxError(s)
		}
		return FromDecimal(d)
	}
}

// plainNumber reports whether s is digits with at most one decimal point and
// at least one digit: what prices look like. It keeps exponents ("1e9999"),
// which would let one short string cost megabytes, out of Parse.
func plainNumber(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1 && digits <= 40
}

func syntaxError(s string) error {
	return fmt.Errorf("%w: %w: %q is not a price", ErrInvalidOdds, ErrSyntax, s)
}

// IsZero reports whether p is the zero Price, which is not a valid price.
func (p Price) IsZero() bool { return p.d.IsZero() }

// Decimal returns the decimal odds.
func (p Price) Decimal() decimal.Decimal { return p.d }

// String returns the decimal odds in plain notation, such as "1.9090909091".
func (p Price) String() string { return p.d.String() }

// Equal reports whether p and q are the same odds, whatever their trailing zeros.
func (p Price) Equal(q Price) bool { return p.d.Equal(q.d) }

// Cmp compares p and q by their decimal odds: -1 if p < q, 0 if equal, +1 if p > q.
// A longer price (larger decimal odds) pays more.
func (p Price) Cmp(q Price) int { return p.d.Cmp(q.d) }

// American returns the price as American odds, rounded half away from zero to
// 2 places. Decimal odds of 2 and above give positive odds ((d-1)*100), so
// even money is +100; below 2 they give negative odds (-100/(d-1)).
// The zero Price returns zero.
func (p Price) American() decimal.Decimal {
	if p.IsZero() {
		return decimal.Zero
	}
	win := p.d.Sub(one)
	if p.d.Cmp(two) >= 0 {
		return win.Mul(hundred).Round(americanPlaces)
	}
	return hundred.Neg().DivRound(win, americanPlaces)
}

// Implied returns the implied probability 1/d, rounded half away from zero
// to [Places]. The zero Price returns zero.
func (p Price) Implied() decimal.Decimal {
	if p.IsZero() {
		return decimal.Zero
	}
	return one.DivRound(p.d, Places)
}

// Fraction returns the exact fractional odds d-1 as a reduced fraction:
// 1.9090909091 is 9090909091/10000000000, not 10/11. Use [Price.Fractional]
// for the conventional fraction a bookmaker would show.
func (p Price) Fraction() *big.Rat {
	if p.IsZero() {
		return new(big.Rat)
	}
	return p.d.Sub(one).Rat()
}

// MarshalText encodes p as its decimal odds, for JSON and text formats.
func (p Price) MarshalText() ([]byte, error) { return []byte(p.d.String()), nil }

// UnmarshalText decodes decimal odds written by [Price.MarshalText]. Unlike
// [Parse] it accepts only decimal odds, so a value read back is never
// reinterpreted in another notation.
func (p *Price) UnmarshalText(text []byte) error {
	if !plainNumber(string(text)) {
		return syntaxError(string(text))
	}
	d, err := decimal.NewFromString(string(text))
	if err != nil {
		return syntaxError(string(text))
	}
	q, err := FromDecimal(d)
	if err != nil {
		return err
	}
	*p = q
	return nil
}
