package book

import (
	"fmt"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

func TestWatchdog(t *testing.T) {
	var hooked []string
	w := NewWatchdog(WatchdogConfig{ProviderSilence: 10 * time.Second, MarketSilence: 30 * time.Second, ClockDrift: 2 * time.Second,
		OnAlert: func(a Alert) { hooked = append(hooked, a.Kind.String()) }})
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	obs := func(provider, market string, recv, src time.Duration) []Alert {
		e := ev(provider, market, "home", "2.0", src)
		e.ReceivedAt = at(recv)
		return w.Observe(&e)
	}
	obs("pinnacle", "live-game", 0, 0)
	obs("fanduel", "other", 0, 0)
	w.SetInPlay("live-game", true, at(0))
	kinds := func(as []Alert) string {
		var s []string
		for _, a := range as {
			s = append(s, fmt.Sprintf("%s %s%s %v", a.Kind, a.Provider, a.Market, a.For))
		}
		return fmt.Sprint(s)
	}
	if got := kinds(w.Check(at(9 * time.Second))); got != "[]" {
		t.Errorf("at 9s: %s", got)
	}
	if got := kinds(w.Check(at(10 * time.Second))); got != "[provider silent fanduel 10s provider silent pinnacle 10s]" {
		t.Errorf("at 10s: %s", got)
	}
	if got := kinds(w.Check(at(20 * time.Second))); got != "[]" {
		t.Errorf("an alert repeated: %s", got)
	}
	obs("fanduel", "other", 25*time.Second, 25*time.Second) // fanduel is back; the live game is still silent
	if got := kinds(w.Check(at(30 * time.Second))); got != "[market silent live-game 30s]" {
		t.Errorf("at 30s: %s", got)
	}
	// A suspended live market is not expected to update.
	susp := ev("pinnacle", "live-game", "home", "2.0", 31*time.Second)
	susp.Status, susp.ReceivedAt = odds.StatusSuspended, at(31*time.Second)
	w.Observe(&susp)
	if got := kinds(w.Check(at(90 * time.Second))); got != "[provider silent fanduel 1m5s provider silent pinnacle 59s]" {
		t.Errorf("at 90s: %s", got)
	}
	// Clock drift, once until it clears.
	if got := kinds(obs("bet365", "x", 100*time.Second, 95*time.Second)); got != "[clock drift bet365 5s]" {
		t.Errorf("drift: %s", got)
	}
	if got := kinds(obs("bet365", "x", 101*time.Second, 96*time.Second)); got != "[]" {
		t.Errorf("drift repeated: %s", got)
	}
	obs("bet365", "x", 102*time.Second, 102*time.Second)
	if got := kinds(obs("bet365", "x", 110*time.Second, 100*time.Second)); got != "[clock drift bet365 10s]" {
		t.Errorf("drift after clearing: %s", got)
	}
	if len(hooked) != 7 {
		t.Errorf("hook saw %v", hooked)
	}
}
