package generic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// Games normalizes the one-game spread shape of the reference design:
//
//	{"gameId":"401547","summary":"Jets @ Bills","gameDate":"2026-11-22T18:00:00Z","isOpen":true,
//	 "home":-3.5,"away":3.5,"homeOdds":-110,"awayOdds":-105,"date":"2026-11-21T23:59:58.120Z"}
//
// It gives two events, "home" and "away", in market "<gameId>:spreads", with
// the spread as Line, Status open or suspended by "isOpen", and SourceTime
// from "date" (RFC 3339 text or Unix milliseconds). Provider is the
// envelope's. It is safe for concurrent use.
type Games struct {
	format Format
	in     *interner
}

// NewGames returns a normalizer for the one-game spread shape.
func NewGames(cfg Config) *Games { return &Games{format: cfg.Prices, in: cfg.interner()} }

type game struct {
	GameID   json.RawMessage `json:"gameId"`
	IsOpen   *bool           `json:"isOpen"`
	Home     json.RawMessage `json:"home"`
	Away     json.RawMessage `json:"away"`
	HomeOdds json.RawMessage `json:"homeOdds"`
	AwayOdds json.RawMessage `json:"awayOdds"`
	Date     json.RawMessage `json:"date"`
}

// Normalize implements [normalize.Normalizer].
func (g *Games) Normalize(dst []odds.Event, env collect.Envelope) ([]odds.Event, error) {
	var m game
	if err := json.Unmarshal(env.Payload, &m); err != nil {
		return dst, fmt.Errorf("%w: %v", normalize.ErrMalformed, err)
	}
	id, err := textOrNumber(m.GameID)
	if err != nil || id == "" {
		return dst, fmt.Errorf("%w: bad or missing \"gameId\"", normalize.ErrMalformed)
	}
	at, err := timestamp(m.Date)
	if err != nil {
		return dst, fmt.Errorf("%w: \"date\": %v", normalize.ErrMalformed, err)
	}
	status := odds.StatusOpen
	if m.IsOpen != nil && !*m.IsOpen {
		status = odds.StatusSuspended
	}
	market := g.in.string([]byte(id + ":spreads"))
	provider := g.in.string([]byte(env.Provider))
	o := Outcomes{format: g.format, in: g.in}
	var errs []error
	for _, side := range [...]struct {
		name        string
		price, line json.RawMessage
	}{{"home", m.HomeOdds, m.Home}, {"away", m.AwayOdds, m.Away}} {
		ev, err := g.event(&o, provider, market, side.name, side.price, side.line, at)
		if err != nil {
			errs = append(errs, fmt.Errorf("game %s %s: %w", id, side.name, err))
			continue
		}
		ev.Status, ev.ReceivedAt = status, env.ReceivedAt
		dst = append(dst, ev)
	}
	return dst, errors.Join(errs...)
}

func (g *Games) event(o *Outcomes, provider, market, name string, price, line json.RawMessage, at time.Time) (odds.Event, error) {
	rawPrice, priceStr := unquote(price)
	if len(rawPrice) == 0 || string(rawPrice) == "null" {
		return odds.Event{}, fmt.Errorf("%w: missing odds", normalize.ErrMalformed)
	}
	p, err := o.price(&rawOutcome{price: rawPrice, priceStr: priceStr})
	if err != nil {
		return odds.Event{}, err
	}
	ev := odds.Event{Provider: provider, Market: market, Selection: name, Price: p, SourceTime: at}
	rawLine, _ := unquote(line)
	if len(rawLine) > 0 && string(rawLine) != "null" {
		if hasExponent(rawLine) {
			return odds.Event{}, fmt.Errorf("%w: line %s has an exponent", normalize.ErrMalformed, line)
		}
		d, err := g.in.line(rawLine)
		if err != nil {
			return odds.Event{}, fmt.Errorf("%w: line %s", normalize.ErrMalformed, line)
		}
		ev.Line = decimal.NullDecimal{Decimal: d, Valid: true}
	}
	var h odds.Hasher
	h.AddString(provider)
	h.AddString(market)
	h.AddString(name)
	h.AddUint64(uint64(at.UnixNano()))
	h.AddBytes(rawPrice)
	h.AddBytes(rawLine)
	ev.ID = h.Sum()
	return ev, nil
}

// unquote returns a JSON string's content, or a number's text.
func unquote(raw json.RawMessage) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) >= 2 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []byte(s), true
		}
	}
	return raw, false
}

func textOrNumber(raw json.RawMessage) (string, error) {
	v, isString := unquote(raw)
	if isString {
		return string(v), nil
	}
	if _, err := strconv.ParseInt(string(v), 10, 64); err != nil {
		return "", err
	}
	return string(v), nil
}

// timestamp reads RFC 3339 text or Unix milliseconds; absent is the zero time.
func timestamp(raw json.RawMessage) (time.Time, error) {
	v, isString := unquote(raw)
	if len(v) == 0 || string(v) == "null" {
		return time.Time{}, nil
	}
	if isString {
		return time.Parse(time.RFC3339Nano, string(v))
	}
	ms, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms).UTC(), nil
}
