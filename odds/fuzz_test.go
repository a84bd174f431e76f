package odds

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// checkPrice asserts what every constructor promises: an error wraps
// ErrInvalidOdds, and a success is a valid price whose conversions work.
func checkPrice(t *testing.T, what string, p Price, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrInvalidOdds) {
			t.Fatalf("%s: error %v does not wrap ErrInvalidOdds", what, err)
		}
		return
	}
	if p.Decimal().Cmp(one) <= 0 {
		t.Fatalf("%s = %s: not greater than 1", what, p)
	}
	imp := p.Implied()
	if imp.Sign() < 0 || imp.Cmp(one) > 0 {
		t.Fatalf("%s: implied %s outside [0, 1]", what, imp)
	}
	p.Fractional()
	if p.Decimal().Exponent() > -30 && p.Decimal().NumDigits() < 60 {
		// Round trip through American, within its 2-place rounding: the
		// decimal odds it gives back differ by less than the rounding moves them.
		a := p.American()
		back, err := FromAmericanDecimal(a)
		if err == nil && p.Decimal().Cmp(decimal.NewFromInt(1000)) < 0 {
			if back.Decimal().Sub(p.Decimal()).Abs().Cmp(decimal.New(1, -3)) > 0 {
				t.Fatalf("%s = %s: American %s comes back as %s", what, p, a, back)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"-110", "+150", "\u2212110", "2.50", "5/2", "EVEN", "evens", "1/1", "", "1e5", "-99", "0/0", "9223372036854775807/1", "+9223372036854775807", "-110.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		checkPrice(t, "Parse("+s+")", p, err)
		if err == nil {
			// A price's own text parses back to the same price.
			q, err := Parse(p.String())
			if err != nil || !q.Equal(p) {
				t.Fatalf("Parse(%q) = %s, whose text parses to %s, %v", s, p, q, err)
			}
		}
		if err == nil && strings.TrimSpace(s) == "" {
			t.Fatal("blank text parsed")
		}
	})
}

func FuzzFromAmerican(f *testing.F) {
	for _, a := range []int64{-110, 150, 100, -100, 99, -99, 0, 10000, -10001, 1 << 62, -1 << 63} {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, a int64) {
		p, err := FromAmerican(a)
		checkPrice(t, "FromAmerican", p, err)
		inRange := a <= -100 || a >= 100
		representable := a >= -1e9 // shorter ones round to 1 at Places
		if (err == nil && !inRange) || (err != nil && inRange && representable) {
			t.Fatalf("FromAmerican(%d) error = %v", a, err)
		}
		if err == nil && a >= -10000 && a <= 10000 && a != -100 {
			if got := p.American(); !got.Equal(decimal.NewFromInt(a)) {
				t.Fatalf("FromAmerican(%d).American() = %s", a, got)
			}
		}
	})
}

func FuzzFromFractional(f *testing.F) {
	f.Add(int64(5), int64(2))
	f.Add(int64(0), int64(1))
	f.Add(int64(1), int64(0))
	f.Add(int64(-1<<63), int64(-1))
	f.Fuzz(func(t *testing.T, num, den int64) {
		p, err := FromFractional(num, den)
		checkPrice(t, "FromFractional", p, err)
		valid := num > 0 && den > 0
		if (err == nil && !valid) || (err != nil && valid && den/num < 1e9) {
			t.Fatalf("FromFractional(%d, %d) error = %v", num, den, err)
		}
	})
}

// decimalArg turns fuzz input into a decimal without exponent blow-ups.
func decimalArg(mant int64, exp int8) decimal.Decimal { return decimal.New(mant, int32(exp)%20) }

func FuzzFromDecimal(f *testing.F) {
	f.Add(int64(250), int8(-2))
	f.Add(int64(1), int8(0))
	f.Fuzz(func(t *testing.T, mant int64, exp int8) {
		d := decimalArg(mant, exp)
		p, err := FromDecimal(d)
		checkPrice(t, "FromDecimal", p, err)
		if err == nil && !p.Decimal().Equal(d) {
			t.Fatalf("FromDecimal(%s) = %s: not kept exactly", d, p)
		}
	})
}

func FuzzFromAmericanDecimal(f *testing.F) {
	f.Add(int64(-1105), int8(-1))
	f.Add(int64(9999), int8(-2))
	f.Fuzz(func(t *testing.T, mant int64, exp int8) {
		p, err := FromAmericanDecimal(decimalArg(mant, exp))
		checkPrice(t, "FromAmericanDecimal", p, err)
	})
}

func FuzzFromImplied(f *testing.F) {
	f.Add(int64(5), int8(-1))
	f.Add(int64(1), int8(0))
	f.Fuzz(func(t *testing.T, mant int64, exp int8) {
		p, err := FromImplied(decimalArg(mant, exp))
		checkPrice(t, "FromImplied", p, err)
	})
}

func FuzzUnmarshalText(f *testing.F) {
	for _, s := range []string{"2.5", "1", "+150", "open", "lay", "0230a1014365ad3eac6d65c4fd7b6378"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p Price
		if err := p.UnmarshalText([]byte(s)); err == nil {
			checkPrice(t, "UnmarshalText", p, nil)
		} else if !errors.Is(err, ErrInvalidOdds) {
			t.Fatalf("Price.UnmarshalText(%q) error = %v", s, err)
		}
		var id ID
		if err := id.UnmarshalText([]byte(s)); err == nil {
			if b, _ := id.MarshalText(); !strings.EqualFold(string(b), s) {
				t.Fatalf("ID %q re-encodes as %s", s, b)
			}
		} else if !errors.Is(err, ErrSyntax) {
			t.Fatalf("ID.UnmarshalText(%q) error = %v", s, err)
		}
		var st Status
		if err := st.UnmarshalText([]byte(s)); err == nil && st.String() != s {
			t.Fatalf("status %q decodes to %v", s, st)
		}
		var sd Side
		if err := sd.UnmarshalText([]byte(s)); err == nil && sd.String() != s {
			t.Fatalf("side %q decodes to %v", s, sd)
		}
	})
}
