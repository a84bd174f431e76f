package generic

import (
	"encoding/binary"

	"github.com/oddsflow/oddsflow/internal/jsonscan"
)

// decodeFast reads the outcome-list shape as the reference design's
// producers write it: its keys in their usual order, compact or spaced as
// Python's json.dumps writes by default (", " and ": "), plain strings,
// American or decimal prices as numbers, and a line or not. It reports
// false at the first byte that does not fit, and Normalize starts again with
// the general decoder, so this path only ever agrees with it
// (FuzzOutcomesFast checks that) and is about three times faster: it matches
// the keys as one literal each instead of scanning, and leaves validation it
// cannot do quickly to that fallback.
func (o *Outcomes) decodeFast(b []byte, outs []rawOutcome) (message, []rawOutcome, bool) {
	var (
		m                message
		provider, market []byte
		ok               bool
	)
	i, ok := lit(b, 0, &litProvider)
	if !ok {
		return m, nil, false
	}
	l := &compact
	if i < len(b) && b[i] == ' ' {
		l = &spaced
		i++
	}
	if provider, i, ok = str(b, i); !ok {
		return m, nil, false
	}
	if i, ok = lit(b, i, &l.market); !ok {
		return m, nil, false
	}
	if market, i, ok = str(b, i); !ok {
		return m, nil, false
	}
	if i, ok = lit(b, i, &l.timestamp); !ok {
		return m, nil, false
	}
	// A feed has thousands of markets, and the interner's slot for this one
	// is seldom still in the cache: it is prefetched now and read once the
	// rest of the message is.
	marketHash := o.in.str.prefetch(market)
	m.key.AddBytes(provider)
	m.key.AddBytes(market)
	if m.ts, i, ok = integer(b, i); !ok {
		return m, nil, false
	}
	m.hasTS = true
	m.key.AddUint64(uint64(m.ts))
	m.hashed = true
	if j, ok := lit(b, i, &l.receivedAt); ok {
		if m.recv, i, ok = integer(b, j); !ok {
			return m, nil, false
		}
		m.hasRecv = true
	}
	if i, ok = lit(b, i, &l.outcomes); !ok {
		return m, nil, false
	}
	m.hasO = true
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		if i, ok = lit(b, i, &l.name); !ok {
			return m, nil, false
		}
		for {
			var (
				out  rawOutcome
				name []byte
			)
			if name, i, ok = str(b, i); !ok {
				return m, nil, false
			}
			if i, ok = lit(b, i, &l.price); !ok {
				return m, nil, false
			}
			out.name, out.nameSeen = o.in.string(name), true
			if out.price, out.priceInt, out.isInt, i, ok = numInt(b, i); !ok {
				return m, nil, false
			}
			out.priceSeen, out.plain = true, true // numInt reads no exponent
			if j, ok := lit(b, i, &l.line); ok {
				if out.line, i, ok = num(b, j); !ok {
					return m, nil, false
				}
				out.hasLine = true
			}
			outs = append(outs, out)
			if i, ok = lit(b, i, &l.next); !ok {
				break
			}
		}
		if i+2 > len(b) || b[i] != '}' || b[i+1] != ']' {
			return m, nil, false
		}
		i += 2
	}
	if i+1 != len(b) || b[i] != '}' {
		return m, nil, false
	}
	m.provider = o.in.string(provider)
	m.market = o.in.stringHashed(market, marketHash)
	return m, outs, true
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
