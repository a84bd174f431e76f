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

// A connection's share quotes its games and no other; the shares of n
// connections cover every game once.
func TestSharesSplitTheGames(t *testing.T) {
	const n, of = 200, 3
	quoted := map[int]int{}
	for part := range of {
		g := newGames(n, part, of)
		for i := range g.n {
			game := g.first + g.of*i
			if game >= n || game%of != part {
				t.Fatalf("share %d of %d quotes game %d", part, of, game)
			}
			quoted[game]++
		}
	}
	for game := range n {
		if quoted[game] != 1 {
			t.Fatalf("game %d quoted by %d shares; want 1", game, quoted[game])
		}
	}
	if all := newGames(n, 0, 0); all != (games{0, 1, n}) {
		t.Fatalf("no share asked for: %+v, want every game", all)
	}
}
