package odds_test

import (
	"errors"
	"fmt"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

func ExampleParse() {
	for _, s := range []string{"-110", "+150", "5/2", "2.50", "EVENS", "\u2212200"} {
		p, err := odds.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-6s decimal %-12s American %s\n", s, p, p.American())
	}
	_, err := odds.Parse("-50")
	fmt.Println(errors.Is(err, odds.ErrInvalidOdds), err)
	// Output:
	// -110   decimal 1.9090909091 American -110
	// +150   decimal 2.5          American 150
	// 5/2    decimal 3.5          American 250
	// 2.50   decimal 2.5          American 150
	// EVENS  decimal 2            American 100
	// −200   decimal 1.5          American -200
	// true odds: invalid odds: American odds -50: must be <= -100 or >= +100
}

func ExampleFromAmerican() {
	p, err := odds.FromAmerican(-110)
	if err != nil {
		panic(err)
	}
	num, den := p.Fractional()
	fmt.Println(p, p.Implied(), fmt.Sprintf("%d/%d", num, den))
	// Output: 1.9090909091 0.5238095238 10/11
}

func ExampleFromFractional() {
	p, _ := odds.FromFractional(4, 6)
	fmt.Println(p, p.Fraction(), p.American())
	// Output: 1.6666666667 6666666667/10000000000 -150
}

func ExampleFromDecimal() {
	p, _ := odds.FromDecimal(decimal.RequireFromString("2.75"))
	num, den := p.Fractional()
	fmt.Printf("%s = %d/%d = %s American\n", p, num, den, p.American())
	// Output: 2.75 = 7/4 = 175 American
}

func ExampleFromImplied() {
	p, _ := odds.FromImplied(decimal.RequireFromString("0.8"))
	fmt.Println(p)
	// Output: 1.25
}

func ExampleOverround() {
	a, _ := odds.FromAmerican(-110)
	margin, _ := odds.Overround([]odds.Price{a, a})
	fmt.Println(margin)
	// Output: 0.0476190476
}

func ExampleRemoveMargin() {
	var book []odds.Price
	for _, s := range []string{"2.7", "2.3", "4.4"} {
		p, _ := odds.Parse(s)
		book = append(book, p)
	}
	for _, m := range []odds.Method{odds.Multiplicative, odds.Additive, odds.Power, odds.Shin} {
		f, err := odds.RemoveMargin(book, m)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-14s %s %s %s converged=%v\n", m,
			f.Probabilities[0].StringFixed(5), f.Probabilities[1].StringFixed(5), f.Probabilities[2].StringFixed(5), f.Converged)
	}
	// Output:
	// multiplicative 0.35874 0.42113 0.22013 converged=true
	// additive       0.35956 0.42397 0.21646 converged=true
	// power          0.35917 0.42373 0.21710 converged=true
	// shin           0.35934 0.42324 0.21741 converged=true
}

func ExampleHasher() {
	var h odds.Hasher
	h.AddString("pinnacle")
	h.AddString("nfl-2026-00042:spreads")
	h.AddString("home")
	h.AddUint64(1795000000123) // provider time, ms
	fmt.Println(h.Sum())
	// Output: 54dd3756bf76eac9ab446c43dedf98ba
}
