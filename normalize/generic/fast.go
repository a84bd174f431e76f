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
	c := cursor{b: b}
	var m message
	var ok bool
	if !c.lit(&litProvider) {
		return m, nil, false
	}
	l := &compact
	if c.i < len(b) && b[c.i] == ' ' {
		l = &spaced
		c.i++
	}
	provider, ok := c.str()
	if !ok || !c.lit(&l.market) {
		return m, nil, false
	}
	market, ok := c.str()
	if !ok || !c.lit(&l.timestamp) {
		return m, nil, false
	}
	// A feed has thousands of markets, and the interner's slot for this one
	// is seldom still in the cache: it is prefetched now and read once the
	// rest of the message is.
	o.in.str.prefetch(market)
	m.key.AddBytes(provider)
	m.key.AddBytes(market)
	if m.ts, ok = c.int(); !ok {
		return m, nil, false
	}
	m.hasTS = true
	m.key.AddUint64(uint64(m.ts))
	m.hashed = true
	if c.lit(&l.receivedAt) {
		if m.recv, ok = c.int(); !ok {
			return m, nil, false
		}
		m.hasRecv = true
	}
	if !c.lit(&l.outcomes) {
		return m, nil, false
	}
	m.hasO = true
	if !c.byte(']') {
		if !c.lit(&l.name) {
			return m, nil, false
		}
		for {
			var out rawOutcome
			v, ok := c.str()
			if !ok || !c.lit(&l.price) {
				return m, nil, false
			}
			out.name, out.nameSeen = o.in.string(v), true
			if out.price, out.priceInt, out.isInt, ok = c.numInt(); !ok {
				return m, nil, false
			}
			out.priceSeen, out.plain = true, true // numInt reads no exponent
			if c.lit(&l.line) {
				if out.line, ok = c.num(); !ok {
					return m, nil, false
				}
				out.hasLine = true
			}
			outs = append(outs, out)
			if !c.lit(&l.next) {
				break
			}
		}
		if !c.byte('}') || !c.byte(']') {
			return m, nil, false
		}
	}
	if !c.byte('}') || c.i != len(b) {
		return m, nil, false
	}
	m.provider = o.in.string(provider)
	m.market = o.in.string(market)
	return m, outs, true
}

// cursor matches a payload against the expected layout. It reads strings
// and numbers with jsonscan's word-at-a-time helpers.
type cursor struct {
	b []byte
	i int
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

// lit consumes l if the payload goes on with it. It calls nothing, so that
// it inlines: a message has about a dozen literals, and the call and the
// cursor's trip through memory cost more than the match.
func (c *cursor) lit(l *literal) bool {
	j := c.i + len(l.s)
	if j > len(c.b) {
		return false
	}
	// A literal has at least 8 bytes; saying so lets both loads go
	// without bounds checks.
	if r := c.b[c.i:j]; len(r) >= 8 && binary.LittleEndian.Uint64(r) == l.first && binary.LittleEndian.Uint64(r[len(r)-8:]) == l.last {
		c.i = j
		return true
	}
	return false
}

// byte consumes ch.
func (c *cursor) byte(ch byte) bool {
	if c.i >= len(c.b) || c.b[c.i] != ch {
		return false
	}
	c.i++
	return true
}

// space consumes one space, if there is one.
func (c *cursor) space() {
	if c.i < len(c.b) && c.b[c.i] == ' ' {
		c.i++
	}
}

// str consumes a string without escapes or control characters.
func (c *cursor) str() ([]byte, bool) {
	b, i := c.b, c.i
	if uint(i) >= uint(len(b)) || b[i] != '"' {
		return nil, false
	}
	end := jsonscan.PlainEnd(b, i+1)
	if uint(end) >= uint(len(b)) || b[end] != '"' || end <= i { // end > i always; saying so drops a bounds check
		return nil, false
	}
	c.i = end + 1
	return b[i+1 : end], true
}

// int consumes an integer in int64 range, after one optional space (the
// spaced layout's received_at literal leaves it).
func (c *cursor) int() (int64, bool) {
	c.space()
	v, end, ok := jsonscan.IntAt(c.b, c.i)
	if ok {
		c.i = end
	}
	return v, ok
}

// num consumes a JSON number without an exponent.
func (c *cursor) num() ([]byte, bool) {
	b, start := c.b, c.i
	i := start
	if uint(i) < uint(len(b)) && b[i] == '-' {
		i++
	}
	end := jsonscan.DigitsEnd(b, i)
	if end == i || (end-i > 1 && b[i] == '0') {
		return nil, false
	}
	i = end
	if uint(i) < uint(len(b)) && b[i] == '.' {
		if end = jsonscan.DigitsEnd(b, i+1); end == i+1 {
			return nil, false
		}
		i = end
	}
	if uint(i) < uint(len(b)) && (b[i] == 'e' || b[i] == 'E') {
		return nil, false
	}
	c.i = i
	return b[start:i], true
}

// numInt consumes a JSON number without an exponent, as num does, and if
// it is an integer of up to 18 digits also returns its value: read in the
// same word-at-a-time pass that finds its end, an American price then needs
// no second scan.
func (c *cursor) numInt() (raw []byte, v int64, isInt, ok bool) {
	b, start := c.b, c.i
	i := start
	neg := uint(i) < uint(len(b)) && b[i] == '-'
	if neg {
		i++
	}
	u, n := jsonscan.Digits(b, i)
	if n == 0 || (n > 1 && b[i] == '0') {
		return nil, 0, false, false
	}
	i += n
	isInt = n <= 18 // so u fits an int64
	if uint(i) < uint(len(b)) && b[i] == '.' {
		end := jsonscan.DigitsEnd(b, i+1)
		if end == i+1 {
			return nil, 0, false, false
		}
		i, isInt = end, false
	}
	if uint(i) < uint(len(b)) && (b[i] == 'e' || b[i] == 'E') {
		return nil, 0, false, false
	}
	c.i = i
	v = int64(u)
	if neg {
		v = -v
	}
	return b[start:i], v, isInt, true
}
