package kafkasink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/internal/testenv"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/oddsflow/oddsflow/sink/sinktest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// cluster starts an in-process Kafka cluster (franz-go's kfake, speaking the
// real wire protocol) with the given topics.
func cluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func producer(t testing.TB, c *kfake.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, ProducerOpts()...), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consume reads every record of topic from the start, until it has read the
// topic's end as it stood when called.
func consume(t testing.TB, c *kfake.Cluster, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	want := int64(0)
	for _, p := range c.PartitionInfos(topic) {
		want += p.HighWatermark
	}
	var out []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records: %v", len(out), want, err)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

type harness struct {
	*Sink
	cluster *kfake.Cluster
	topic   string
}

func TestConformance(t *testing.T) {
	c := cluster(t, kfake.DefaultNumPartitions(4), kfake.AllowAutoTopicCreation())
	cl := producer(t, c)
	n := 0
	sinktest.Run(t, sinktest.Harness{
		New: func(t *testing.T) sink.Sink {
			n++
			topic := fmt.Sprintf("odds.normalized.%d", n)
			if err := c.CreateTopic(topic, 4, nil); err != nil {
				t.Fatal(err)
			}
			return harness{New(cl, topic), c, topic}
		},
		Read: func(t *testing.T, s sink.Sink) []odds.Event {
			h := s.(harness)
			var out []odds.Event
			for _, r := range consume(t, h.cluster, h.topic) {
				var e odds.Event
				if err := e.UnmarshalJSON(r.Value); err != nil {
					t.Fatal(err)
				}
				if string(r.Key) != e.Market {
					t.Fatalf("record key %q, market %q", r.Key, e.Market)
				}
				if len(r.Headers) != 1 || r.Headers[0].Key != SchemaVersionHeader || string(r.Headers[0].Value) != "1" {
					t.Fatalf("headers %v", r.Headers)
				}
				out = append(out, e)
			}
			return out
		},
	})
}

// One market, one partition: the key keeps a market's records together.
func TestMarketKeepsItsPartition(t *testing.T) {
	c := cluster(t, kfake.SeedTopics(6, "odds"))
	s := New(producer(t, c), "odds")
	evs := sinktest.Events(0, 600, 12)
	if err := s.Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	parts := map[string]int32{}
	used := map[int32]bool{}
	for _, r := range consume(t, c, "odds") {
		if p, ok := parts[string(r.Key)]; ok && p != r.Partition {
			t.Fatalf("market %s on partitions %d and %d", r.Key, p, r.Partition)
		}
		parts[string(r.Key)] = r.Partition
		used[r.Partition] = true
	}
	if len(parts) != 12 || len(used) < 2 {
		t.Errorf("%d markets over %d partitions", len(parts), len(used))
	}
}

// A topic that does not exist, with auto-creation off, is a permanent
// failure: Retry sends the events to the dead letters with the reason.
func TestMissingTopicGoesToDeadLetters(t *testing.T) {
	c := cluster(t) // auto-creation is off
	cl := producer(t, c, kgo.UnknownTopicRetries(1))
	dlq := &sink.Memory{}
	s := sink.Retry(sink.RetryConfig{DeadLetter: dlq})(New(cl, "no.such.topic"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Write(ctx, sinktest.Events(0, 3, 1)); err != nil {
		t.Fatalf("Write: %v (want the events dead-lettered, and no error)", err)
	}
	letters := dlq.Letters()
	if len(letters) != 1 || len(letters[0].Events) != 3 || !strings.Contains(letters[0].Reason, "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Fatalf("letters: %+v", letters)
	}
	if sink.IsRetryable(letters[0].Err) {
		t.Error("a missing topic was marked retryable")
	}
}

// kcat, an independent client written in C on librdkafka, reads the records
// back: the bytes are plain Kafka, readable by anyone.
func TestReadableByKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		testenv.Unavailable(t, "kcat is not installed")
	}
	c := cluster(t, kfake.SeedTopics(1, "odds"))
	in := sinktest.Events(0, 20, 3)
	if err := New(producer(t, c), "odds").Write(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-b", c.ListenAddrs()[0], "-t", "odds", "-C", "-o", "beginning", "-e", "-q",
		"-f", "%k\t%h\t%s\n")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(in) {
		t.Fatalf("kcat read %d records, want %d:\n%s", len(lines), len(in), out.String())
	}
	for i, l := range lines {
		parts := strings.SplitN(l, "\t", 3)
		var e odds.Event
		if len(parts) != 3 || e.UnmarshalJSON([]byte(parts[2])) != nil {
			t.Fatalf("kcat line %d: %q", i, l)
		}
		if parts[0] != in[i].Market || parts[1] != "schema_version=1" || e.ID != in[i].ID || !e.Price.Equal(in[i].Price) {
			t.Fatalf("kcat line %d: %q, want market %s id %s", i, l, in[i].Market, in[i].ID)
		}
	}
}

func TestCanceled(t *testing.T) {
	c := cluster(t, kfake.SeedTopics(1, "odds"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New(producer(t, c), "odds").Write(ctx, sinktest.Events(0, 1, 1))
	if !errors.Is(err, context.Canceled) || sink.IsRetryable(err) {
		t.Errorf("error %v", err)
	}
}

// BenchmarkWrite compares kafkasink with raw kgo producing the same bytes
// (pre-encoded values, same keys and header) to the same kfake cluster, in
// batches of 1000.
func BenchmarkWrite(b *testing.B) {
	c := cluster(b, kfake.SeedTopics(6, "odds"))
	cl := producer(b, c)
	evs := sinktest.Events(0, 1000, 500)
	b.Run("kafkasink", func(b *testing.B) {
		s := New(cl, "odds")
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Write(context.Background(), evs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("raw-kgo", func(b *testing.B) {
		recs := make([]*kgo.Record, len(evs))
		for i := range evs {
			recs[i] = &kgo.Record{Topic: "odds", Key: []byte(evs[i].Market), Value: evs[i].AppendJSON(nil),
				Headers: []kgo.RecordHeader{{Key: SchemaVersionHeader, Value: []byte("1")}}}
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
	})
}
