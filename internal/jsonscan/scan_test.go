package jsonscan

import (
	"encoding/json"
	"strconv"
	"testing"
)

func TestSkipMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"a":[1,2,{"b":"c\u00e9\n"}],"d":-1.5e3,"e":true,"f":null}`,
		`[]`, `{}`, `"x"`, `0`, `-0.5`, `{"a":}`, `[1,]`, `{"a" 1}`, `01`, `1.`, `"\x"`, `"a`, `[`, `tru`,
		`"\ud83d\ude00"`,
	} {
		var s Scanner
		s.Reset([]byte(in))
		err := s.Skip()
		got := err == nil && s.End()
		if want := json.Valid([]byte(in)); got != want {
			t.Errorf("Skip(%s) valid = %v, encoding/json says %v", in, got, want)
		}
	}
}

func TestString(t *testing.T) {
	var s Scanner
	s.Reset([]byte(`"plain" "es\"c\\aped\u0041"`))
	a, err := s.String()
	if err != nil || string(a) != "plain" {
		t.Fatalf("String = %q, %v", a, err)
	}
	b, err := s.String()
	if err != nil || string(b) != `es"c\apedA` {
		t.Fatalf("String = %q, %v", b, err)
	}
}

func TestParseInt(t *testing.T) {
	cases := map[string]int64{"0": 0, "-110": -110, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for in, want := range cases {
		if got, ok := ParseInt([]byte(in)); !ok || got != want {
			t.Errorf("ParseInt(%s) = %d, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "-", "1.5", "9223372036854775808", "12a", "99999999999999999999"} {
		if _, ok := ParseInt([]byte(bad)); ok {
			t.Errorf("ParseInt(%s) ok", bad)
		}
	}
}

func FuzzSkip(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c"}]}`, `"\ud83d"`, `[[[[`, `-1e+5`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Scanner
		s.Reset(b)
		got := s.Skip() == nil && s.End()
		if want := json.Valid(b); got != want {
			t.Fatalf("Skip(%q) valid = %v, encoding/json says %v", b, got, want)
		}
	})
}

// RawString takes strings without escapes or control characters, as they
// are in the input, and refuses the rest.
func TestRawString(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{`"abc"`, "abc", true}, {` "é x"`, "é x", true}, {`""`, "", true},
		{`"a\"b"`, "", false}, {`"a\/b"`, "", false}, {"\"a\nb\"", "", false}, {`"abc`, "", false}, {`abc`, "", false},
	} {
		var s Scanner
		b := []byte(c.in)
		s.Reset(b)
		got, err := s.RawString()
		if (err == nil) != c.ok || string(got) != c.want {
			t.Errorf("RawString(%s) = %q, %v", c.in, got, err)
		}
		if err == nil && len(got) > 0 && &got[0] != &b[len(b)-1-len(got)] {
			t.Errorf("RawString(%s) copied its result", c.in)
		}
	}
}

// The word-at-a-time readers must agree with byte loops on any input, from
// any offset.
func FuzzSWAR(f *testing.F) {
	for _, s := range []string{"", "1234567890123456789012", `abc"def`, "ab\\c", "a\x1fb", "\xff\xfe\"", "12345678a", "-0012", "9223372036854775808"} {
		f.Add([]byte(s), 0)
	}
	f.Fuzz(func(t *testing.T, b []byte, i int) {
		if i < 0 || i > len(b) {
			return
		}
		plainEnd := i
		for plainEnd < len(b) && plain[b[plainEnd]] {
			plainEnd++
		}
		if got := PlainEnd(b, i); got != plainEnd {
			t.Fatalf("PlainEnd(%q, %d) = %d, want %d", b, i, got, plainEnd)
		}
		end, v := i, uint64(0)
		for end < len(b) && b[end] >= '0' && b[end] <= '9' {
			v = v*10 + uint64(b[end]-'0')
			end++
		}
		if got := DigitsEnd(b, i); got != end {
			t.Fatalf("DigitsEnd(%q, %d) = %d, want %d", b, i, got, end)
		}
		gv, n := Digits(b, i)
		if n != end-i || (n <= 19 && gv != v) {
			t.Fatalf("Digits(%q, %d) = %d, %d, want %d, %d", b, i, gv, n, v, end-i)
		}
		want, err := strconv.ParseInt(string(b[i:end]), 10, 64)
		if x, e, ok := IntAt(b, i); ok && b[i] != '-' && (err != nil || x != want || e != end || (end-i > 1 && b[i] == '0')) {
			t.Fatalf("IntAt(%q, %d) = %d, %d, want %d, %d (%v)", b, i, x, e, want, end, err)
		}
	})
}

func TestSWARLengths(t *testing.T) {
	digits := "12345678901234567890"
	for n := 0; n <= len(digits); n++ {
		b := []byte(digits[:n] + `"x`)
		if got := DigitsEnd(b, 0); got != n {
			t.Errorf("DigitsEnd(%q) = %d", b, got)
		}
		if got := PlainEnd(b, 0); got != n {
			t.Errorf("PlainEnd(%q) = %d", b, got)
		}
		v, m := Digits(b, 0)
		want, _ := strconv.ParseUint(digits[:n], 10, 64)
		if m != n || (n > 0 && n <= 19 && v != want) {
			t.Errorf("Digits(%q) = %d, %d", b, v, m)
		}
	}
	for _, c := range []struct {
		in string
		v  int64
		ok bool
	}{{"9223372036854775807,", 1<<63 - 1, true}, {"-9223372036854775808,", -1 << 63, true}, {"9223372036854775808,", 0, false}, {"01,", 0, false}, {"-,", 0, false}, {"0,", 0, true}} {
		if v, _, ok := IntAt([]byte(c.in), 0); ok != c.ok || (ok && v != c.v) {
			t.Errorf("IntAt(%q) = %d, %v", c.in, v, ok)
		}
	}
}
