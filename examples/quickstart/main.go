// Command quickstart runs oddsflow on embedded defaults, with no server.
//
// For now it shows the odds vocabulary on a small book; the assembled
// pipeline replaces it as the collect, normalize, dedupe and sink packages land.
package main

import (
	"fmt"
	"os"

	"github.com/oddsflow/oddsflow/odds"
)

func main() {
	quotes := []string{"-110", "+150", "5/2", "2.50", "EVENS"}
	fmt.Printf("%-8s %-14s %-10s %-8s %s\n", "quote", "decimal", "American", "UK", "implied")
	for _, q := range quotes {
		p, err := odds.Parse(q)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		num, den := p.Fractional()
		fmt.Printf("%-8s %-14s %-10s %-8s %s\n", q, p, p.American(), fmt.Sprintf("%d/%d", num, den), p.Implied())
	}

	book := make([]odds.Price, 0, 3)
	for _, q := range []string{"2.7", "2.3", "4.4"} {
		p, _ := odds.Parse(q)
		book = append(book, p)
	}
	margin, _ := odds.Overround(book)
	fmt.Printf("\nbook 2.7 / 2.3 / 4.4, overround %s\n", margin)
	for _, m := range []odds.Method{odds.Multiplicative, odds.Additive, odds.Power, odds.Shin} {
		f, err := odds.RemoveMargin(book, m)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%-14s fair p %s %s %s  fair prices %s %s %s\n", m,
			f.Probabilities[0].StringFixed(5), f.Probabilities[1].StringFixed(5), f.Probabilities[2].StringFixed(5),
			f.Prices[0].Decimal().StringFixed(3), f.Prices[1].Decimal().StringFixed(3), f.Prices[2].Decimal().StringFixed(3))
	}
}
