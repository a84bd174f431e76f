// Package kafkasink writes canonical odds events to a Kafka topic with
// franz-go, one record per event.
//
// The record key is the event's market, so one market stays on one
// partition and in order. The value is the event's canonical JSON
// ([odds.Event.AppendJSON]: fixed field order, prices and lines as exact
// decimal strings, times in Unix nanoseconds), and the header
// "schema_version" carries [odds.EncodingVersion]. JSON because every
// consumer on every stack reads it without a schema registry, the decimals
// stay exact as strings, and lz4 takes most of its size back on the wire; the
// version header lets a later binary encoding live beside it.
//
// Write returns only when the brokers have acknowledged every record. The
// client is the caller's; configure it with [ProducerOpts] (acks from all
// in-sync replicas, the idempotent producer, lz4).
package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// SchemaVersionHeader is the record header that carries the value's encoding version.
const SchemaVersionHeader = "schema_version"

// ProducerOpts returns the client options this sink is meant for: acks from
// all in-sync replicas and the idempotent producer (franz-go's defaults,
// stated so that no other option turns them off unseen), and lz4 compression.
func ProducerOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.Lz4Compression(), kgo.NoCompression()),
	}
}

// Sink writes events to one topic. It is safe for concurrent use.
type Sink struct {
	client  *kgo.Client
	topic   string
	version []byte
	scratch sync.Pool // *batch
}

var _ sink.Sink = (*Sink)(nil)

type batch struct {
	records []kgo.Record
	ptrs    []*kgo.Record
	buf     []byte
}

// New returns a Sink producing to topic through client, which the caller
// configures and closes.
func New(client *kgo.Client, topic string) *Sink {
	return &Sink{client: client, topic: topic, version: []byte(strconv.Itoa(odds.EncodingVersion))}
}

// Write produces one record per event and waits for every acknowledgement.
// Errors a retry can fix are marked [sink.Retryable]; a missing topic (after
// the client's own retries) and a record too large are permanent.
func (s *Sink) Write(ctx context.Context, events []odds.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b, _ := s.scratch.Get().(*batch)
	if b == nil {
		b = &batch{}
	}
	defer s.scratch.Put(b)
	b.buf = b.buf[:0]
	ends := make([]int, len(events)) // value boundaries in buf, which may move while it grows
	for i := range events {
		b.buf = events[i].AppendJSON(b.buf)
		ends[i] = len(b.buf)
	}
	if cap(b.records) < len(events) {
		b.records = make([]kgo.Record, len(events))
		b.ptrs = make([]*kgo.Record, len(events))
	}
	recs, ptrs := b.records[:len(events)], b.ptrs[:len(events)]
	headers := []kgo.RecordHeader{{Key: SchemaVersionHeader, Value: s.version}}
	start := 0
	for i := range events {
		recs[i] = kgo.Record{
			Topic:     s.topic,
			Key:       []byte(events[i].Market),
			Value:     b.buf[start:ends[i]:ends[i]],
			Headers:   headers,
			Timestamp: events[i].ReceivedAt,
		}
		ptrs[i] = &recs[i]
		start = ends[i]
	}
	err := s.client.ProduceSync(ctx, ptrs...).FirstErr()
	clear(recs)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("kafkasink: producing %d records to %s: %w", len(events), s.topic, err)
	switch {
	case ctx.Err() != nil:
		return err
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID),
		errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge),
		errors.Is(err, kerr.TopicAuthorizationFailed):
		return err // permanent: a retry meets the same answer
	default:
		return sink.Retryable(err)
	}
}

// Flush waits for records produced by anyone on the client.
func (s *Sink) Flush(ctx context.Context) error { return s.client.Flush(ctx) }
