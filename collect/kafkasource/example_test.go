package kafkasource_test

import (
	"context"
	"fmt"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/collect/kafkasource"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func Example() {
	c, _ := kfake.NewCluster(kfake.SeedTopics(6, "odds.raw"))
	defer c.Close()

	// A collector process publishes what it received...
	producer, _ := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	defer producer.Close()
	env := collect.Envelope{Provider: "betfair", Schema: "mcm", Payload: []byte(`{"op":"mcm","clk":"AAA"}`), ReceivedAt: time.Unix(1795000000, 0)}
	producer.ProduceSync(context.Background(), kafkasource.Record("odds.raw", env))

	// ...and a normalizer process, one of a consumer group, reads it back.
	client, _ := kgo.NewClient(append(kafkasource.ConsumerOpts(),
		kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup("normalizers"), kgo.ConsumeTopics("odds.raw"))...)
	defer client.Close()
	src := kafkasource.New(client)
	got, err := src.Next(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Provider, got.Schema, string(got.Payload), got.ReceivedAt.Unix())
	got.Ack() // after the sink has the events: now the offset may be committed
	// Output: betfair mcm {"op":"mcm","clk":"AAA"} 1795000000
}
