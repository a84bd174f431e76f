package generic

// decodeFast reads the outcome-list shape as the reference design's
// producers write it: its keys in their usual order, compact or with single
// spaces after ':' and ',', plain strings, American or decimal prices as
// numbers, and a line or not. It reports false at the first byte that does
// not fit, and Normalize starts again with the general decoder, so this path
// only ever agrees with it (FuzzOutcomesFast checks that) and is about
// three times faster: it matches the keys as one literal each instead of
// scanning, and leaves validation it cannot do quickly to that fallback.
func (o *Outcomes) decodeFast(b []byte, outs []rawOutcome) (message, []rawOutcome, bool) {
	c := cursor{b: b}
	var m message
	var ok bool
	if !c.lit(`{"provider":`) {
		return m, nil, false
	}
	var v []byte
	if v, ok = c.str(); !ok || !c.lit(`,"market_id":`) {
		return m, nil, false
	}
	m.provider = o.in.string(v)
	if v, ok = c.str(); !ok || !c.lit(`,"timestamp":`) {
		return m, nil, false
	}
	m.market = o.in.string(v)
	if m.ts, ok = c.int(); !ok {
		return m, nil, false
	}
	m.hasTS = true
	if c.lit(`,"received_at":`) {
		if m.recv, ok = c.int(); !ok {
			return m, nil, false
		}
		m.hasRecv = true
	}
	if !c.lit(`,"outcomes":`) || !c.byte('[') {
		return m, nil, false
	}
	m.hasO = true
	for more := !c.byte(']'); more; {
		var out rawOutcome
		if !c.lit(`{"name":`) {
			return m, nil, false
		}
		if v, ok = c.str(); !ok || !c.lit(`,"price":`) {
			return m, nil, false
		}
		out.name, out.nameSeen = o.in.string(v), true
		if out.price, ok = c.num(); !ok {
			return m, nil, false
		}
		out.priceSeen = true
		if c.lit(`,"line":`) {
			if out.line, ok = c.num(); !ok {
				return m, nil, false
			}
			out.hasLine = true
		}
		if !c.byte('}') {
			return m, nil, false
		}
		outs = append(outs, out)
		if !c.byte(',') {
			if !c.byte(']') {
				return m, nil, false
			}
			more = false
		}
	}
	if !c.byte('}') || c.i != len(b) {
		return m, nil, false
	}
	return m, outs, true
}

// cursor matches a payload against the expected layout.
type cursor struct {
	b []byte
	i int
}

// lit consumes s, in which ": " and ", " may stand for ":" and ",".
func (c *cursor) lit(s string) bool {
	if end := c.i + len(s); end <= len(c.b) && string(c.b[c.i:end]) == s { // compact
		c.i = end
		if last := s[len(s)-1]; (last == ':' || last == ',') && end < len(c.b) && c.b[end] == ' ' {
			c.i++
		}
		return true
	}
	i := c.i
	for j := 0; j < len(s); j++ {
		if i >= len(c.b) || c.b[i] != s[j] {
			return false
		}
		i++
		if (s[j] == ':' || s[j] == ',') && i < len(c.b) && c.b[i] == ' ' {
			i++
		}
	}
	c.i = i
	return true
}

// byte consumes ch and one space after it.
func (c *cursor) byte(ch byte) bool {
	if c.i >= len(c.b) || c.b[c.i] != ch {
		return false
	}
	c.i++
	if c.i < len(c.b) && c.b[c.i] == ' ' {
		c.i++
	}
	return true
}

// str consumes a string without escapes or control characters.
func (c *cursor) str() ([]byte, bool) {
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return nil, false
	}
	start := c.i + 1
	for i := start; i < len(c.b); i++ {
		switch ch := c.b[i]; {
		case ch == '"':
			c.i = i + 1
			return c.b[start:i], true
		case ch == '\\' || ch < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// int consumes an integer in int64 range.
func (c *cursor) int() (int64, bool) {
	i, neg := c.i, false
	if i < len(c.b) && c.b[i] == '-' {
		neg = true
		i++
	}
	start := i
	var v uint64
	for ; i < len(c.b) && c.b[i] >= '0' && c.b[i] <= '9'; i++ {
		v = v*10 + uint64(c.b[i]-'0')
	}
	// 19 digits cannot overflow a uint64; the int64 bound is checked below.
	if n := i - start; n == 0 || n > 19 || (n > 1 && c.b[start] == '0') {
		return 0, false
	}
	c.i = i
	if neg {
		return -int64(v), v <= 1<<63
	}
	return int64(v), v <= 1<<63-1
}

// num consumes a JSON number without an exponent.
func (c *cursor) num() ([]byte, bool) {
	i := c.i
	if i < len(c.b) && c.b[i] == '-' {
		i++
	}
	start := i
	for ; i < len(c.b) && c.b[i] >= '0' && c.b[i] <= '9'; i++ {
	}
	if n := i - start; n == 0 || (n > 1 && c.b[start] == '0') {
		return nil, false
	}
	if i < len(c.b) && c.b[i] == '.' {
		i++
		frac := i
		for ; i < len(c.b) && c.b[i] >= '0' && c.b[i] <= '9'; i++ {
		}
		if i == frac {
			return nil, false
		}
	}
	if i < len(c.b) && (c.b[i] == 'e' || c.b[i] == 'E') {
		return nil, false
	}
	raw := c.b[c.i:i]
	c.i = i
	return raw, true
}
