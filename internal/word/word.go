// Package word reads short runs of bytes as little-endian machine words, so
// that keys can be hashed and compared a word at a time instead of a byte
// at a time.
package word

import "math/bits"

// Load returns the first 8 bytes of s; the compiler makes it one load.
func Load[T string | []byte](s T) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Tail returns the 0 to 8 bytes of s, zero-padded, in one or two loads
// instead of a byte loop where it can.
func Tail[T string | []byte](s T) uint64 {
	switch n := len(s); {
	case n >= 8:
		return Load(s[n-8:])
	case n >= 4: // two loads of 4 that overlap on equal bytes
		return load4(s) | load4(s[n-4:])<<(8*(n-4))
	default:
		var w uint64
		for i := range n {
			w |= uint64(s[i]) << (8 * i)
		}
		return w
	}
}

func load4[T string | []byte](s T) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// Mix folds the 128-bit product of x and y to 64 bits (wyhash's mixer).
func Mix(x, y uint64) uint64 {
	hi, lo := bits.Mul64(x, y)
	return hi ^ lo
}
