package odds

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func idOf(fields ...string) ID {
	var h Hasher
	for _, f := range fields {
		h.AddString(f)
	}
	return h.Sum()
}

// IDs are shared between processes and stored, so the hash must never change.
func TestIDStable(t *testing.T) {
	var h Hasher
	h.AddString("pinnacle")
	h.AddString("nfl-2026-00042:spreads")
	h.AddString("home")
	h.AddUint64(1795000000123)
	const want = "54dd3756bf76eac9ab446c43dedf98ba"
	if got := h.Sum().String(); got != want {
		t.Errorf("ID = %s, want %s (changing the hash breaks stored IDs)", got, want)
	}
}

func TestIDDistinguishesFields(t *testing.T) {
	pairs := [][2][]string{
		{{"ab", "c"}, {"a", "bc"}},
		{{"abcdefgh"}, {"abcdefgh", ""}},
		{{"abcdefgh"}, {"abcdefgh\x00"}},
		{{""}, {}},
		{{"a", "b"}, {"b", "a"}},
		{{"abcdefghij"}, {"abcdefghik"}},
	}
	for _, p := range pairs {
		if idOf(p[0]...) == idOf(p[1]...) {
			t.Errorf("%q and %q hash alike", p[0], p[1])
		}
	}
	var a, b Hasher
	a.AddString("12345678")
	b.AddUint64(0x3837363534333231) // the same 8 bytes as an integer field
	if a.Sum() == b.Sum() {
		t.Error("a string field and an integer field with the same bytes hash alike")
	}
}

func TestIDBytesMatchString(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghijklmnopq"} {
		var a, b Hasher
		a.AddString(s)
		b.AddBytes([]byte(s))
		if a.Sum() != b.Sum() {
			t.Errorf("AddBytes(%q) != AddString(%q)", s, s)
		}
	}
}

// No collisions over a million near-identical inputs, in either half.
func TestIDNoCollisions(t *testing.T) {
	seenHi := make(map[uint64]bool, 1<<20)
	seenLo := make(map[uint64]bool, 1<<20)
	for i := range uint64(1 << 20) {
		var h Hasher
		h.AddString("provider")
		h.AddString("market")
		h.AddUint64(i)
		id := h.Sum()
		if seenHi[id.Hi] || seenLo[id.Lo] {
			t.Fatalf("collision at %d", i)
		}
		seenHi[id.Hi], seenLo[id.Lo] = true, true
	}
}

func TestIDText(t *testing.T) {
	id := idOf("x")
	b, _ := id.MarshalText()
	var back ID
	if err := back.UnmarshalText(b); err != nil || back != id {
		t.Fatalf("round trip %s -> %s, %v", id, back, err)
	}
	for _, bad := range []string{"", "zz", "0123456789abcdef0123456789abcdeg"} {
		if err := back.UnmarshalText([]byte(bad)); !errors.Is(err, ErrSyntax) {
			t.Errorf("UnmarshalText(%q) error = %v, want ErrSyntax", bad, err)
		}
	}
	if !(ID{}).IsZero() || id.IsZero() {
		t.Error("IsZero wrong")
	}
}

func TestStatusAndSideText(t *testing.T) {
	for s := StatusOpen; s <= StatusRemoved; s++ {
		b, err := s.MarshalText()
		var back Status
		if err != nil || back.UnmarshalText(b) != nil || back != s {
			t.Errorf("status %v round trip = %v, %v", s, back, err)
		}
	}
	if _, err := Status(99).MarshalText(); err == nil {
		t.Error("Status(99) encoded")
	}
	var st Status
	if err := st.UnmarshalText([]byte("OPEN")); !errors.Is(err, ErrSyntax) {
		t.Errorf("status OPEN error = %v", err)
	}
	for _, s := range []Side{Back, Lay} {
		b, _ := s.MarshalText()
		var back Side
		if back.UnmarshalText(b) != nil || back != s {
			t.Errorf("side %v round trip = %v", s, back)
		}
	}
	var sd Side
	if err := sd.UnmarshalText([]byte("x")); !errors.Is(err, ErrSyntax) {
		t.Errorf("side x error = %v", err)
	}
}

// AddString and AddBytes read words with overlapping loads; at every length
// they must hash what a byte-at-a-time reading of the field gives.
func TestHasherFieldLengths(t *testing.T) {
	text := "pinnacle|nfl-2026-00042:spreads|home|-110|3.5"
	for n := 0; n <= len(text); n++ {
		s := text[:n]
		var want Hasher
		last := 0 // where the field's last word starts: every other word is full
		if n > 0 {
			last = (n - 1) &^ 7
		}
		word := func(i int) uint64 {
			var w uint64
			for j := i; j < min(i+8, n); j++ {
				w |= uint64(s[j]) << (8 * (j - i))
			}
			return w
		}
		for i := 0; i < last; i += 8 {
			want.absorb(word(i))
		}
		want.seal(word(last), uint64(n))
		var a, b Hasher
		a.AddString(s)
		b.AddBytes([]byte(s))
		if a.Sum() != want.Sum() || b.Sum() != want.Sum() {
			t.Errorf("length %d: AddString %v, AddBytes %v, want %v", n, a.Sum(), b.Sum(), want.Sum())
		}
	}
}

// Flipping any one input bit flips each bit of the ID with probability near
// one half, whichever field the bit is in: no input bit is lost or weakly
// mixed, for short fields (one step) and long ones (several) alike.
func TestIDAvalanche(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	hash := func(f [][]byte, ts uint64) ID {
		var h Hasher
		for _, b := range f {
			h.AddBytes(b)
		}
		h.AddUint64(ts)
		return h.Sum()
	}
	var flips [128]int
	trials := 0
	for range 40 {
		fields := [][]byte{randBytes(8), randBytes(22), randBytes(4), randBytes(0), randBytes(17)}
		ts := rnd.Uint64()
		base := hash(fields, ts)
		record := func(id ID) {
			d := ID{Hi: id.Hi ^ base.Hi, Lo: id.Lo ^ base.Lo}
			for i := range 64 {
				flips[i] += int(d.Hi >> i & 1)
				flips[64+i] += int(d.Lo >> i & 1)
			}
			trials++
		}
		for _, f := range fields {
			for bit := range 8 * len(f) {
				f[bit/8] ^= 1 << (bit % 8)
				record(hash(fields, ts))
				f[bit/8] ^= 1 << (bit % 8)
			}
		}
		for bit := range 64 {
			record(hash(fields, ts^1<<bit))
		}
	}
	for i, n := range flips {
		if p := float64(n) / float64(trials); p < 0.45 || p > 0.55 {
			t.Errorf("output bit %d flips with probability %.3f over %d single-bit changes", i, p, trials)
		}
	}
}
