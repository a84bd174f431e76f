// Package jsonscan is a small, allocation-free JSON reader for decoders built
// for one message shape. It validates what it reads, never panics on any
// input, and hands out slices of the input instead of copies.
package jsonscan

import (
	"errors"
	"unicode/utf8"
)

// ErrSyntax reports input that is not valid JSON where a value was expected.
var ErrSyntax = errors.New("invalid JSON")

// maxDepth bounds nesting in Skip, so hostile input cannot exhaust the stack.
const maxDepth = 64

// Scanner reads one JSON text. The zero value is not usable; call Reset.
type Scanner struct {
	buf     []byte
	pos     int
	scratch []byte // unescaped strings live here until the next String call
}

// Reset starts reading b.
func (s *Scanner) Reset(b []byte) {
	s.buf, s.pos = b, 0
}

// Pos returns the offset of the next unread byte, for error messages.
func (s *Scanner) Pos() int { return s.pos }

func (s *Scanner) ws() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// Peek returns the next non-space byte without consuming it, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

// Byte consumes c, the next non-space byte, or reports false.
func (s *Scanner) Byte(c byte) bool {
	if s.Peek() == c {
		s.pos++
		return true
	}
	return false
}

// Lit consumes s if the input continues with exactly s, white space and
// all; a decoder matching a known layout checks a run of keys and
// punctuation at once this way.
func (s *Scanner) Lit(lit string) bool {
	if end := s.pos + len(lit); end <= len(s.buf) && string(s.buf[s.pos:end]) == lit {
		s.pos = end
		return true
	}
	return false
}

// Next returns the next byte, white space included, without consuming it,
// or 0 at the end.
func (s *Scanner) Next() byte {
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

// End reports whether only white space remains.
func (s *Scanner) End() bool { return s.Peek() == 0 && s.pos == len(s.buf) }

// ObjectStart consumes '{'.
func (s *Scanner) ObjectStart() bool { return s.Byte('{') }

// NextKey reads the next key of an object whose '{' was consumed, and its
// ':'. It returns ok=false at the closing '}' (consumed) and sets *err on
// malformed input. first must be true for the first call of an object.
func (s *Scanner) NextKey(first bool) (key []byte, ok bool, err error) {
	if s.Byte('}') {
		return nil, false, nil
	}
	if !first && !s.Byte(',') {
		return nil, false, ErrSyntax
	}
	k, err := s.String()
	if err != nil {
		return nil, false, err
	}
	if !s.Byte(':') {
		return nil, false, ErrSyntax
	}
	return k, true, nil
}

// ArrayStart consumes '['.
func (s *Scanner) ArrayStart() bool { return s.Byte('[') }

// NextElem reports whether another element follows in an array whose '['
// was consumed, consuming the ',' between elements and the closing ']'.
func (s *Scanner) NextElem(first bool) (bool, error) {
	if s.Byte(']') {
		return false, nil
	}
	if !first && !s.Byte(',') {
		return false, ErrSyntax
	}
	if s.Peek() == 0 {
		return false, ErrSyntax
	}
	return true, nil
}

// String reads a string and returns its content, unescaped. The result
// aliases the input, or an internal buffer that the next String call reuses.
func (s *Scanner) String() ([]byte, error) {
	if !s.Byte('"') {
		return nil, ErrSyntax
	}
	start, buf := s.pos, s.buf
	i := PlainEnd(buf, start)
	s.pos = i
	switch {
	case i == len(buf) || buf[i] < 0x20:
		return nil, ErrSyntax
	case buf[i] == '\\':
		return s.unescape(start)
	}
	s.pos++ // the closing quote
	return buf[start:i], nil
}

// RawString reads a string that holds no escapes and returns its content,
// which aliases the input, so it outlives later String calls. A string with
// an escape is ErrSyntax, as is a control character.
func (s *Scanner) RawString() ([]byte, error) {
	if !s.Byte('"') {
		return nil, ErrSyntax
	}
	start, buf := s.pos, s.buf
	i := PlainEnd(buf, start)
	if i == len(buf) || buf[i] != '"' {
		return nil, ErrSyntax
	}
	s.pos = i + 1
	return buf[start:i], nil
}

// plain marks the bytes a string holds as they are: not a quote, a
// backslash or a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *Scanner) unescape(start int) ([]byte, error) {
	out := append(s.scratch[:0], s.buf[start:s.pos]...)
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			s.scratch = out
			return out, nil
		case c < 0x20:
			return nil, ErrSyntax
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.buf) {
			return nil, ErrSyntax
		}
		e := s.buf[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, ErrSyntax
			}
			if r >= 0xD800 && r < 0xDC00 && s.pos+1 < len(s.buf) && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
				s.pos += 2
				lo, ok := s.hex4()
				if !ok {
					return nil, ErrSyntax
				}
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				if lo < 0xDC00 || lo > 0xDFFF {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, ErrSyntax
		}
	}
	return nil, ErrSyntax
}

