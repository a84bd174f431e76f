// Command backtest replays recorded Betfair markets through the Betfair
// normalizer and a simple strategy, on the recording's own clock, and
// prints the same result on every run.
//
// The strategy backs a runner whose best back price has shortened by at
// least 10% within a minute of market time (money coming for it), once per
// runner, for a stake of 10, and settles the bets when the market closes.
// The data are the real WIN and PLACE markets of one race in
// normalize/betfair/testdata/recorded (MIT, see SOURCES.md there).
//
//	go run ./examples/backtest
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/oddsflow/oddsflow"
	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize/betfair"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/shopspring/decimal"
)

func main() {
	data := flag.String("data", "", "directory of recorded markets (default: the repository's Betfair recordings)")
	flag.Parse()
	dir := *data
	if dir == "" {
		dir = findRecordings()
	}
	if err := backtest(context.Background(), dir, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "backtest:", err)
		os.Exit(1)
	}
}

// findRecordings looks for the recordings from the working directory up.
func findRecordings() string {
	dir, _ := os.Getwd()
	for range 5 {
		p := filepath.Join(dir, "normalize", "betfair", "testdata", "recorded")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		dir = filepath.Dir(dir)
	}
	return filepath.Join("normalize", "betfair", "testdata", "recorded")
}

var (
	stake   = decimal.NewFromInt(10)
	trigger = decimal.RequireFromString("0.9") // the price is at most 90% of what it was
)

type bet struct {
	at             time.Time
	market, runner string
	price, was     odds.Price
}

// strategy is the sink the pipeline feeds: it sees every best-price change
// in order, on the market's clock (each event's SourceTime).
type strategy struct {
	history map[string][]odds.Event // back prices per market/runner, the last minute
	backed  map[string]bool
	bets    []bet
}

func (s *strategy) Write(_ context.Context, events []odds.Event) error {
	for _, e := range events {
		if e.Side != odds.Back || e.Status != odds.StatusOpen || e.Size.Decimal.IsZero() {
			continue
		}
		k := e.Market + "/" + e.Selection
		h := append(s.history[k], e)
		for len(h) > 0 && e.SourceTime.Sub(h[0].SourceTime) > time.Minute {
			h = h[1:]
		}
		s.history[k] = h
		if s.backed[k] {
			continue
		}
		for _, old := range h {
			if e.Price.Decimal().LessThanOrEqual(old.Price.Decimal().Mul(trigger)) {
				s.backed[k] = true
				s.bets = append(s.bets, bet{at: e.SourceTime, market: e.Market, runner: e.Selection, price: e.Price, was: old.Price})
				break
			}
		}
	}
	return nil
}

func backtest(ctx context.Context, dir string, w io.Writer) error {
	files, err := filepath.Glob(filepath.Join(dir, "1.*"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no recordings in %s", dir)
	}
	sort.Strings(files)
	src, err := collect.Replay(collect.ReplayConfig{Provider: betfair.Provider, Schema: "mcm"}, files...)
	if err != nil {
		return err
	}
	defer src.Close()
	norm := betfair.New()
	strat := &strategy{history: map[string][]odds.Event{}, backed: map[string]bool{}}
	letters := &sink.Memory{}
	p, err := oddsflow.New(oddsflow.Config{Source: src, Normalizer: norm, Sink: strat, DeadLetter: letters,
		Now: func() time.Time { return time.Time{} }}) // latency means nothing in a backtest
	if err != nil {
		return err
	}
	if err := p.Run(ctx); err != nil {
		return err
	}
	s := p.Stats()
	fmt.Fprintf(w, "replayed %d messages from %d markets: %d price changes, %d dead letters\n", s.Envelopes, len(files), s.Events, s.DeadLetters)
	total := decimal.Zero
	for _, b := range strat.bets {
		id, _ := strconv.ParseInt(b.runner, 10, 64)
		status := norm.RunnerStatuses(b.market)[id]
		pnl := stake.Neg()
		if status == "WINNER" {
			pnl = stake.Mul(b.price.Decimal().Sub(decimal.NewFromInt(1)))
		}
		total = total.Add(pnl)
		fmt.Fprintf(w, "%s  back %s/%s at %s (was %s)  %-6s %8s\n", b.at.Format("15:04:05.000"), b.market, b.runner,
			b.price, b.was, status, pnl.StringFixed(2))
	}
	fmt.Fprintf(w, "%d bets, stake %s each, P&L %s\n", len(strat.bets), stake, total.StringFixed(2))
	if len(letters.Letters()) > 0 {
		return errors.New("the recordings did not all normalize: " + letters.Letters()[0].Reason)
	}
	return nil
}
