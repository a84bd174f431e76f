package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// The readers below look at eight bytes at a time in one register ("SIMD
// within a register"): a feed's strings and integers are mostly 5 to 20
// bytes, so this does in two or three steps what a byte loop does in twenty.
// Each computes a mask with the high bit of every byte that stops the run;
// subtraction borrows can set bits only above a byte that truly stops it, so
// the lowest set bit is always exact.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// PlainEnd returns the index of the first byte at or after i that ends an
// unescaped run of string content (a quote, a backslash or a control
// character), or len(b) if there is none.
func PlainEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		if m := ((q-ones)&^q | (bs-ones)&^bs | (x-ones*0x20)&^x) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// Digits reads the run of ASCII digits at b[i:] and returns its length n
// and, when n is at most 19, its value (which then cannot overflow).
func Digits(b []byte, i int) (v uint64, n int) {
	start := i
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := nonDigits(x); m != 0 {
			// Shift the k digits to the high-order end; the zero bytes
			// shifted in read as leading zeros.
			k := bits.TrailingZeros64(m) / 8 & 7
			if k > 0 {
				v = v*pow10[k] + eightDigits(x<<(64-8*k))
			}
			return v, i + k - start
		}
		v = v*1e8 + eightDigits(x)
		i += 8
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + uint64(b[i]-'0')
	}
	return v, i - start
}

// DigitsEnd returns the index of the first byte at or after i that is not
// an ASCII digit, or len(b).
func DigitsEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := nonDigits(x); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// nonDigits marks the bytes of x outside '0'..'9'.
func nonDigits(x uint64) uint64 { return ((x + ones*0x46) | (x - ones*'0')) & highs }

// eightDigits returns the value of eight ASCII digits loaded little-endian,
// the first one most significant, in three multiplications.
func eightDigits(x uint64) uint64 {
	x = (x & 0x0f0f0f0f0f0f0f0f) * (10<<8 + 1) >> 8
	x = (x & 0x00ff00ff00ff00ff) * (100<<16 + 1) >> 16
	return (x & 0x0000ffff0000ffff) * (10000<<32 + 1) >> 32
}

var pow10 = [8]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7}