func (s *Scanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.buf) {
		return 0, false
	}
	var r rune
	for _, c := range s.buf[s.pos : s.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.pos += 4
	return r, true
}

// Number reads a JSON number and returns its text.
func (s *Scanner) Number() ([]byte, error) {
	s.ws()
	start := s.pos
	if s.pos < len(s.buf) && s.buf[s.pos] == '-' {
		s.pos++
	}
	intStart := s.pos
	if !s.digits() || (s.buf[intStart] == '0' && s.pos-intStart > 1) {
		s.pos = start
		return nil, ErrSyntax // JSON allows no leading zeros
	}
	if s.pos < len(s.buf) && s.buf[s.pos] == '.' {
		s.pos++
		if !s.digits() {
			s.pos = start
			return nil, ErrSyntax
		}
	}
	if s.pos < len(s.buf) && (s.buf[s.pos] == 'e' || s.buf[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.buf) && (s.buf[s.pos] == '+' || s.buf[s.pos] == '-') {
			s.pos++
		}
		if !s.digits() {
			s.pos = start
			return nil, ErrSyntax
		}
	}
	return s.buf[start:s.pos], nil
}

func (s *Scanner) digits() bool {
	start := s.pos
	s.pos = DigitsEnd(s.buf, start)
	return s.pos > start
}

// Int reads a number that must be an integer in int64 range.
func (s *Scanner) Int() (int64, []byte, error) {
	s.ws()
	// Fast path: plain digits, parsed while scanning.
	if v, end, ok := IntAt(s.buf, s.pos); ok && end < len(s.buf) {
		switch s.buf[end] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			raw := s.buf[s.pos:end]
			s.pos = end
			return v, raw, nil
		}
	}
	raw, err := s.Number()
	if err != nil {
		return 0, nil, err
	}
	v, ok := ParseInt(raw)
	if !ok {
		return 0, raw, ErrSyntax
	}
	return v, raw, nil
}

// IntAt reads the optionally negative run of digits at b[i:] as a JSON
// integer in int64 range (no leading zeros) and returns it and the index
// after it; ok is false if there is none, or it is out of range.
func IntAt(b []byte, i int) (v int64, end int, ok bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	u, n := Digits(b, i)
	if n == 0 || n > 19 || (n > 1 && b[i] == '0') {
		return 0, i, false
	}
	if neg {
		return -int64(u), i + n, u <= 1<<63
	}
	return int64(u), i + n, u <= 1<<63-1
}

// ParseInt parses an optionally negative run of decimal digits without
// allocating; ok is false for anything else or on overflow.
func ParseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	u, n := Digits(digits, 0)
	if n == 0 || n != len(digits) || n > 19 {
		return 0, false
	}
	if neg {
		return -int64(u), u <= 1<<63
	}
	return int64(u), u <= 1<<63-1
}

// Literal reads true, false or null and returns it.
func (s *Scanner) Literal() ([]byte, error) {
	s.ws()
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.buf)-s.pos >= len(lit) && string(s.buf[s.pos:s.pos+len(lit)]) == lit {
			s.pos += len(lit)
			return s.buf[s.pos-len(lit) : s.pos], nil
		}
	}
	return nil, ErrSyntax
}

// Null consumes a null and reports whether there was one.
func (s *Scanner) Null() bool {
	if s.Peek() == 'n' {
		if _, err := s.Literal(); err == nil {
			return true
		}
	}
	return false
}

// Skip reads and discards one value of any kind, validating it.
func (s *Scanner) Skip() error { return s.skip(0) }

func (s *Scanner) skip(depth int) error {
	if depth > maxDepth {
		return ErrSyntax
	}
	switch s.Peek() {
	case '"':
		_, err := s.String()
		return err
	case '{':
		s.pos++
		for first := true; ; first = false {
			_, ok, err := s.NextKey(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		s.pos++
		for first := true; ; first = false {
			ok, err := s.NextElem(first)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
		}
	case 't', 'f', 'n':
		_, err := s.Literal()
		return err
	default:
		_, err := s.Number()
		return err
	}
}
