// Command kfake runs franz-go's in-process Kafka cluster (kfake, the real
// wire protocol) as a standalone server on loopback, for the reference
// example and scripts/demo.sh. It prints its broker addresses and runs until
// interrupted.
//
//	go run ./examples/kfake -ports 19092,19093,19094 -partitions 6 -topics odds.raw,odds.normalized
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	ports := flag.String("ports", "19092", "comma-separated broker ports")
	partitions := flag.Int("partitions", 6, "partitions of each seeded topic")
	topics := flag.String("topics", "odds.raw,odds.normalized", "comma-separated topics to create")
	flag.Parse()
	var ps []int
	for _, p := range strings.Split(*ports, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			fmt.Fprintln(os.Stderr, "kfake: bad port", p)
			os.Exit(2)
		}
		ps = append(ps, n)
	}
	// kfake keeps each partition's log segment in one in-memory byte slice
	// that doubles as it fills, copying the whole segment under a lock that
	// every request waits on. At Kafka's default of 100 MiB a segment, those
	// copies stalled the reference pipeline for hundreds of milliseconds;
	// 1 MiB segments bound each copy to about a millisecond.
	c, err := kfake.NewCluster(kfake.Ports(ps...), kfake.SeedTopics(int32(*partitions), strings.Split(*topics, ",")...),
		kfake.BrokerConfigs(map[string]string{"log.segment.bytes": strconv.Itoa(1 << 20)}))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake:", err)
		os.Exit(1)
	}
	defer c.Close()
	fmt.Println("kfake listening on", strings.Join(c.ListenAddrs(), ","))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}
