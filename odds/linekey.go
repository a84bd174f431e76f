package odds

import "github.com/shopspring/decimal"

// LineKey is a line (handicap or total) as a comparable value, for map keys:
// equal lines give equal keys however they are written (3.5 and 3.50), and
// building one formats nothing. The zero LineKey means "no line".
type LineKey struct {
	coef  int64
	exp   int32
	valid bool
	huge  string // the line's text, when its digits do not fit in int64
}

// LineKeyOf returns the key of l.
func LineKeyOf(l decimal.NullDecimal) LineKey {
	if !l.Valid {
		return LineKey{}
	}
	if l.Decimal.NumDigits() > 18 {
		return LineKey{valid: true, huge: l.Decimal.String()}
	}
	c, x := l.Decimal.CoefficientInt64(), l.Decimal.Exponent()
	for c != 0 && c%10 == 0 {
		c /= 10
		x++
	}
	if c == 0 {
		x = 0
	}
	return LineKey{coef: c, exp: x, valid: true}
}

// Magnitude returns the key of the line's absolute value: the outcomes of
// one spread (home -3.5, away +3.5) or total share it.
func (k LineKey) Magnitude() LineKey {
	if k.coef < 0 {
		k.coef = -k.coef
	}
	if len(k.huge) > 0 && k.huge[0] == '-' {
		k.huge = k.huge[1:]
	}
	return k
}

// AddLine adds a line key as one field: equal lines hash equally however
// they are written, and no line differs from every line.
func (h *Hasher) AddLine(k LineKey) {
	switch {
	case !k.valid:
		h.AddUint64(0)
	case k.huge != "":
		h.AddString(k.huge)
	default:
		h.absorb(uint64(k.coef))
		h.seal(uint64(uint32(k.exp))|1<<32, uintTag)
	}
}
