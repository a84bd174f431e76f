package generic

import (
	"encoding/binary"
	"time"

	"github.com/oddsflow/oddsflow/internal/jsonscan"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// normalizeFast appends the events of b, read in the outcome-list shape as
// the reference design's producers write it: its keys in their usual order,
// compact or spaced as Python's json.dumps writes by default (", " and ": "),
// plain strings, American or decimal prices as numbers, and a line or not.
// It reports false, with dst as it was, at the first byte that does not fit
// and at any field the general path would report, and Normalize starts again
// with the general decoder, so this path only ever agrees with it
// (FuzzOutcomesFast checks that). It matches the keys as one literal each
// instead of scanning, and builds each event as it reads its outcome, so
// that nothing is copied between reading and building.
func (o *Outcomes) normalizeFast(dst []odds.Event, b []byte, received time.Time) ([]odds.Event, bool) {
	var (
		provider, market []byte
		key              odds.Hasher
		ok               bool
	)
	n0 := len(dst)
	i, ok := lit(b, 0, &litProvider)
	if !ok {
		return dst, false
	}
	l := &compact
	if i < len(b) && b[i] == ' ' {
		l = &spaced
		i++
	}
	if provider, i, ok = str(b, i); !ok || len(provider) == 0 {
		return dst, false
	}
	if i, ok = lit(b, i, &l.market); !ok {
		return dst, false
	}
	if market, i, ok = str(b, i); !ok || len(market) == 0 {
		return dst, false
	}
	if i, ok = lit(b, i, &l.timestamp); !ok {
		return dst, false
	}
	// A feed has thousands of markets, and the interner's slot for this one
	// is seldom still in the cache: it is prefetched now and read once the
	// rest of the message is.
	marketHash := o.in.str.prefetch(market)
	// The fields every outcome shares are hashed once, from the payload
	// while it is in the cache (the interned strings' bytes may not be).
	key.AddBytes(provider)
	key.AddBytes(market)
	ts, i, ok := integer(b, i)
	if !ok {
		return dst, false
	}
	key.AddUint64(uint64(ts))
	if j, ok := lit(b, i, &l.receivedAt); ok {
		var recv int64
		if recv, i, ok = integer(b, j); !ok {
			return dst, false
		}
		received = time.Unix(0, recv).UTC()
	}
	if i, ok = lit(b, i, &l.outcomes); !ok {
		return dst, false
	}
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		if i, ok = lit(b, i, &l.name); !ok {
			return dst, false
		}
		for {
			var (
				name, price, line []byte
				v                 int64
				isInt             bool
			)
			if name, i, ok = str(b, i); !ok || len(name) == 0 {
				return dst[:n0], false
			}
			if i, ok = lit(b, i, &l.price); !ok {
				return dst[:n0], false
			}
			selection := o.in.string(name)
			if price, v, isInt, i, ok = numInt(b, i); !ok {
				return dst[:n0], false
			}
			dst = append(dst, odds.Event{}) // built in place: an event is 200 bytes
			ev := &dst[len(dst)-1]
			var err error
			if ev.Price, err = o.number(price, v, isInt); err != nil {
				return dst[:n0], false
			}
			if j, ok := lit(b, i, &l.line); ok {
				if line, i, ok = num(b, j); !ok {
					return dst[:n0], false
				}
				d, err := o.in.line(line)
				if err != nil {
					return dst[:n0], false
				}
				ev.Line = decimal.NullDecimal{Decimal: d, Valid: true}
			}
			ev.Selection = selection
			h := key
			h.AddString(selection)
			h.AddBytes(price)
			h.AddBytes(line)
			ev.ID = h.Sum()
			if i, ok = lit(b, i, &l.next); !ok {
				break
			}
		}
		if i+2 > len(b) || b[i] != '}' || b[i+1] != ']' {
			return dst[:n0], false
		}
		i += 2
	}
	if i+1 != len(b) || b[i] != '}' {
		return dst[:n0], false
	}
	p := o.in.string(provider)
	m := o.in.stringHashed(market, marketHash)
	source := time.UnixMilli(ts).UTC()
	for k := n0; k < len(dst); k++ {
		ev := &dst[k]
		ev.Provider, ev.Market, ev.SourceTime, ev.ReceivedAt = p, m, source, received
	}
	return dst, true
}

// literal is a run of 8 to 16 bytes of expected text, such as
// `,"market_id":`, kept as its first and its last 8 bytes, so that matching
// it is two overlapping loads and two comparisons.
type literal struct {
	first, last uint64
	s           string
}

func newLiteral(s string) literal {
	if len(s) < 8 || len(s) > 16 {
		panic("generic: literal not of 8 to 16 bytes: " + s)
	}
	return literal{
		first: binary.LittleEndian.Uint64([]byte(s)),
		last:  binary.LittleEndian.Uint64([]byte(s[len(s)-8:])),
		s:     s,
	}
}

