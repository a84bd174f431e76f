package book

import (
	"fmt"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

var t0 = time.Unix(1795000000, 0).UTC()

func ev(provider, market, sel, price string, at time.Duration) odds.Event {
	p, err := odds.Parse(price)
	if err != nil {
		panic(err)
	}
	return odds.Event{Provider: provider, Market: market, Selection: sel, Price: p, SourceTime: t0.Add(at)}
}

func withLine(e odds.Event, line string) odds.Event {
	e.Line = decimal.NewNullDecimal(decimal.RequireFromString(line))
	return e
}

func TestApplyInOrder(t *testing.T) {
	b := New(Config{})
	if !b.Apply(ev("a", "m", "home", "2.0", 10*time.Second)) {
		t.Fatal("first update refused")
	}
	if b.Apply(ev("a", "m", "home", "3.0", 5*time.Second)) {
		t.Error("an older update was applied")
	}
	late := ev("a", "m", "home", "3.0", 5*time.Second)
	late.Seq, b.Market("m").quotes[quoteKey{"a", "home", odds.Back, odds.LineKey{}}].Latest.Seq = 9, 8
	if !b.Apply(late) {
		t.Error("a newer sequence was refused for an older time: sequences decide when both have one")
	}
	if got := b.Market("m").Quotes()[0].Price.String(); got != "3" {
		t.Errorf("latest %s", got)
	}
}

func TestBestAndOutcomes(t *testing.T) {
	b := New(Config{})
	b.Apply(ev("a", "m", "home", "1.90", 0))
	b.Apply(ev("b", "m", "home", "1.95", 0))
	b.Apply(ev("a", "m", "away", "1.92", 0))
	susp := ev("c", "m", "away", "5.0", 0)
	susp.Status = odds.StatusSuspended // not on offer
	b.Apply(susp)
	lay := ev("d", "m", "away", "9.0", 0)
	lay.Side = odds.Lay // not a back price
	b.Apply(lay)
	got := fmt.Sprint(b.Best("m"))
	best := b.Best("m")
	if len(best) != 2 || best[0].Price.String() != "1.95" || best[0].Provider != "b" || best[0].Providers != 2 ||
		best[1].Price.String() != "1.92" || best[1].Providers != 1 {
		t.Fatalf("best %s", got)
	}
	o, err := b.Overround("m")
	if err != nil || !o.Equal(decimal.RequireFromString("0.0336538462")) {
		t.Errorf("overround %s, %v", o, err)
	}
	f, err := b.Fair("m", odds.Multiplicative)
	if err != nil || f.Probabilities[0].Add(f.Probabilities[1]).Round(8).String() != "1" {
		t.Errorf("fair %+v, %v", f, err)
	}
	// Spreads: lines pair by magnitude; a different line is another set.
	b.Apply(withLine(ev("a", "s", "home", "1.91", 0), "-3.5"))
	b.Apply(withLine(ev("a", "s", "away", "1.91", 0), "3.50"))
	b.Apply(withLine(ev("a", "s", "home", "2.2", 0), "-7"))
	sets := b.Outcomes("s")
	if len(sets) != 1 || len(sets[0]) != 2 {
		t.Errorf("outcome sets %v", sets)
	}
	if _, err := b.Overround("nothing"); err == nil {
		t.Error("an unknown market has an overround")
	}
}

func TestArbitrage(t *testing.T) {
	b := New(Config{})
	b.Apply(ev("a", "m", "home", "2.10", 0))
	b.Apply(ev("a", "m", "away", "1.80", 0))
	if arbs := b.Arbitrage("m", decimal.NewFromInt(100)); len(arbs) != 0 {
		t.Fatalf("one book at a margin is no arbitrage: %+v", arbs)
	}
	b.Apply(ev("b", "m", "away", "2.10", time.Second))
	arbs := b.Arbitrage("m", decimal.NewFromInt(100))
	if len(arbs) != 1 {
		t.Fatalf("arbitrages %+v", arbs)
	}
	a := arbs[0]
	if a.Stakes[0].String() != "50" || a.Stakes[1].String() != "50" || a.Payout.String() != "105" || a.Profit.String() != "5" || a.Margin.String() != "0.05" {
		t.Errorf("arbitrage %+v", a)
	}
	if a.Outcomes[0].Provider != "a" || a.Outcomes[1].Provider != "b" {
		t.Errorf("providers %+v", a.Outcomes)
	}
}

func TestPriceAtAndTrend(t *testing.T) {
	b := New(Config{History: 3})
	b.Apply(ev("a", "m", "home", "2.0", 0))
	b.Apply(ev("a", "m", "home", "4.0", 10*time.Second))
	b.Apply(ev("b", "m", "home", "5.0", 20*time.Second))
	at := func(d time.Duration) string {
		p, ok := b.PriceAt("m", "a", "home", odds.Back, decimal.NullDecimal{}, t0.Add(d))
		if !ok {
			return "-"
		}
		return p.String()
	}
	if got := fmt.Sprintf("%s %s %s %s %s", at(-time.Second), at(0), at(9*time.Second), at(10*time.Second), at(time.Hour)); got != "- 2 2 4 4" {
		t.Errorf("as-of prices %s", got)
	}
	// 10s at 2.0 (p .5), 10s at 4.0 (.25), 10s at 5.0 (.2): mean .3166666667
	avg, ok := b.ImpliedTrend("m", "home", 30*time.Second, t0.Add(30*time.Second))
	if !ok || avg.String() != "0.3166666667" {
		t.Errorf("trend %s, %v", avg, ok)
	}
	// History is bounded: the oldest point falls out.
	b.Apply(ev("a", "m", "home", "6.0", 30*time.Second))
	b.Apply(ev("a", "m", "home", "7.0", 40*time.Second))
	if got := at(5 * time.Second); got != "-" {
		t.Errorf("a price past the history came back: %s", got)
	}
}

// BenchmarkApply: in-place updates of existing quotes, one core.
func BenchmarkApply(b *testing.B) {
	bk := New(Config{})
	var evs []odds.Event
	for m := range 100 {
		for _, p := range []string{"a", "b", "c", "d", "e"} {
			for _, s := range []string{"home", "away"} {
				evs = append(evs, ev(p, fmt.Sprintf("m%d", m), s, "1.91", 0))
			}
		}
	}
	for _, e := range evs {
		bk.Apply(e)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := evs[i%len(evs)]
		e.SourceTime = t0.Add(time.Duration(i))
		bk.Apply(e)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkBestAndArbitrage: what a strategy pays per update to ask for the
// best prices and arbitrages of the market it touched.
func BenchmarkBestAndArbitrage(b *testing.B) {
	bk := New(Config{})
	for _, p := range []string{"a", "b", "c", "d", "e"} {
		bk.Apply(ev(p, "m", "home", "1.91", 0))
		bk.Apply(ev(p, "m", "away", "1.95", 0))
	}
	total := decimal.NewFromInt(100)
	b.ReportAllocs()
	for b.Loop() {
		bk.Best("m")
		bk.Arbitrage("m", total)
	}
}
