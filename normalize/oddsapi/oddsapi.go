// Package oddsapi normalizes responses of The Odds API, version 4.
//
// It reads the odds endpoint's response (an array of sporting events, each
// with bookmakers, their markets h2h, spreads, totals and others, and the
// markets' outcomes), a single event's odds (one such object), and the
// historical endpoints' wrapper ({"timestamp", "data"}), in decimal or
// American odds format.
//
// Each outcome becomes one event: Provider is the bookmaker's key, Market is
// "<event id>:<market key>", Selection is the outcome's name (with its
// description, for player props, after a slash), Line is "point" when
// present, and SourceTime is the market's "last_update", else the
// bookmaker's, else the response's "timestamp".
package oddsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// Format is the oddsFormat the response was requested in.
type Format uint8

const (
	// Decimal odds, the API's default.
	Decimal Format = iota
	// American odds (oddsFormat=american).
	American
)

// Normalizer reads The Odds API v4 responses. The zero value reads decimal
// odds. It is safe for concurrent use.
type Normalizer struct {
	// Format is the odds format of the prices.
	Format Format
}

type event struct {
	ID           string      `json:"id"`
	SportKey     string      `json:"sport_key"`
	CommenceTime string      `json:"commence_time"`
	HomeTeam     string      `json:"home_team"`
	AwayTeam     string      `json:"away_team"`
	Bookmakers   []bookmaker `json:"bookmakers"`
}

type bookmaker struct {
	Key        string   `json:"key"`
	LastUpdate string   `json:"last_update"`
	Markets    []market `json:"markets"`
}

type market struct {
	Key        string    `json:"key"`
	LastUpdate string    `json:"last_update"`
	Outcomes   []outcome `json:"outcomes"`
}

type outcome struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Price       *json.Number `json:"price"`
	Point       *json.Number `json:"point"`
}

type historical struct {
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// Normalize implements [normalize.Normalizer].
func (n *Normalizer) Normalize(dst []odds.Event, env collect.Envelope) ([]odds.Event, error) {
	body := bytes.TrimSpace(env.Payload)
	var stamp time.Time
	if len(body) > 0 && body[0] == '{' && bytes.Contains(body, []byte(`"data"`)) {
		var h historical
		if err := json.Unmarshal(body, &h); err != nil {
			return dst, fmt.Errorf("%w: oddsapi: %v", normalize.ErrMalformed, err)
		}
		if h.Data != nil {
			t, err := parseTime(h.Timestamp)
			if err != nil {
				return dst, fmt.Errorf("%w: oddsapi: \"timestamp\": %v", normalize.ErrMalformed, err)
			}
			stamp, body = t, bytes.TrimSpace(h.Data)
		}
	}
	var events []event
	switch {
	case len(body) > 0 && body[0] == '[':
		if err := json.Unmarshal(body, &events); err != nil {
			return dst, fmt.Errorf("%w: oddsapi: %v", normalize.ErrMalformed, err)
		}
	case len(body) > 0 && body[0] == '{':
		var e event
		if err := json.Unmarshal(body, &e); err != nil {
			return dst, fmt.Errorf("%w: oddsapi: %v", normalize.ErrMalformed, err)
		}
		events = []event{e}
	default:
		return dst, fmt.Errorf("%w: oddsapi: neither an array of events nor an object", normalize.ErrMalformed)
	}
	var errs []error
	for _, e := range events {
		if e.ID == "" {
			errs = append(errs, fmt.Errorf("%w: oddsapi: event without an id", normalize.ErrMalformed))
			continue
		}
		for _, bk := range e.Bookmakers {
			bkTime, err := parseTime(bk.LastUpdate)
			if err != nil || bk.Key == "" {
				errs = append(errs, fmt.Errorf("%w: oddsapi: event %s: bookmaker %q: bad key or last_update", normalize.ErrMalformed, e.ID, bk.Key))
				continue
			}
			for _, mk := range bk.Markets {
				at, err := parseTime(mk.LastUpdate)
				if err != nil || mk.Key == "" {
					errs = append(errs, fmt.Errorf("%w: oddsapi: event %s %s: market %q: bad key or last_update", normalize.ErrMalformed, e.ID, bk.Key, mk.Key))
					continue
				}
				at = first(at, bkTime, stamp)
				key := e.ID + ":" + mk.Key
				for i, o := range mk.Outcomes {
					ev, err := n.event(bk.Key, key, o, at)
					if err != nil {
						errs = append(errs, fmt.Errorf("oddsapi: %s %s outcome %d %q: %w", bk.Key, key, i, o.Name, err))
						continue
					}
					ev.ReceivedAt = env.ReceivedAt
					dst = append(dst, ev)
				}
			}
		}
	}
	return dst, errors.Join(errs...)
}

func (n *Normalizer) event(provider, market string, o outcome, at time.Time) (odds.Event, error) {
	if o.Name == "" {
		return odds.Event{}, fmt.Errorf("%w: missing \"name\"", normalize.ErrMalformed)
	}
	if o.Price == nil {
		return odds.Event{}, fmt.Errorf("%w: missing \"price\"", normalize.ErrMalformed)
	}
	d, err := number(*o.Price)
	if err != nil {
		return odds.Event{}, fmt.Errorf("%w: price %q", normalize.ErrMalformed, o.Price.String())
	}
	var price odds.Price
	if n.Format == American {
		price, err = odds.FromAmericanDecimal(d)
	} else {
		price, err = odds.FromDecimal(d)
	}
	if err != nil {
		return odds.Event{}, err
	}
	sel := o.Name
	if o.Description != "" {
		sel += "/" + o.Description
	}
	ev := odds.Event{Provider: provider, Market: market, Selection: sel, Price: price, SourceTime: at}
	var point string
	if o.Point != nil {
		p, err := number(*o.Point)
		if err != nil {
			return odds.Event{}, fmt.Errorf("%w: point %q", normalize.ErrMalformed, o.Point.String())
		}
		ev.Line = decimal.NullDecimal{Decimal: p, Valid: true}
		point = p.String()
	}
	var h odds.Hasher
	h.AddString(provider)
	h.AddString(market)
	h.AddString(sel)
	h.AddString(point)
	h.AddString(d.String())
	h.AddUint64(uint64(at.UnixNano()))
	ev.ID = h.Sum()
	return ev, nil
}

// number reads a JSON number of sane size.
func number(n json.Number) (decimal.Decimal, error) {
	if len(n) > 40 || strings.ContainsAny(string(n), "eE") {
		return decimal.Decimal{}, fmt.Errorf("bad number %q", string(n))
	}
	return decimal.NewFromString(string(n))
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}

func first(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
