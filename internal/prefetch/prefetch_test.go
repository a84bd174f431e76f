package prefetch

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestLineNeverFaults prefetches nil, which a load could not read, and
// the last byte of an array.
func TestLineNeverFaults(t *testing.T) {
	Line(nil)
	var x [64]byte
	Line(unsafe.Pointer(&x[63]))
}

// BenchmarkRandomReads reads a 64 MiB array at random indexes, as a large
// hash table's lookups read it, with some arithmetic on each value read, as
// a lookup compares and updates what it finds: plainly, and with the read
// 16 ahead prefetched.
func BenchmarkRandomReads(b *testing.B) {
	a := make([]uint64, 8<<20)
	idx := make([]uint32, 1<<22)
	for i := range idx {
		idx[i] = uint32(rand.IntN(len(a)))
	}
	const ahead = 16
	for _, pre := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "prefetched"}[pre], func(b *testing.B) {
			var sum uint64
			i := 0
			for b.Loop() {
				if pre {
					Line(unsafe.Pointer(&a[idx[(i+ahead)%len(idx)]]))
				}
				v := a[idx[i%len(idx)]] + sum
				for range 8 {
					v = v*0x9e3779b97f4a7c15 ^ v>>29
				}
				sum = v
				i++
			}
			if sum == 1 {
				b.Log(sum)
			}
		})
	}
}
