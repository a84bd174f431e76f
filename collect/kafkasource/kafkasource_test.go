package kafkasource

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/oddsflow/oddsflow/collect"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func cluster(t *testing.T) *kfake.Cluster {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "odds.raw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func envelopes(n int) []collect.Envelope {
	out := make([]collect.Envelope, n)
	for i := range out {
		out[i] = collect.Envelope{Provider: fmt.Sprintf("feed%d", i%5), Schema: "v1", Payload: []byte(fmt.Sprintf(`{"n":%d}`, i)),
			ReceivedAt: time.Unix(1795000000, int64(i)).UTC(), Token: fmt.Sprint("clk", i), Seq: uint64(i + 1)}
	}
	return out
}

func produce(t *testing.T, c *kfake.Cluster, envs []collect.Envelope) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for _, e := range envs {
		recs = append(recs, Record("odds.raw", e))
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func consumer(t *testing.T, c *kfake.Cluster) *kgo.Client {
	cl, err := kgo.NewClient(append(ConsumerOpts(), kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup("normalizers"),
		kgo.ConsumeTopics("odds.raw"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestEnvelopesSurviveKafka(t *testing.T) {
	c := cluster(t)
	in := envelopes(100)
	produce(t, c, in)
	cl := consumer(t, c)
	defer cl.Close()
	src := New(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []collect.Envelope
	for range in {
		env, err := src.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		env.Ack()
		env.Ack = nil
		got = append(got, env)
	}
	less := func(a, b collect.Envelope) bool { return a.Seq < b.Seq }
	if diff := cmp.Diff(in, got, cmpopts.SortSlices(less), cmpopts.IgnoreFields(collect.Envelope{}, "Token", "Stream")); diff != "" {
		t.Errorf("envelopes changed through Kafka (-in +out):\n%s", diff)
	}
	// The stream is the partition: one feed's envelopes share it, and the
	// feeds spread over several.
	streamOf := map[string]uint32{}
	streams := map[uint32]bool{}
	for _, env := range got {
		if s, ok := streamOf[env.Provider]; ok && s != env.Stream {
			t.Errorf("%s arrived on streams %d and %d", env.Provider, s, env.Stream)
		}
		streamOf[env.Provider] = env.Stream
		streams[env.Stream] = true
	}
	if len(streams) < 2 {
		t.Errorf("all feeds on streams %v; want them spread over the partitions", streams)
	}
	if err := src.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	committed := cl.CommittedOffsets()["odds.raw"]
	total := int64(0)
	for p, eo := range committed {
		if hw := c.PartitionInfo("odds.raw", p).HighWatermark; eo.Offset != hw {
			t.Errorf("partition %d committed %d, high watermark %d", p, eo.Offset, hw)
		}
		total += eo.Offset
	}
	if total != 100 {
		t.Errorf("committed %d offsets in all, want 100", total)
	}
}

// Acknowledged out of order and only in part: a new consumer in the group
// gets exactly what had an unacknowledged message at or before it, and
// nothing of the acknowledged prefix.
func TestAtLeastOnce(t *testing.T) {
	c := cluster(t)
	in := envelopes(300)
	produce(t, c, in)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	cl := consumer(t, c)
	src := New(cl)
	var got []collect.Envelope
	for range in {
		env, err := src.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, env)
	}
	// Acknowledge in reverse, skipping every 37th message.
	for i := len(got) - 1; i >= 0; i-- {
		if i%37 != 5 {
			got[i].Ack()
		}
	}
	if err := src.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	// Per partition: everything from the first unacknowledged message on is owed again.
	owed := map[string]bool{}
	firstUnacked := map[int32]int{}
	for i, env := range got {
		var part int32
		var off int64
		fmt.Sscanf(env.Token, "odds.raw/%d/%d", &part, &off)
		if _, ok := firstUnacked[part]; !ok && i%37 == 5 {
			firstUnacked[part] = int(off)
		}
	}
	for _, env := range got {
		var part int32
		var off int64
		fmt.Sscanf(env.Token, "odds.raw/%d/%d", &part, &off)
		if f, ok := firstUnacked[part]; ok && int(off) >= f {
			owed[env.Token] = true
		}
	}
	cl2 := consumer(t, c)
	defer cl2.Close()
	src2 := New(cl2)
	for range len(owed) {
		env, err := src2.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !owed[env.Token] {
			t.Fatalf("redelivered %s, which was acknowledged with everything before it", env.Token)
		}
		delete(owed, env.Token)
	}
	if len(owed) != 0 {
		t.Fatalf("%d messages were never redelivered", len(owed))
	}
}

// The commit mark follows the acknowledged prefix of each partition: a
// second acknowledgement changes nothing, and once a partition is read
// again from an earlier offset (it was given back and reassigned), the
// earlier deliveries' acknowledgements no longer move it.
func TestMarkFollowsAcknowledgedPrefix(t *testing.T) {
	c := cluster(t)
	cl := consumer(t, c)
	defer cl.Close()
	src := New(cl)
	deliver := func(part int32, off int64) func() {
		return src.envelope(&kgo.Record{Topic: "odds.raw", Partition: part, Offset: off}).Ack
	}
	// wantMark checks partition part's mark after what was done (-1: none).
	wantMark := func(part int32, want int64, after string) {
		t.Helper()
		got := int64(-1)
		if eo, ok := cl.MarkedOffsets()["odds.raw"][part]; ok {
			got = eo.Offset
		}
		if got != want {
			t.Fatalf("partition %d mark %d after %s; want %d", part, got, after, want)
		}
	}
	var first []func()
	for off := range int64(6) {
		first = append(first, deliver(0, off))
	}
	other := deliver(1, 0)
	first[1]()
	wantMark(0, -1, "acknowledging offset 1 alone")
	first[0]()
	first[0]()
	wantMark(0, 2, "acknowledging offsets 0 and 1, 0 twice")
	other()
	wantMark(1, 1, "acknowledging its offset 0")
	// Partition 0 is read again from offset 2.
	again := deliver(0, 2)
	first[2]()
	first[3]()
	wantMark(0, 2, "acknowledging superseded deliveries")
	again()
	wantMark(0, 3, "acknowledging the new delivery of offset 2")
}

func FuzzEnvelope(f *testing.F) {
	f.Add("odds.raw", []byte(`{"a":1}`), "betfair", "mcm", "1795000000000000000", "42", "clk")
	f.Add("t", []byte{}, "", "", "x", "-1", "")
	f.Fuzz(func(t *testing.T, topic string, value []byte, provider, schema, recv, seq, token string) {
		r := &kgo.Record{Topic: topic, Value: value, Headers: []kgo.RecordHeader{
			{Key: HeaderProvider, Value: []byte(provider)}, {Key: HeaderSchema, Value: []byte(schema)},
			{Key: HeaderReceivedAt, Value: []byte(recv)}, {Key: HeaderSeq, Value: []byte(seq)}, {Key: HeaderToken, Value: []byte(token)}}}
		env := Envelope(r)
		if env.Provider != provider || env.Schema != schema || env.Token != token || string(env.Payload) != string(value) {
			t.Fatalf("envelope %+v", env)
		}
		// An envelope written as a record reads back the same.
		back := Envelope(Record(topic, env))
		if back.Provider != env.Provider || back.Seq != env.Seq || !back.ReceivedAt.Equal(env.ReceivedAt) && !env.ReceivedAt.IsZero() {
			t.Fatalf("round trip %+v -> %+v", env, back)
		}
	})
}

// BenchmarkDeliverAck measures the source's own work per record: the
// envelope, the tracking, and an acknowledgement that moves the commit mark,
// acknowledged in batches of 128 as the pipeline does.
func BenchmarkDeliverAck(b *testing.B) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, "odds.raw"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(append(ConsumerOpts(), kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup("bench"),
		kgo.ConsumeTopics("odds.raw"))...)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	src := New(cl)
	env := envelopes(1)[0]
	recs := make([]*kgo.Record, 6*128)
	for i := range recs {
		recs[i] = Record("odds.raw", env)
		recs[i].Partition = int32(i % 6)
	}
	acks := make([]func(), 0, 128)
	b.ReportAllocs()
	off := int64(0)
	for b.Loop() {
		r := recs[len(acks)%len(recs)]
		r.Offset = off
		if r.Partition == 5 {
			off++
		}
		acks = append(acks, src.envelope(r).Ack)
		if len(acks) == cap(acks) {
			for _, ack := range acks {
				ack()
			}
			acks = acks[:0]
		}
	}
}
