package odds

import (
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestFromAmerican(t *testing.T) {
	cases := []struct {
		in      int64
		want    string
		wantErr error
	}{
		{-110, "1.9090909091", nil},
		{+150, "2.5", nil},
		{+100, "2", nil},
		{-100, "2", nil},
		{-200, "1.5", nil},
		{-10000, "1.01", nil},
		{+10000, "101", nil},
		{-10001, "1.0099990001", nil}, // beyond the table: computed
		{+25000, "251", nil},
		{-99, "", ErrInvalidOdds},
		{99, "", ErrInvalidOdds},
		{0, "", ErrInvalidOdds},
	}
	for _, c := range cases {
		p, err := FromAmerican(c.in)
		if !errors.Is(err, c.wantErr) {
			t.Errorf("FromAmerican(%d) error = %v, want %v", c.in, err, c.wantErr)
			continue
		}
		if c.wantErr == nil && !p.Decimal().Equal(dec(c.want)) {
			t.Errorf("FromAmerican(%d) = %s, want %s", c.in, p, c.want)
		}
	}
}

// The table and the general conversion must agree everywhere.
func TestAmericanTableMatchesComputation(t *testing.T) {
	for a := int64(100); a <= americanTableMax; a++ {
		pos, _ := FromAmerican(a)
		if want := americanPositive(decimal.NewFromInt(a)); !pos.d.Equal(want) {
			t.Fatalf("+%d: table %s, computed %s", a, pos, want)
		}
		neg, _ := FromAmerican(-a)
		if want := americanNegative(decimal.NewFromInt(a)); !neg.d.Equal(want) {
			t.Fatalf("-%d: table %s, computed %s", a, neg, want)
		}
	}
}

// Goroutines that convert the same prices at once all get the exact price
// (and, under -race, share the cache without a data race).
func TestFromAmericanConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for a := int64(7000); a <= 7300; a++ {
				v := a
				if (a+int64(g))%2 == 0 {
					v = -a
				}
				p, err := FromAmerican(v)
				want := americanPositive(decimal.NewFromInt(v))
				if v < 0 {
					want = americanNegative(decimal.NewFromInt(-v))
				}
				if err != nil || !p.d.Equal(want) {
					errs <- fmt.Sprintf("FromAmerican(%d) = %s, %v; want %s", v, p, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// Every integer American price within ±10000 survives the round trip exactly.
func TestAmericanRoundTrip(t *testing.T) {
	for a := int64(100); a <= americanTableMax; a++ {
		for _, v := range []int64{a, -a} {
			p, _ := FromAmerican(v)
			got := p.American()
			if v == -100 {
				v = 100 // even money is +100 by convention
			}
			if !got.Equal(decimal.NewFromInt(v)) {
				t.Fatalf("American(FromAmerican(%d)) = %s", v, got)
			}
		}
	}
}

func TestFromAmericanDecimal(t *testing.T) {
	cases := []struct {
		in, want string
		wantErr  error
	}{
		{"-110.5", "1.9049773756", nil},
		{"150.25", "2.5025", nil},
		{"-110", "1.9090909091", nil},
		{"99.99", "", ErrInvalidOdds},
		{"-99.5", "", ErrInvalidOdds},
	}
	for _, c := range cases {
		p, err := FromAmericanDecimal(dec(c.in))
		if !errors.Is(err, c.wantErr) {
			t.Errorf("FromAmericanDecimal(%s) error = %v, want %v", c.in, err, c.wantErr)
			continue
		}
		if c.wantErr == nil && !p.Decimal().Equal(dec(c.want)) {
			t.Errorf("FromAmericanDecimal(%s) = %s, want %s", c.in, p, c.want)
		}
	}
}

func TestFromFractional(t *testing.T) {
	cases := []struct {
		num, den int64
		want     string
		wantErr  error
	}{
		{5, 2, "3.5", nil},
		{1, 1, "2", nil},
		{4, 6, "1.6666666667", nil},
		{10, 11, "1.9090909091", nil},
		{100, 1, "101", nil},
		{0, 1, "", ErrInvalidOdds},
		{1, 0, "", ErrInvalidOdds},
		{-5, 2, "", ErrInvalidOdds},
	}
	for _, c := range cases {
		p, err := FromFractional(c.num, c.den)
		if !errors.Is(err, c.wantErr) {
			t.Errorf("FromFractional(%d, %d) error = %v, want %v", c.num, c.den, err, c.wantErr)
			continue
		}
		if c.wantErr == nil && !p.Decimal().Equal(dec(c.want)) {
			t.Errorf("FromFractional(%d, %d) = %s, want %s", c.num, c.den, p, c.want)
		}
	}
}

func TestFromDecimalAndImplied(t *testing.T) {
	if _, err := FromDecimal(dec("1")); !errors.Is(err, ErrInvalidOdds) {
		t.Errorf("FromDecimal(1) error = %v, want ErrInvalidOdds", err)
	}
	if _, err := FromDecimal(dec("0.5")); !errors.Is(err, ErrInvalidOdds) {
		t.Errorf("FromDecimal(0.5) error = %v", err)
	}
	p, err := FromDecimal(dec("2.50"))
	if err != nil || p.String() != "2.5" {
		t.Errorf("FromDecimal(2.50) = %s, %v", p, err)
	}
	for _, c := range []struct{ p, want string }{{"0.5", "2"}, {"0.4", "2.5"}, {"0.3", "3.3333333333"}} {
		got, err := FromImplied(dec(c.p))
		if err != nil || !got.Decimal().Equal(dec(c.want)) {
			t.Errorf("FromImplied(%s) = %s, %v; want %s", c.p, got, err, c.want)
		}
	}
	for _, bad := range []string{"0", "1", "-0.2", "1.5"} {
		_, err := FromImplied(dec(bad))
		if !errors.Is(err, ErrInvalidProbability) || !errors.Is(err, ErrInvalidOdds) {
			t.Errorf("FromImplied(%s) error = %v, want ErrInvalidProbability and ErrInvalidOdds", bad, err)
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"-110", "1.9090909091", nil},
		{"+150", "2.5", nil},
		{"\u2212110", "1.9090909091", nil}, // Unicode minus sign
		{" -110 ", "1.9090909091", nil},
		{"-110.5", "1.9049773756", nil},
		{"2.50", "2.5", nil},
		{"150", "150", nil}, // unsigned means decimal
		{"5/2", "3.5", nil},
		{"1/1", "2", nil},
		{"4/6", "1.6666666667", nil},
		{"EVEN", "2", nil},
		{"evens", "2", nil},
		{"Evs", "2", nil},
		{"", "", ErrSyntax},
		{"abc", "", ErrSyntax},
		{"1e5", "", ErrSyntax},
		{"+", "", ErrSyntax},
		{"2.5.1", "", ErrSyntax},
		{"5/", "", ErrSyntax},
		{"5/2/1", "", ErrSyntax},
		{"--110", "", ErrSyntax},
		{"-50", "", ErrInvalidOdds},
		{"1.0", "", ErrInvalidOdds},
		{"0/1", "", ErrInvalidOdds},
		{"0.9", "", ErrInvalidOdds},
	}
	for _, c := range cases {
		p, err := Parse(c.in)
		if !errors.Is(err, c.wantErr) {
			t.Errorf("Parse(%q) error = %v, want %v", c.in, err, c.wantErr)
			continue
		}
		if err != nil && !errors.Is(err, ErrInvalidOdds) {
			t.Errorf("Parse(%q) error = %v does not wrap ErrInvalidOdds", c.in, err)
		}
		if c.wantErr == nil && !p.Decimal().Equal(dec(c.want)) {
			t.Errorf("Parse(%q) = %s, want %s", c.in, p, c.want)
		}
	}
}

func TestAmerican(t *testing.T) {
	cases := []struct{ dec, want string }{
		{"2", "100"},
		{"2.5", "150"},
		{"1.5", "-200"},
		{"1.9090909091", "-110"},
		{"1.91", "-109.89"},
		{"3.333", "233.3"},
		{"1.0001", "-1000000"},
	}
	for _, c := range cases {
		p, _ := FromDecimal(dec(c.dec))
		if got := p.American(); !got.Equal(dec(c.want)) {
			t.Errorf("American(%s) = %s, want %s", c.dec, got, c.want)
		}
	}
	if got := (Price{}).American(); !got.IsZero() {
		t.Errorf("zero Price American() = %s", got)
	}
}

func TestImplied(t *testing.T) {
	cases := []struct{ dec, want string }{{"2", "0.5"}, {"3", "0.3333333333"}, {"1.5", "0.6666666667"}}
	for _, c := range cases {
		p, _ := FromDecimal(dec(c.dec))
		if got := p.Implied(); !got.Equal(dec(c.want)) {
			t.Errorf("Implied(%s) = %s, want %s", c.dec, got, c.want)
		}
	}
}

func TestFraction(t *testing.T) {
	cases := []struct{ dec, want string }{{"3.5", "5/2"}, {"2", "1/1"}, {"1.25", "1/4"}, {"1.9090909091", "9090909091/10000000000"}}
	for _, c := range cases {
		p, _ := FromDecimal(dec(c.dec))
		want, _ := new(big.Rat).SetString(c.want)
		if got := p.Fraction(); got.Cmp(want) != 0 {
			t.Errorf("Fraction(%s) = %s, want %s", c.dec, got, c.want)
		}
	}
}

func TestFractional(t *testing.T) {
	cases := []struct {
		dec      string
		num, den int64
	}{
		{"1.6667", 4, 6},
		{"1.6154", 8, 13},
		{"1.9091", 10, 11},
		{"2", 1, 1},
		{"2.1", 11, 10},
		{"2.5", 6, 4},
		{"2.625", 13, 8},
		{"3.5", 5, 2},
		{"1.001", 1, 100},
		{"5000", 1000, 1},
		{"2.05", 21, 20},
		{"1.95", 10, 11},
		{"2.025", 1, 1}, // exactly between 2 and 2.05: the shorter price
	}
	for _, c := range cases {
		p, _ := FromDecimal(dec(c.dec))
		num, den := p.Fractional()
		if num != c.num || den != c.den {
			t.Errorf("Fractional(%s) = %d/%d, want %d/%d", c.dec, num, den, c.num, c.den)
		}
	}
	for i := 1; i < len(ladder); i++ {
		if ladderPrices()[i-1].Cmp(ladderPrices()[i]) >= 0 {
			t.Errorf("ladder not increasing at %v", ladder[i])
		}
	}
}

func TestTextRoundTrip(t *testing.T) {
	p, _ := FromAmerican(-110)
	b, err := p.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var q Price
	if err := q.UnmarshalText(b); err != nil || !q.Equal(p) {
		t.Fatalf("round trip of %s = %s, %v", p, q, err)
	}
	if err := q.UnmarshalText([]byte("+150")); !errors.Is(err, ErrSyntax) {
		t.Errorf("UnmarshalText(+150) error = %v, want ErrSyntax", err)
	}
	if err := q.UnmarshalText([]byte("1")); !errors.Is(err, ErrInvalidOdds) {
		t.Errorf("UnmarshalText(1) error = %v, want ErrInvalidOdds", err)
	}
}

func TestLineKey(t *testing.T) {
	key := func(s string) LineKey { return LineKeyOf(decimal.NewNullDecimal(dec(s))) }
	if key("3.5") != key("3.50") || key("-0") != key("0.00") || key("3.5") == key("-3.5") || key("35") == key("3.5") {
		t.Error("keys do not follow the value")
	}
	if key("-3.5").Magnitude() != key("3.5") || LineKeyOf(decimal.NullDecimal{}) == key("0") {
		t.Error("magnitude or the missing line")
	}
	big := "123456789012345678901234.5"
	if key(big) != key(big+"0") || key(big) == key("123456789012345678901234.6") || key("-"+big).Magnitude() != key(big) {
		t.Error("lines beyond int64 digits")
	}
}

func TestHasherAddLine(t *testing.T) {
	sum := func(k LineKey) ID {
		var h Hasher
		h.AddString("x")
		h.AddLine(k)
		return h.Sum()
	}
	key := func(s string) LineKey { return LineKeyOf(decimal.NewNullDecimal(dec(s))) }
	big := "123456789012345678901234.5"
	if sum(key("3.5")) != sum(key("3.50")) || sum(key(big)) != sum(key(big+"00")) {
		t.Error("equal lines hash differently")
	}
	seen := map[ID]string{}
	for _, s := range []string{"", "0", "3.5", "-3.5", "35", "0.35", big, "-" + big} {
		k := LineKey{}
		if s != "" {
			k = key(s)
		}
		if other, ok := seen[sum(k)]; ok {
			t.Errorf("lines %q and %q hash alike", s, other)
		}
		seen[sum(k)] = s
	}
}
