package book

import (
	"sort"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

// AlertKind names what a [Watchdog] noticed.
type AlertKind uint8

const (
	// ProviderSilent: a provider has sent nothing for ProviderSilence.
	ProviderSilent AlertKind = iota + 1
	// MarketSilent: an open, in-play market has had no update for
	// MarketSilence ("no odds for a live game in 30 s").
	MarketSilent
	// ClockDrift: a provider's clock is further than ClockDrift from ours.
	ClockDrift
)

// String describes the kind of alert.
func (k AlertKind) String() string {
	switch k {
	case ProviderSilent:
		return "provider silent"
	case MarketSilent:
		return "market silent"
	case ClockDrift:
		return "clock drift"
	}
	return "unknown"
}

// Alert is one thing a [Watchdog] noticed.
type Alert struct {
	Kind     AlertKind
	Provider string        // for ProviderSilent and ClockDrift
	Market   string        // for MarketSilent
	For      time.Duration // how long it has been silent, or by how much the clock drifts
	At       time.Time     // when it was noticed
}

// WatchdogConfig configures a [Watchdog]; zero durations take the defaults.
type WatchdogConfig struct {
	ProviderSilence time.Duration // default 30s
	MarketSilence   time.Duration // default 30s
	ClockDrift      time.Duration // default 5s
	// OnAlert, when set, is called with every alert as it is raised. It must not block.
	OnAlert func(Alert)
}

// Watchdog raises an alert when a provider goes quiet, when a live market
// stops updating, or when a provider's clock drifts from ours. It takes time
// only as values (event times and Check's argument), so it behaves the same
// in a backtest as live. Each condition alerts once, and again only after
// it has cleared. It is not safe for concurrent use.
type Watchdog struct {
	cfg       WatchdogConfig
	providers map[string]*liveness
	markets   map[string]*liveness
	drifting  map[string]bool
}

type liveness struct {
	last    time.Time
	open    bool // markets: open and in play, so watched
	inPlay  bool
	alerted bool
}

// NewWatchdog returns a Watchdog.
func NewWatchdog(cfg WatchdogConfig) *Watchdog {
	if cfg.ProviderSilence <= 0 {
		cfg.ProviderSilence = 30 * time.Second
	}
	if cfg.MarketSilence <= 0 {
		cfg.MarketSilence = 30 * time.Second
	}
	if cfg.ClockDrift <= 0 {
		cfg.ClockDrift = 5 * time.Second
	}
	return &Watchdog{cfg: cfg, providers: map[string]*liveness{}, markets: map[string]*liveness{}, drifting: map[string]bool{}}
}

// Observe records an event's arrival at its ReceivedAt, and checks the
// provider's clock against it.
func (w *Watchdog) Observe(e *odds.Event) []Alert {
	now := e.ReceivedAt
	p := w.providers[e.Provider]
	if p == nil {
		p = &liveness{}
		w.providers[e.Provider] = p
	}
	p.last, p.alerted = now, false
	m := w.markets[e.Market]
	if m == nil {
		m = &liveness{}
		w.markets[e.Market] = m
	}
	m.last, m.alerted = now, false
	m.open = e.Status == odds.StatusOpen
	var alerts []Alert
	if !e.SourceTime.IsZero() && !now.IsZero() {
		drift := now.Sub(e.SourceTime)
		if drift < 0 {
			drift = -drift
		}
		switch {
		case drift > w.cfg.ClockDrift && !w.drifting[e.Provider]:
			w.drifting[e.Provider] = true
			alerts = w.raise(alerts, Alert{Kind: ClockDrift, Provider: e.Provider, For: drift, At: now})
		case drift <= w.cfg.ClockDrift:
			w.drifting[e.Provider] = false
		}
	}
	return alerts
}

// SetInPlay marks a market as in play (watched for silence) or not; the
// feed says so in its own way (Betfair's marketDefinition.inPlay).
func (w *Watchdog) SetInPlay(market string, inPlay bool, at time.Time) {
	m := w.markets[market]
	if m == nil {
		m = &liveness{last: at, open: true}
		w.markets[market] = m
	}
	if inPlay && !m.inPlay {
		m.last, m.alerted = at, false // the silence is counted from the start of play
	}
	m.inPlay = inPlay
}

// Check raises the silence alerts due at now, in a stable order.
func (w *Watchdog) Check(now time.Time) []Alert {
	var alerts []Alert
	for _, name := range sortedKeys(w.providers) {
		p := w.providers[name]
		if d := now.Sub(p.last); !p.alerted && d >= w.cfg.ProviderSilence {
			p.alerted = true
			alerts = w.raise(alerts, Alert{Kind: ProviderSilent, Provider: name, For: d, At: now})
		}
	}
	for _, name := range sortedKeys(w.markets) {
		m := w.markets[name]
		if d := now.Sub(m.last); m.inPlay && m.open && !m.alerted && d >= w.cfg.MarketSilence {
			m.alerted = true
			alerts = w.raise(alerts, Alert{Kind: MarketSilent, Market: name, For: d, At: now})
		}
	}
	return alerts
}

func (w *Watchdog) raise(alerts []Alert, a Alert) []Alert {
	if w.cfg.OnAlert != nil {
		w.cfg.OnAlert(a)
	}
	return append(alerts, a)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
