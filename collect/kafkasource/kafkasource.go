// Package kafkasource consumes raw provider messages from Kafka topics in a
// consumer group, with franz-go, as a [collect.Source].
//
// Offsets are committed only for messages the pipeline has acknowledged:
// every envelope carries an Ack, and a partition's offset moves past a
// message only once it and every message before it are acknowledged. A
// crash or a rebalance then redelivers what was not finished (at least
// once, end to end); the events' IDs let the deduper drop the repeats.
//
// [Record] and [Envelope] convert between envelopes and records: the value
// is the payload, untouched, and headers carry the envelope's provider,
// schema, receive time, sequence and token, so a collector in one process
// and a normalizer in another see the same envelope.
package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Header names of a raw record.
const (
	HeaderProvider   = "provider"
	HeaderSchema     = "schema"
	HeaderReceivedAt = "received_at" // Unix nanoseconds, decimal
	HeaderSeq        = "seq"
	HeaderToken      = "token"
)

// Record returns the record for env on topic, keyed by provider, schema and
// stream (when not 0) so that one stream's messages stay on one partition,
// in order, and a source's streams spread over the partitions.
func Record(topic string, env collect.Envelope) *kgo.Record {
	key := env.Provider + "/" + env.Schema
	if env.Stream != 0 {
		key += "/" + strconv.FormatUint(uint64(env.Stream), 10)
	}
	r := &kgo.Record{Topic: topic, Key: []byte(key), Value: env.Payload, Timestamp: env.ReceivedAt}
	r.Headers = append(r.Headers,
		kgo.RecordHeader{Key: HeaderProvider, Value: []byte(env.Provider)},
		kgo.RecordHeader{Key: HeaderSchema, Value: []byte(env.Schema)})
	if !env.ReceivedAt.IsZero() {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderReceivedAt, Value: strconv.AppendInt(nil, env.ReceivedAt.UnixNano(), 10)})
	}
	if env.Seq != 0 {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderSeq, Value: strconv.AppendUint(nil, env.Seq, 10)})
	}
	if env.Token != "" {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderToken, Value: []byte(env.Token)})
	}
	return r
}

// Envelope returns the envelope a record carries. Its stream is the
// record's partition, the unit Kafka keeps in order. Without headers the
// provider is the topic, and the receive time the record's timestamp.
func Envelope(r *kgo.Record) collect.Envelope {
	return decode(r, func(b []byte) string { return string(b) })
}

// decode is Envelope, with the provider and schema names made by name.
func decode(r *kgo.Record, name func([]byte) string) collect.Envelope {
	env := collect.Envelope{Provider: r.Topic, Payload: r.Value, ReceivedAt: r.Timestamp, Stream: uint32(r.Partition)}
	for _, h := range r.Headers {
		switch h.Key {
		case HeaderProvider:
			env.Provider = name(h.Value)
		case HeaderSchema:
			env.Schema = name(h.Value)
		case HeaderReceivedAt:
			if ns, err := strconv.ParseInt(string(h.Value), 10, 64); err == nil {
				env.ReceivedAt = time.Unix(0, ns).UTC()
			}
		case HeaderSeq:
			env.Seq, _ = strconv.ParseUint(string(h.Value), 10, 64)
		case HeaderToken:
			env.Token = string(h.Value)
		}
	}
	return env
}

// ConsumerOpts returns the group options this source needs: offsets are
// committed only when marked (by acknowledgements), and a partition being
// revoked first commits what was acknowledged, so its next owner starts
// right after it.
func ConsumerOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.AutoCommitMarks(),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, _ map[string][]int32) {
			cl.CommitMarkedOffsets(ctx)
		}),
	}
}

// Source reads records from the client's topics. Next must not be called
// concurrently; Ack functions may be called from any goroutine, in any order.
type Source struct {
	client *kgo.Client
	buf    []*kgo.Record
	names  []string // provider and schema names seen, so that each is made once

	mu    sync.Mutex
	parts map[partition]*tracker
	// marks and marked are handed to MarkCommitOffsets, which only reads
	// them: kept, they cost no allocation per acknowledgement.
	marks  map[string]map[int32]kgo.EpochOffset
	marked map[int32]kgo.EpochOffset
}

type partition struct {
	topic string
	part  int32
}

// tracker follows one partition: the records delivered and not yet
// committable, oldest first, and which of them are acknowledged.
type tracker struct {
	offsets []int64 // offsets[head:] are delivered and not yet committable
	acked   []bool  // beside offsets
	head    int     // a moving start, so that committing is not a copy of the rest
	base    uint64  // delivery number of offsets[0]
	last    int64   // offset of the last record delivered
	epoch   int32
}

