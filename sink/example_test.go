package sink_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
)

func Example() {
	ctx := context.Background()
	store := &sink.Memory{}
	dlq := &sink.Memory{}
	attempts := 0
	flaky := sink.Func(func(ctx context.Context, events []odds.Event) error {
		attempts++
		if attempts == 1 {
			return sink.Retryable(errors.New("connection reset"))
		}
		return store.Write(ctx, events)
	})
	b := sink.NewBatcher(sink.Retry(sink.RetryConfig{DeadLetter: dlq})(flaky), sink.BatcherConfig{Adaptive: true})

	p, _ := odds.Parse("-110")
	for i := range 3 {
		b.Write(ctx, []odds.Event{{Market: "nfl-2026-00042:h2h", Selection: fmt.Sprint(i), Price: p}})
	}
	if err := b.Close(ctx); err != nil {
		panic(err)
	}
	fmt.Println(store.Len(), "delivered,", len(dlq.Letters()), "dead letters")
	// Output: 3 delivered, 0 dead letters
}

func ExampleMulti() {
	ctx := context.Background()
	archive := sink.NewJSONL(os.Stdout)
	cache := &sink.Memory{}
	s := sink.Multi(archive, sink.BestEffort(cache, func(err error) { fmt.Println("cache:", err) }))
	p, _ := odds.Parse("5/2")
	s.Write(ctx, []odds.Event{{Provider: "bet365", Market: "epl-2026-0101:h2h", Selection: "draw", Price: p}})
	sink.Close(ctx, s)
	// Output:
	// {"id":"00000000000000000000000000000000","provider":"bet365","market":"epl-2026-0101:h2h","selection":"draw","side":"back","price":"3.5","status":"open","seq":0,"source_time":0,"received_at":0}
}
