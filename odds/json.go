package odds

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/oddsflow/oddsflow/internal/jsonscan"
	"github.com/shopspring/decimal"
)

// EncodingVersion is the version of the JSON encoding of [Event] written by
// [Event.AppendJSON]. Sinks publish it beside the data (a Kafka header, a
// file's first line) so that a reader can tell encodings apart; it changes
// only when a field changes meaning or goes away.
const EncodingVersion = 1

// AppendJSON appends the canonical JSON encoding of e to b, in a fixed field
// order, with prices and lines as exact decimal strings and times as Unix
// nanoseconds (0 for the zero time). Size and Line are left out when invalid.
//
//	{"id":"…","provider":"pinnacle","market":"nfl-2026-00042:spreads","selection":"home",
//	 "side":"back","price":"1.9090909091","line":"-3.5","status":"open","seq":0,
//	 "source_time":1795000000123000000,"received_at":1795000000123456789}
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":"`...)
	b, _ = e.ID.AppendText(b)
	b = append(b, `","provider":`...)
	b = appendString(b, e.Provider)
	b = append(b, `,"market":`...)
	b = appendString(b, e.Market)
	b = append(b, `,"selection":`...)
	b = appendString(b, e.Selection)
	b = append(b, `,"side":"`...)
	b = append(b, e.Side.String()...)
	b = append(b, `","price":"`...)
	b = appendDecimal(b, e.Price.d)
	b = append(b, '"')
	if e.Size.Valid {
		b = append(b, `,"size":"`...)
		b = appendDecimal(b, e.Size.Decimal)
		b = append(b, '"')
	}
	if e.Line.Valid {
		b = append(b, `,"line":"`...)
		b = appendDecimal(b, e.Line.Decimal)
		b = append(b, '"')
	}
	b = append(b, `,"status":"`...)
	b = append(b, e.Status.String()...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"source_time":`...)
	b = strconv.AppendInt(b, unixNano(e.SourceTime), 10)
	b = append(b, `,"received_at":`...)
	b = strconv.AppendInt(b, unixNano(e.ReceivedAt), 10)
	return append(b, '}')
}

// appendDecimal appends d.String(), without its allocations when the
// coefficient fits in an int64, as prices, sizes and lines do: formatting
// the big.Int was a fifth of the cost of encoding an event.
func appendDecimal(b []byte, d decimal.Decimal) []byte {
	if d.NumDigits() > 18 || !decimal.TrimTrailingZeros || decimal.UseScientificNotation {
		return append(b, d.String()...)
	}
	c, exp := d.CoefficientInt64(), int(d.Exponent())
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	var digits [20]byte
	str := strconv.AppendInt(digits[:0], c, 10)
	switch {
	case exp == 0 || c == 0:
		return append(b, str...)
	case exp > 0:
		b = append(b, str...)
		for range exp {
			b = append(b, '0')
		}
		return b
	}
	var intPart, frac []byte
	lead := 0 // zeros between the point and frac
	if len(str) > -exp {
		intPart, frac = str[:len(str)+exp], str[len(str)+exp:]
	} else {
		intPart, frac, lead = []byte("0"), str, -exp-len(str)
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	b = append(b, intPart...)
	if len(frac) == 0 {
		return b
	}
	b = append(b, '.')
	for range lead {
		b = append(b, '0')
	}
	return append(b, frac...)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// MarshalJSON returns the encoding of [Event.AppendJSON].
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil), nil }

// eventJSON is the decoding side of AppendJSON.
type eventJSON struct {
	ID         ID               `json:"id"`
	Provider   string           `json:"provider"`
	Market     string           `json:"market"`
	Selection  string           `json:"selection"`
	Side       Side             `json:"side"`
	Price      Price            `json:"price"`
	Size       *decimal.Decimal `json:"size"`
	Line       *decimal.Decimal `json:"line"`
	Status     Status           `json:"status"`
	Seq        uint64           `json:"seq"`
	SourceTime int64            `json:"source_time"`
	ReceivedAt int64            `json:"received_at"`
}

// UnmarshalJSON decodes the encoding of [Event.AppendJSON]. A price must be
// valid decimal odds; an unknown side or status is an error wrapping [ErrSyntax].
//
// Text in exactly the layout AppendJSON writes is read by a decoder made
// for it, several times faster than encoding/json; anything else (other key
// orders, white space, escapes, extra fields) goes through encoding/json,
// and FuzzEventJSONFast holds the two to the same result.
func (e *Event) UnmarshalJSON(b []byte) error {
	if e.decodeCanonical(b) {
		return nil
	}
	var v eventJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("odds: decoding event: %w", err)
	}
	if v.Price.IsZero() {
		return fmt.Errorf("%w: event without a price", ErrInvalidOdds)
	}
	*e = Event{
		ID: v.ID, Provider: v.Provider, Market: v.Market, Selection: v.Selection, Side: v.Side,
		Price: v.Price, Status: v.Status, Seq: v.Seq,
		SourceTime: fromUnixNano(v.SourceTime), ReceivedAt: fromUnixNano(v.ReceivedAt),
	}
	if v.Size != nil {
		e.Size = decimal.NullDecimal{Decimal: *v.Size, Valid: true}
	}
	if v.Line != nil {
		e.Line = decimal.NullDecimal{Decimal: *v.Line, Valid: true}
	}
	return nil
}

// decodeCanonical decodes b if it is in AppendJSON's exact layout, handing
// each value to the same method encoding/json would, and reports whether it
// did; on false, e is unchanged and the general decoder decides.
func (e *Event) decodeCanonical(b []byte) bool {
	var (
		s jsonscan.Scanner
		v Event
	)
	s.Reset(b)
	// plain reads a string value with no escapes and valid UTF-8, the strings
	// AppendJSON writes for ordinary text; encoding/json decides the rest.
	plain := func(key string) ([]byte, bool) {
		if !s.Lit(key) || s.Next() != '"' {
			return nil, false
		}
		t, err := s.RawString()
		return t, err == nil && utf8.Valid(t)
	}
	text := func(key string, u interface{ UnmarshalText([]byte) error }) bool {
		t, ok := plain(key)
		return ok && u.UnmarshalText(t) == nil
	}
	str := func(key string, dst *string) bool {
		t, ok := plain(key)
		*dst = string(t)
		return ok
	}
	dec := func(key string, dst *decimal.NullDecimal) bool {
		if !s.Lit(key) {
			return true // absent: not valid
		}
		t, ok := plain("")
		if !ok || dst.Decimal.UnmarshalJSON(b[s.Pos()-len(t)-2:s.Pos()]) != nil {
			return false
		}
		dst.Valid = true
		return true
	}
	integer := func(key string) (int64, bool) {
		if !s.Lit(key) {
			return 0, false
		}
		n, _, err := s.Int()
		return n, err == nil
	}
	if !text(`{"id":`, &v.ID) || !str(`,"provider":`, &v.Provider) || !str(`,"market":`, &v.Market) ||
		!str(`,"selection":`, &v.Selection) || !text(`,"side":`, &v.Side) || !text(`,"price":`, &v.Price) ||
		!dec(`,"size":`, &v.Size) || !dec(`,"line":`, &v.Line) || !text(`,"status":`, &v.Status) {
		return false
	}
	if !s.Lit(`,"seq":`) || s.Next() == '-' { // encoding/json refuses even -0 for a uint64
		return false
	}
	seq, _, err := s.Int()
	if err != nil || seq < 0 {
		return false
	}
	v.Seq = uint64(seq)
	source, ok := integer(`,"source_time":`)
	if !ok {
		return false
	}
	received, ok := integer(`,"received_at":`)
	if !ok || !s.Lit("}") || !s.End() || v.Price.IsZero() {
		return false
	}
	v.SourceTime, v.ReceivedAt = fromUnixNano(source), fromUnixNano(received)
	*e = v
	return true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, the rest verbatim.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
