package odds

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/oddsflow/oddsflow/internal/word"
)

// ID is a 128-bit identifier of one provider update. It is comparable, so it
// can key a map, and its zero value means "no ID".
//
// At 128 bits a false duplicate is out of reach: a window of 10^12 keys has a
// collision chance below 10^-14.
type ID struct {
	Hi, Lo uint64
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// String returns id as 32 lower-case hex digits.
func (id ID) String() string {
	b, _ := id.MarshalText()
	return string(b)
}

// AppendText appends id's 32 hex digits to b.
func (id ID) AppendText(b []byte) ([]byte, error) {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], id.Hi)
	binary.BigEndian.PutUint64(raw[8:], id.Lo)
	return hex.AppendEncode(b, raw[:]), nil
}

// MarshalText encodes id as 32 hex digits.
func (id ID) MarshalText() ([]byte, error) { return id.AppendText(make([]byte, 0, 32)) }

// UnmarshalText decodes 32 hex digits written by [ID.MarshalText].
func (id *ID) UnmarshalText(text []byte) error {
	var raw [16]byte
	if len(text) != 32 {
		return fmt.Errorf("%w: ID %q: want 32 hex digits", ErrSyntax, text)
	}
	if _, err := hex.Decode(raw[:], text); err != nil {
		return fmt.Errorf("%w: ID %q: %w", ErrSyntax, text, err)
	}
	*id = ID{Hi: binary.BigEndian.Uint64(raw[:8]), Lo: binary.BigEndian.Uint64(raw[8:])}
	return nil
}

// Hasher builds an [ID] from the fields that identify an update. The zero
// Hasher is ready to use; add fields in a fixed order and call [Hasher.Sum].
//
// The hash is fast (it reads 8 bytes a step and allocates nothing) and stable:
// the same fields give the same ID in every process, on every machine and in
// every release, so IDs can be shared through Redis or stored in a database.
// It is not cryptographic; don't use it where an adversary picks the input
// and benefits from a collision.
//
// Fields are length-delimited, so ("ab", "c") and ("a", "bc") differ.
//
// The state is two 64-bit lanes that read the same words through different
// multipliers. Neither lane waits for the other, so the processor runs
// their multiplications side by side, and a field of up to 8 bytes (a
// selection, a price, a time) costs one step: its length and position go
// into the multiplier of its last word rather than into a step of their own.
// An ID is hashed for every event, and again by the stages that key events
// by selection, so this is a good part of the per-event cost.
type Hasher struct {
	a, b uint64
	n    uint64 // fields added
}

// Mixing constants (from wyhash), chosen for good avalanche under 128-bit multiply.
const (
	k0 = 0xa0761d6478bd642f
	k1 = 0xe7037ed1a0b428db
	k2 = 0x8ebc6af09c88c6e3
	k3 = 0x589965cc75374cc3
)

// absorb takes a word of a field that is not the field's last.
func (h *Hasher) absorb(w uint64) {
	h.a = word.Mix(h.a^w^k0, k1)
	h.b = word.Mix(h.b^w^k2, k3)
}

// seal takes a field's last word (zero for an empty field) with the field's
// tag: its length, or a kind no length can take, and its position. The tag
// is never zero, so a last word is never mixed as absorb mixes the others.
func (h *Hasher) seal(w, tag uint64) {
	h.n++
	tag ^= h.n << 32
	h.a = word.Mix(h.a^w^k0, k1^tag)
	h.b = word.Mix(h.b^w^k2, k3^tag)
}

// AddString adds one field.
func (h *Hasher) AddString(s string) {
	n := len(s)
	if n <= 8 { // most fields: a selection, a price, a line
		h.seal(word.Tail(s), uint64(n))
		return
	}
	for i := 0; i+8 < n; i += 8 {
		h.absorb(word.Load(s[i:]))
	}
	h.seal(lastWord(s), uint64(n))
}

// AddBytes adds one field.
func (h *Hasher) AddBytes(b []byte) {
	n := len(b)
	if n <= 8 {
		h.seal(word.Tail(b), uint64(n))
		return
	}
	for i := 0; i+8 < n; i += 8 {
		h.absorb(word.Load(b[i:]))
	}
	h.seal(lastWord(b), uint64(n))
}

// lastWord returns the last 1 to 8 bytes of s (none if s is empty) after its
// other full words, as a zero-padded little-endian word. Past 8 bytes that is
// one load, of the 8 bytes that end s, less those already absorbed.
func lastWord[T string | []byte](s T) uint64 {
	n := len(s)
	if n > 8 {
		r := n - (n-1)&^7 // 1 to 8
		return word.Load(s[n-8:]) >> (64 - 8*r)
	}
	return word.Tail(s)
}

// uintTag marks an integer field; no string length can take it.
const uintTag = 8 | 1<<62

// AddUint64 adds one integer field, such as a sequence or a time in nanoseconds.
func (h *Hasher) AddUint64(v uint64) {
	h.seal(v, uintTag)
}

// Sum returns the ID of the fields added so far. It does not change h.
func (h *Hasher) Sum() ID {
	return ID{Hi: fmix(h.a ^ h.b>>1 ^ h.n), Lo: fmix(h.b ^ h.a<<1 ^ k1)}
}

// fmix is MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
func fmix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
