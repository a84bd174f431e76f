package simfeed

import (
	"strconv"
	"testing"
)

// appendHalf writes what %g writes for every line the feed quotes.
func TestAppendHalf(t *testing.T) {
	for h := -40; h <= 130; h++ {
		v := float64(h) / 2
		if got, want := string(appendHalf(nil, v)), strconv.FormatFloat(v, 'g', -1, 64); got != want {
			t.Errorf("%v: %s want %s", v, got, want)
		}
	}
}