// New returns a Source over client, which the caller configures (seed
// brokers, ConsumerGroup, ConsumeTopics, and [ConsumerOpts]) and closes.
func New(client *kgo.Client) *Source {
	return &Source{
		client: client,
		parts:  make(map[partition]*tracker),
		marks:  make(map[string]map[int32]kgo.EpochOffset, 1),
		marked: make(map[int32]kgo.EpochOffset, 1),
	}
}

// Next returns the next record's envelope. Its Seq is the record's offset
// plus one (so offset 0 is not "no sequence"), its Token "topic/partition/offset".
func (s *Source) Next(ctx context.Context) (collect.Envelope, error) {
	for len(s.buf) == 0 {
		fs := s.client.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return collect.Envelope{}, err
		}
		if fs.IsClientClosed() {
			return collect.Envelope{}, collect.ErrClosed
		}
		var errs []error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				errs = append(errs, fmt.Errorf("kafkasource: %s/%d: %w", t, p, err))
			}
		})
		if len(errs) > 0 && fs.NumRecords() == 0 {
			return collect.Envelope{}, errors.Join(errs...)
		}
		s.buf = fs.Records()
	}
	r := s.buf[0]
	s.buf[0] = nil
	s.buf = s.buf[1:]
	return s.envelope(r), nil
}

// envelope tracks r as delivered and returns its envelope.
func (s *Source) envelope(r *kgo.Record) collect.Envelope {
	k := partition{r.Topic, r.Partition}
	t, n := s.delivered(k, r)
	env := decode(r, s.name)
	if env.Seq == 0 {
		env.Seq = uint64(r.Offset) + 1
	}
	var token [64]byte
	b := append(token[:0], r.Topic...)
	b = strconv.AppendInt(append(b, '/'), int64(r.Partition), 10)
	b = strconv.AppendInt(append(b, '/'), r.Offset, 10)
	env.Token = string(b)
	env.Ack = func() { s.ack(k, t, n) }
	return env
}

// maxNames bounds the names a Source remembers; a topic that carries more
// providers and schemas than this just allocates the rest.
const maxNames = 32

// name returns b as a string, made once for each name a topic carries.
func (s *Source) name(b []byte) string {
	for _, n := range s.names {
		if n == string(b) {
			return n
		}
	}
	n := string(b)
	if len(s.names) < maxNames {
		s.names = append(s.names, n)
	}
	return n
}

// delivered records r as delivered on partition k and returns its tracker
// and its delivery number there.
func (s *Source) delivered(k partition, r *kgo.Record) (*tracker, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.parts[k]
	if t == nil || r.Offset <= t.last {
		// New, or rewound: the partition was given back and is read again
		// from its last commit. What was pending will be delivered again,
		// and acknowledgements of the earlier deliveries no longer count.
		t = &tracker{}
		s.parts[k] = t
	}
	t.epoch = r.LeaderEpoch
	t.last = r.Offset
	t.offsets = append(t.offsets, r.Offset)
	t.acked = append(t.acked, false)
	return t, t.base + uint64(len(t.offsets)-1)
}

// ack marks delivery n of partition k done and moves the partition's commit
// mark past every acknowledged record with nothing unacknowledged before it.
func (s *Source) ack(k partition, t *tracker, n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := int(n - t.base)
	if s.parts[k] != t || n < t.base || i < t.head {
		return // the partition was read again since, or this was acknowledged before
	}
	t.acked[i] = true
	j := t.head
	for j < len(t.offsets) && t.acked[j] {
		j++
	}
	if j == t.head {
		return
	}
	mark := t.offsets[j-1] + 1
	t.head = j
	if t.head > len(t.offsets)/2 { // compact now and then: amortized, not per ack
		t.offsets = t.offsets[:copy(t.offsets, t.offsets[t.head:])]
		t.acked = t.acked[:copy(t.acked, t.acked[t.head:])]
		t.base += uint64(t.head)
		t.head = 0
	}
	clear(s.marked)
	s.marked[k.part] = kgo.EpochOffset{Epoch: t.epoch, Offset: mark}
	clear(s.marks)
	s.marks[k.topic] = s.marked
	s.client.MarkCommitOffsets(s.marks)
}

// Commit commits the acknowledged offsets now (the client also does so on
// its autocommit interval and before giving a partition up).
func (s *Source) Commit(ctx context.Context) error {
	return s.client.CommitMarkedOffsets(ctx)
}