// layout holds the literals of one way of writing the outcome-list shape,
// each with the space that follows it, if the layout has one, but for
// receivedAt's, which would make it 17 bytes: int skips it.
type layout struct {
	market, timestamp, receivedAt, outcomes, name, price, line, next literal
}

// The literals of the outcome-list shape: the first, and the rest in each
// layout. A spaced message is one whose first value follows a space.
var (
	litProvider = newLiteral(`{"provider":`)

	compact = layout{
		market:     newLiteral(`,"market_id":`),
		timestamp:  newLiteral(`,"timestamp":`),
		receivedAt: newLiteral(`,"received_at":`),
		outcomes:   newLiteral(`,"outcomes":[`),
		name:       newLiteral(`{"name":`),
		price:      newLiteral(`,"price":`),
		line:       newLiteral(`,"line":`),
		next:       newLiteral(`},{"name":`),
	}
	spaced = layout{
		market:     newLiteral(`, "market_id": `),
		timestamp:  newLiteral(`, "timestamp": `),
		receivedAt: newLiteral(`, "received_at":`),
		outcomes:   newLiteral(`, "outcomes": [`),
		name:       newLiteral(`{"name": `),
		price:      newLiteral(`, "price": `),
		line:       newLiteral(`, "line": `),
		next:       newLiteral(`}, {"name": `),
	}
)

// The readers below take the payload and a position in it, and return the
// position after what they read (or the same one and false). The position
// stays in a register from one to the next: kept in a cursor struct, it
// went through memory between every two of them, a chain of store-to-load
// forwards a message long.

// lit reads l at b[i:]. It calls nothing, so that it inlines: a message
// has about a dozen literals, and a call costs more than the match.
func lit(b []byte, i int, l *literal) (int, bool) {
	j := i + len(l.s)
	if i < 0 || j > len(b) {
		return i, false
	}
	// A literal has at least 8 bytes; saying so lets both loads go
	// without bounds checks.
	if r := b[i:j]; len(r) >= 8 && binary.LittleEndian.Uint64(r) == l.first && binary.LittleEndian.Uint64(r[len(r)-8:]) == l.last {
		return j, true
	}
	return i, false
}

// str reads a string without escapes or control characters and returns its
// content.
func str(b []byte, i int) (s []byte, end int, ok bool) {
	if uint(i) >= uint(len(b)) || b[i] != '"' {
		return nil, i, false
	}
	end = jsonscan.PlainEnd(b, i+1)
	if uint(end) >= uint(len(b)) || b[end] != '"' || end <= i { // end > i always; saying so drops a bounds check
		return nil, i, false
	}
	return b[i+1 : end], end + 1, true
}

// integer reads an integer in int64 range, after one optional space (the
// spaced layout's received_at literal leaves it).
func integer(b []byte, i int) (v int64, end int, ok bool) {
	if uint(i) < uint(len(b)) && b[i] == ' ' {
		i++
	}
	return jsonscan.IntAt(b, i)
}

// num reads a JSON number without an exponent.
func num(b []byte, i int) (raw []byte, end int, ok bool) {
	start := i
	if uint(i) < uint(len(b)) && b[i] == '-' {
		i++
	}
	end = jsonscan.DigitsEnd(b, i)
	if end == i || (end-i > 1 && b[i] == '0') {
		return nil, start, false
	}
	i = end
	if uint(i) < uint(len(b)) && b[i] == '.' {
		if end = jsonscan.DigitsEnd(b, i+1); end == i+1 {
			return nil, start, false
		}
		i = end
	}
	if uint(i) < uint(len(b)) && (b[i] == 'e' || b[i] == 'E') {
		return nil, start, false
	}
	return b[start:i], i, true
}

// numInt reads a JSON number without an exponent, as num does, and if it
// is an integer of up to 18 digits also returns its value: read in the
// same word-at-a-time pass that finds its end, an American price then needs
// no second scan.
func numInt(b []byte, i int) (raw []byte, v int64, isInt bool, end int, ok bool) {
	start := i
	neg := uint(i) < uint(len(b)) && b[i] == '-'
	if neg {
		i++
	}
	u, n := jsonscan.Digits(b, i)
	if n == 0 || (n > 1 && b[i] == '0') {
		return nil, 0, false, start, false
	}
	i += n
	isInt = n <= 18 // so u fits an int64
	if uint(i) < uint(len(b)) && b[i] == '.' {
		end := jsonscan.DigitsEnd(b, i+1)
		if end == i+1 {
			return nil, 0, false, start, false
		}
		i, isInt = end, false
	}
	if uint(i) < uint(len(b)) && (b[i] == 'e' || b[i] == 'E') {
		return nil, 0, false, start, false
	}
	v = int64(u)
	if neg {
		v = -v
	}
	return b[start:i], v, isInt, i, true
}
