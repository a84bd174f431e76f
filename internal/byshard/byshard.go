// Package byshard orders a batch by shard, for the structures that lock one
// shard at a time and want each lock taken once per batch (dedupe.Window,
// normalize.Sequencer). Shards share nothing, so working through a batch
// shard by shard, each shard's items in batch order, gives the same result
// as working through it in order.
package byshard

// Max is the most items a Grouping orders at once, so that an item's index
// fits a byte.
const Max = 256

// Grouping is a batch's item indexes ordered by shard: a counting sort that
// keeps the batch order within each shard, without allocating.
type Grouping struct {
	first [Max + 1]uint16 // shard k's items are order[first[k]:first[k+1]]
	order [Max]uint8
}

// Group orders the items 0 to len(shardOf)-1 (at most Max) by shardOf[i],
// each below shards (at most Max).
func (g *Grouping) Group(shardOf []uint8, shards int) {
	g.first = [Max + 1]uint16{}
	for _, k := range shardOf {
		g.first[int(k)+1]++
	}
	for k := 1; k <= shards; k++ {
		g.first[k] += g.first[k-1]
	}
	next := g.first
	for i, k := range shardOf {
		g.order[next[k]] = uint8(i)
		next[k]++
	}
}

// Shard returns the indexes of shard k's items, in batch order.
func (g *Grouping) Shard(k int) []uint8 { return g.order[g.first[k]:g.first[k+1]] }
