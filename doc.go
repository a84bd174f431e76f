// Package oddsflow is an SDK for real-time sports-betting odds pipelines.
//
// A trading team assembles its own pipeline from oddsflow's packages:
//
//	provider (WebSocket / HTTP poll / HTTP push / TCP stream / Kafka / recorded file)
//	  -> collect    raw envelope: provider, bytes, received-at ns; reconnect, backoff, resume
//	  -> normalize  provider schema -> odds.Event (decimal odds, line, market, selection, times)
//	  -> dedupe     sliding window, in memory or Redis
//	  -> sink       batching, retry, dead letters -> Kafka | PostgreSQL/TimescaleDB | Redis | memory | file
//
// Every stage runs the same inside a unit test or a backtest: time is
// injected, nothing is global, and money is exact decimal from the wire to
// the sink.
//
// # Packages
//
//   - [github.com/oddsflow/oddsflow/odds]: prices in every notation, the
//     canonical event, overround and fair prices.
//   - [github.com/oddsflow/oddsflow/collect]: sources of raw envelopes, with
//     reconnection, resume and record/replay.
//   - [github.com/oddsflow/oddsflow/normalize]: normalizers (generic, oddsapi,
//     betfair), ordering and quality checks.
//   - [github.com/oddsflow/oddsflow/dedupe]: the sliding-window deduplicator.
//   - [github.com/oddsflow/oddsflow/sink]: the sink contract, batching,
//     retries, dead letters.
//
// Adapters that need a client library (Kafka, PostgreSQL, Redis) are modules
// of their own, so importing the core never adds those clients to your build.
//
// # A pipeline
//
// [Pipeline] assembles the stages; Run returns when the source ends or ctx
// does, after delivering everything it read:
//
//	var reg normalize.Registry
//	reg.Register("feedx", "", generic.NewOutcomes(generic.Config{}))
//	archive := sink.NewJSONL(file)
//	p, err := oddsflow.New(oddsflow.Config{
//		Source: collect.NewWebSocket(collect.WebSocketConfig{
//			URL: "wss://feed.example/odds", Provider: "feedx",
//			Handshake: subscribe, // resubscribes from the last position on every reconnect
//		}),
//		Normalizer: &reg,
//		Sequencer:  &normalize.Sequencer{},
//		Deduper:    dedupe.NewWindow(dedupe.WindowConfig{Window: 10 * time.Minute}),
//		Sink:       sink.NewBatcher(sink.Retry(sink.RetryConfig{DeadLetter: dlq})(archive), sink.BatcherConfig{Adaptive: true}),
//		DeadLetter: dlq,
//	})
//	if err != nil {
//		return err
//	}
//	if err := p.Run(ctx); err != nil {
//		return err
//	}
//	fmt.Printf("%+v\n", p.Stats()) // events in = written + duplicates + late + dropped
package oddsflow
