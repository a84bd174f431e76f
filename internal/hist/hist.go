// Package hist is a small HDR-style latency histogram: log-linear buckets
// (64 per power of two, so any recorded value is known within 1.6%), fixed
// memory, O(1) recording without allocation, and exact min, max and count.
//
// It is written here rather than imported: the core module takes no
// dependency for 80 lines, and the well-kept Go HdrHistogram ports carry
// more API than a p50/p99/max report needs.
package hist

import (
	"math/bits"
	"time"
)

const subBits = 6 // 64 sub-buckets per power of two

const buckets = (64 - subBits + 1) << subBits

// Histogram records durations. The zero value is ready; it is not safe for
// concurrent use (keep one per goroutine and Merge them).
type Histogram struct {
	counts   [buckets]uint64
	n        uint64
	min, max time.Duration
}

func index(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	exp := bits.Len64(v) - subBits // >= 1
	return exp<<subBits | int(v>>(exp-1)&(1<<subBits-1))
}

// upper returns the largest value that falls in bucket i.
func upper(i int) uint64 {
	exp, sub := i>>subBits, uint64(i&(1<<subBits-1))
	if exp == 0 {
		return sub
	}
	return (1<<subBits|sub)<<(exp-1) + (1 << (exp - 1)) - 1
}

// Record adds one duration; negative ones count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[index(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
}

// Merge adds o's records to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
}

// Count returns how many durations were recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest duration recorded, exactly.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the duration at or below which fraction q of the records
// fall, rounded up to its bucket's top (within 1.6%) and never above Max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(upper(i)), h.max)
		}
	}
	return h.max
}
