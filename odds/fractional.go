package odds

import (
	"sort"
	"sync"

	"github.com/shopspring/decimal"
)

// ladder is the traditional UK fractional ladder, shortest price first, as
// bookmakers print it (4/6 stays 4/6, not 2/3).
var ladder = [...][2]int64{
	{1, 100}, {1, 66}, {1, 50}, {1, 40}, {1, 33}, {1, 25}, {1, 20}, {1, 16}, {1, 14}, {1, 12},
	{1, 10}, {1, 9}, {1, 8}, {2, 15}, {1, 7}, {2, 13}, {1, 6}, {2, 11}, {1, 5}, {2, 9},
	{1, 4}, {2, 7}, {3, 10}, {1, 3}, {4, 11}, {2, 5}, {4, 9}, {1, 2}, {8, 15}, {4, 7},
	{8, 13}, {4, 6}, {8, 11}, {4, 5}, {5, 6}, {10, 11}, {1, 1}, {21, 20}, {11, 10}, {6, 5},
	{5, 4}, {11, 8}, {6, 4}, {13, 8}, {7, 4}, {15, 8}, {2, 1}, {85, 40}, {9, 4}, {5, 2},
	{11, 4}, {3, 1}, {10, 3}, {7, 2}, {4, 1}, {9, 2}, {5, 1}, {11, 2}, {6, 1}, {13, 2},
	{7, 1}, {15, 2}, {8, 1}, {17, 2}, {9, 1}, {10, 1}, {11, 1}, {12, 1}, {14, 1}, {16, 1},
	{18, 1}, {20, 1}, {22, 1}, {25, 1}, {28, 1}, {33, 1}, {40, 1}, {50, 1}, {66, 1}, {80, 1},
	{100, 1}, {125, 1}, {150, 1}, {200, 1}, {250, 1}, {300, 1}, {400, 1}, {500, 1}, {1000, 1},
}

// ladderPrices holds the decimal odds of each ladder step, built on first use.
var ladderPrices = sync.OnceValue(func() []decimal.Decimal {
	out := make([]decimal.Decimal, len(ladder))
	for i, f := range ladder {
		p, _ := FromFractional(f[0], f[1])
		out[i] = p.d
	}
	return out
})

// Fractional returns the conventional UK fraction nearest to p on the
// traditional ladder (… 4/6, 8/11, 10/11, 1/1, 11/10, 6/4, 13/8 …, 1/100 to
// 1000/1). Nearest means the smallest difference in decimal odds; a tie goes
// to the shorter price, which never overstates what a bet pays. The zero
// Price returns 0/1. Use [Price.Fraction] for the exact value.
func (p Price) Fractional() (num, den int64) {
	if p.IsZero() {
		return 0, 1
	}
	steps := ladderPrices()
	i := sort.Search(len(steps), func(i int) bool { return steps[i].Cmp(p.d) >= 0 })
	switch {
	case i == 0:
		return ladder[0][0], ladder[0][1]
	case i == len(steps):
		i = len(steps) - 1
	case steps[i].Sub(p.d).Cmp(p.d.Sub(steps[i-1])) >= 0:
		i-- // the shorter step is at least as near
	}
	return ladder[i][0], ladder[i][1]
}
