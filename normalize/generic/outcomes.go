package generic

import (
	"errors"
	"fmt"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/internal/jsonscan"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// Format is the notation of the prices in a message.
type Format uint8

// Price notations.
const (
	// American: integer (or decimal) American odds as a JSON number, such as
	// -110 or 150. The default. A JSON string is read with [odds.Parse].
	American Format = iota
	// Decimal: decimal odds as a JSON number, such as 1.91.
	Decimal
	// Fractional: fractional odds as a JSON string, such as "5/2".
	Fractional
	// Text: any notation [odds.Parse] reads, as a JSON string or number.
	Text
)

// Config configures the generic normalizers. The zero Config reads American
// prices.
type Config struct {
	// Prices is the notation of the price fields.
	Prices Format
	// MaxInterned bounds each table of remembered strings, lines and prices
	// (default 65536). A feed with more distinct markets still works; the
	// excess just allocates.
	MaxInterned int
}

func (c Config) interner() *interner {
	if c.MaxInterned <= 0 {
		c.MaxInterned = 1 << 16
	}
	return newInterner(c.MaxInterned)
}

// Outcomes normalizes the outcome-list shape of the reference design:
//
//	{"provider":"pinnacle","market_id":"nfl-2026-00042:spreads","timestamp":1795000000123,
//	 "received_at":1795000000123456789,
//	 "outcomes":[{"name":"home","price":-110,"line":-3.5},{"name":"away","price":-110,"line":3.5}]}
//
// Each outcome becomes one event: Provider is "provider" (the bookmaker),
// Market is "market_id", Selection is "name", Line is "line" when present,
// SourceTime is "timestamp" (Unix milliseconds), and ReceivedAt is
// "received_at" (Unix nanoseconds) when present, else the envelope's. The ID
// hashes provider, market, timestamp, selection, price and line, so an exact
// re-send repeats it and a correction does not.
//
// It decodes without reflection and, once its tables are warm, without
// allocating. It is safe for concurrent use.
type Outcomes struct {
	format Format
	in     *interner
}

// NewOutcomes returns a normalizer for the outcome-list shape.
func NewOutcomes(cfg Config) *Outcomes {
	return &Outcomes{format: cfg.Prices, in: cfg.interner()}
}

// message is one outcome-list message as the general decoder reads it but
// for its outcomes, which travel beside it so that escape analysis keeps
// them on the stack.
type message struct {
	provider, market     string
	ts, recv             int64
	hasTS, hasRecv, hasO bool
}

// rawOutcome holds one outcome's fields as slices of the payload until the
// whole message has been read: JSON does not order keys.
type rawOutcome struct {
	name      string
	price     []byte
	priceStr  bool // price was a JSON string
	line      []byte
	hasLine   bool
	nameSeen  bool
	priceSeen bool
	plain     bool // price and line are numbers without an exponent
}

// Normalize implements [normalize.Normalizer].
func (o *Outcomes) Normalize(dst []odds.Event, env collect.Envelope) ([]odds.Event, error) {
	if out, ok := o.normalizeFast(dst, env.Payload, env.ReceivedAt); ok {
		return out, nil
	}
	var stack [4]rawOutcome
	m, outs, err := o.decode(env.Payload, stack[:0])
	if err != nil {
		return dst, err
	}
	return o.events(dst, &m, outs, env.ReceivedAt)
}

// decode reads any valid JSON text of the outcome-list shape.
func (o *Outcomes) decode(payload []byte, outs []rawOutcome) (message, []rawOutcome, error) {
	var (
		s jsonscan.Scanner
		m message
	)
	s.Reset(payload)
	malformed := func(what string) (message, []rawOutcome, error) {
		return message{}, nil, fmt.Errorf("%w: %s at byte %d", normalize.ErrMalformed, what, s.Pos())
	}
	if !s.ObjectStart() {
		return malformed("not a JSON object")
	}
	for first := true; ; first = false {
		key, ok, err := s.NextKey(first)
		if err != nil {
			return malformed("bad object")
		}
		if !ok {
			break
		}
		switch string(key) {
		case "provider":
			v, err := s.String()
			if err != nil {
				return malformed(`"provider" is not a string`)
			}
			m.provider = o.in.string(v)
		case "market_id":
			v, err := s.String()
			if err != nil {
				return malformed(`"market_id" is not a string`)
			}
			m.market = o.in.string(v)
		case "timestamp":
			if m.ts, _, err = s.Int(); err != nil {
				return malformed(`"timestamp" is not an integer`)
			}
			m.hasTS = true
		case "received_at":
			if m.recv, _, err = s.Int(); err != nil {
				return malformed(`"received_at" is not an integer`)
			}
			m.hasRecv = true
		case "outcomes":
			if outs, err = o.readOutcomes(&s, outs); err != nil {
				return malformed(`bad "outcomes": ` + err.Error())
			}
			m.hasO = true
		default:
			if err := s.Skip(); err != nil {
				return malformed("bad value")
			}
		}
	}
	if !s.End() {
		return malformed("data after the object")
	}
	return m, outs, nil
}

// events checks a decoded message and appends an event per valid outcome.
func (o *Outcomes) events(dst []odds.Event, m *message, outs []rawOutcome, received time.Time) ([]odds.Event, error) {
	switch {
	case m.provider == "":
		return dst, fmt.Errorf(`%w: missing "provider"`, normalize.ErrMalformed)
	case m.market == "":
		return dst, fmt.Errorf(`%w: missing "market_id"`, normalize.ErrMalformed)
	case !m.hasTS:
		return dst, fmt.Errorf(`%w: missing "timestamp"`, normalize.ErrMalformed)
	case !m.hasO:
		return dst, fmt.Errorf(`%w: missing "outcomes"`, normalize.ErrMalformed)
	}
	if m.hasRecv {
		received = time.Unix(0, m.recv).UTC()
	}
	source := time.UnixMilli(m.ts).UTC()

	// The fields every outcome shares are hashed once.
	var h odds.Hasher
	h.AddString(m.provider)
	h.AddString(m.market)
	h.AddUint64(uint64(m.ts))
	var errs []error
	for i := range outs {
		out := &outs[i]
		dst = append(dst, odds.Event{}) // built in place: an event is 200 bytes
		ev := &dst[len(dst)-1]
		if err := o.event(ev, out, h); err != nil {
			dst = dst[:len(dst)-1]
			errs = append(errs, fmt.Errorf("market %s outcome %d %q: %w", m.market, i, out.name, err))
			continue
		}
		ev.Provider, ev.Market, ev.SourceTime, ev.ReceivedAt = m.provider, m.market, source, received
	}
	if errs == nil {
		return dst, nil
	}
	return dst, errors.Join(errs...)
}

func (o *Outcomes) readOutcomes(s *jsonscan.Scanner, outs []rawOutcome) ([]rawOutcome, error) {
	if !s.ArrayStart() {
		return outs, errors.New("not an array")
	}
	for first := true; ; first = false {
		more, err := s.NextElem(first)
		if err != nil {
			return outs, err
		}
		if !more {
			return outs, nil
		}
		var out rawOutcome
		if !s.ObjectStart() {
			return outs, errors.New("outcome is not an object")
		}
		for f := true; ; f = false {
			key, ok, err := s.NextKey(f)
			if err != nil {
				return outs, err
			}
			if !ok {
				break
			}
			switch string(key) {
			case "name":
				v, err := s.String()
				if err != nil {
					return outs, errors.New(`"name" is not a string`)
				}
				out.name, out.nameSeen = o.in.string(v), true
			case "price":
				if out.price, out.priceStr, err = scalar(s); err != nil {
					return outs, errors.New(`bad "price"`)
				}
				out.priceSeen = out.price != nil
			case "line", "point":
				if out.line, _, err = scalar(s); err != nil {
					return outs, errors.New(`bad "line"`)
				}
				out.hasLine = out.line != nil
			default:
				if err := s.Skip(); err != nil {
					return outs, err
				}
			}
		}
		out.plain = !hasExponent(out.price) && !hasExponent(out.line)
		outs = append(outs, out)
	}
}

// scalar reads a number or a string (whose content must outlive the next
// String call, so only unescaped strings are accepted) or null (nil).
func scalar(s *jsonscan.Scanner) (raw []byte, isString bool, err error) {
	switch s.Peek() {
	case '"':
		v, err := s.RawString() // an escaped price or line is no price or line
		return v, err == nil, err
	case 'n':
		if s.Null() {
			return nil, false, nil
		}
		return nil, false, jsonscan.ErrSyntax
	default:
		raw, err := s.Number()
		return raw, false, err
	}
}

func (o *Outcomes) event(ev *odds.Event, out *rawOutcome, h odds.Hasher) error {
	if !out.nameSeen || out.name == "" {
		return fmt.Errorf("%w: missing \"name\"", normalize.ErrMalformed)
	}
	if !out.priceSeen {
		return fmt.Errorf("%w: missing \"price\"", normalize.ErrMalformed)
	}
	price, err := o.price(out)
	if err != nil {
		return err
	}
	ev.Selection, ev.Price = out.name, price
	if out.hasLine {
		if !out.plain && hasExponent(out.line) {
			return fmt.Errorf("%w: line %q has an exponent", normalize.ErrMalformed, out.line)
		}
		line, err := o.in.line(out.line)
		if err != nil {
			return fmt.Errorf("%w: line %q", normalize.ErrMalformed, out.line)
		}
		ev.Line = decimal.NullDecimal{Decimal: line, Valid: true}
	}
	h.AddString(out.name)
	h.AddBytes(out.price)
	h.AddBytes(out.line)
	ev.ID = h.Sum()
	return nil
}

func (o *Outcomes) price(out *rawOutcome) (odds.Price, error) {
	if out.priceStr {
		return o.in.price(out.price, odds.Parse)
	}
	if !out.plain && hasExponent(out.price) {
		return odds.Price{}, fmt.Errorf("%w: price %q has an exponent", odds.ErrInvalidOdds, out.price)
	}
	return o.number(out.price, 0, false)
}

// number returns the price written as raw, a JSON number without an
// exponent, whose value is v if isInt.
func (o *Outcomes) number(raw []byte, v int64, isInt bool) (odds.Price, error) {
	switch o.format {
	case Text:
		return o.in.price(raw, odds.Parse)
	case American:
		if isInt {
			return odds.FromAmerican(v)
		}
		if a, ok := jsonscan.ParseInt(raw); ok {
			return odds.FromAmerican(a) // a table lookup for every common price
		}
		return o.in.price(raw, parseAmerican)
	case Decimal:
		return o.in.price(raw, parseDecimal)
	default:
		return odds.Price{}, fmt.Errorf("%w: fractional price %s is not a string", normalize.ErrMalformed, raw)
	}
}

func parseAmerican(s string) (odds.Price, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return odds.Price{}, fmt.Errorf("%w: price %q", normalize.ErrMalformed, s)
	}
	return odds.FromAmericanDecimal(d)
}

func parseDecimal(s string) (odds.Price, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return odds.Price{}, fmt.Errorf("%w: price %q", normalize.ErrMalformed, s)
	}
	return odds.FromDecimal(d)
}

// hasExponent reports a number in scientific notation, which no feed uses for
// prices or lines and which could make one short field cost megabytes.
func hasExponent(raw []byte) bool {
	for _, c := range raw {
		if c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}
