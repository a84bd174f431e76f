package byshard

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// Every item lands in its own shard's group exactly once, in batch order.
func TestGroup(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var g Grouping
	for _, shards := range []int{1, 3, 16, Max} {
		for _, n := range []int{0, 1, 7, Max} {
			shardOf := make([]uint8, n)
			for i := range shardOf {
				shardOf[i] = uint8(r.IntN(shards))
			}
			g.Group(shardOf, shards)
			seen := 0
			for k := range shards {
				var want []uint8
				for i, s := range shardOf {
					if int(s) == k {
						want = append(want, uint8(i))
					}
				}
				if got := g.Shard(k); !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
					t.Fatalf("%d shards, %d items: shard %d holds %v, want %v", shards, n, k, got, want)
				}
				seen += len(g.Shard(k))
			}
			if seen != n {
				t.Fatalf("%d shards, %d items: %d grouped", shards, n, seen)
			}
		}
	}
}

func ExampleGrouping() {
	var g Grouping
	g.Group([]uint8{1, 0, 1, 2, 0}, 3)
	for k := range 3 {
		fmt.Println(k, g.Shard(k))
	}
	// Output:
	// 0 [1 4]
	// 1 [0 2]
	// 2 [3]
}
