package jsonscan

import (
	"encoding/json"
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
