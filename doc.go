// Package oddsflow is an SDK for real-time sports-betting odds pipelines.
//
// A trading team assembles its own pipeline from oddsflow's packages:
//
//	provider (WebSocket / HTTP poll / HTTP push / Kafka / recorded file)
//	  -> collect    raw envelope: provider, bytes, received-at ns; reconnect, backoff, resume
//	  -> normalize  provider schema -> odds.Event (decimal odds, line, market, selection, times)
//	  -> dedupe     sliding window, in memory or Redis
//	  -> sink       batching, retry, dead letters -> Kafka | PostgreSQL/TimescaleDB | Redis | memory | file
//
// Every stage runs the same inside a unit test or a backtest: time is
// injected, nothing is global, and money is exact decimal from the wire to
// the sink (package [github.com/oddsflow/oddsflow/odds]).
//
// # Packages
//
//   - odds: the vocabulary. [odds.Price] (exact decimal odds, every notation
//     feeds send), [odds.Event] (the canonical odds event), overround and fair
//     prices.
//
// Adapters that need a client library (Kafka, PostgreSQL, Redis) are modules
// of their own, so importing the core never adds those clients to your build.
//
// # A first look
//
//	p, err := odds.Parse("-110")      // American, fractional, decimal or "EVENS"
//	if err != nil {
//		return err                    // wraps odds.ErrInvalidOdds
//	}
//	fmt.Println(p, p.Implied())       // 1.9090909091 0.5238095238
//
//	book := []odds.Price{p, p}
//	fair, _ := odds.RemoveMargin(book, odds.Shin)
//	fmt.Println(fair.Prices)          // [2 2]
package oddsflow
