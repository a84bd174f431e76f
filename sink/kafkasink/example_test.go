package kafkasink_test

import (
	"context"
	"fmt"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink/kafkasink"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func Example() {
	// An in-process cluster stands in for your brokers.
	c, err := kfake.NewCluster(kfake.SeedTopics(6, "odds.normalized"))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	client, err := kgo.NewClient(append(kafkasink.ProducerOpts(), kgo.SeedBrokers(c.ListenAddrs()...))...)
	if err != nil {
		panic(err)
	}
	defer client.Close()

	s := kafkasink.New(client, "odds.normalized")
	p, _ := odds.Parse("-110")
	err = s.Write(context.Background(), []odds.Event{{Provider: "pinnacle", Market: "nfl-2026-00042:h2h", Selection: "home", Price: p}})
	fmt.Println("acknowledged:", err == nil)
	// Output: acknowledged: true
}
