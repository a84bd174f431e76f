package hist

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsCoverEveryValue(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 40, 1<<63 - 1, 1<<64 - 1} {
		i := index(v)
		if i >= buckets || upper(i) < v || (i > 0 && upper(i-1) >= v) {
			t.Fatalf("value %d: bucket %d (%d, %d]", v, i, upper(max(i-1, 0)), upper(i))
		}
	}
}

// Quantiles agree with sorting, within the bucket precision.
func TestQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h, a, b Histogram
	var all []time.Duration
	for i := range 100000 {
		d := time.Duration(r.ExpFloat64() * float64(time.Millisecond))
		all = append(all, d)
		h.Record(d)
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := all[int(q*float64(len(all)))-1]
		got := h.Quantile(q)
		if got < exact || float64(got) > float64(exact)*1.032 {
			t.Errorf("q%.3f = %v, exact %v", q, got, exact)
		}
		if a.Quantile(q) != got {
			t.Errorf("merged q%.3f = %v, want %v", q, a.Quantile(q), got)
		}
	}
	if h.Max() != all[len(all)-1] || h.Count() != 100000 || h.Quantile(1) != h.Max() {
		t.Errorf("max %v count %d", h.Max(), h.Count())
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	d := time.Duration(0)
	for b.Loop() {
		h.Record(d)
		d += 977
	}
}
