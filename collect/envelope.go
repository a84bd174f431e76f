package collect

import (
	"context"
	"io"
	"time"
)

// Envelope is one raw provider message and what the collector knows of it.
// Collectors fill it; normalizers read it and must not modify Payload.
type Envelope struct {
	// Provider names the source, such as "betfair". Normalizers are chosen by
	// Provider and Schema.
	Provider string

	// Schema names the message format or stream, such as "mcm" or "v4", so
	// that one provider can send several.
	Schema string

	// Stream tells apart the ordered streams of one provider and schema,
	// such as the partitions of a Kafka topic: a pipeline keeps each stream
	// in order on one worker and may run different streams in parallel.
	// 0 for a source that is one stream.
	Stream uint32

	// Payload is the message exactly as received: no trimming, no decoding.
	Payload []byte

	// ReceivedAt is when the message reached the collector, from the
	// collector's injected clock, to the nanosecond.
	ReceivedAt time.Time

	// Seq is the provider's sequence number or offset for this message, when
	// it numbers its messages; 0 when it does not.
	Seq uint64

	// Token is the provider's resume token after this message (Betfair clk,
	// Pinnacle since, a Kafka offset as text); "" when it has none.
	Token string

	// Gap is how many messages the provider numbered before this one that
	// never arrived, by Seq. A nonzero Gap means data was lost upstream.
	Gap uint64

	// Ack, when set, tells the collector that the message has been fully
	// handled downstream, so it may commit its position (Kafka offsets).
	// Call it once, after the sink has acknowledged the events.
	Ack func()

	// Release, when set, gives Payload's memory back to the collector, which
	// reads later messages into it. Call it at most once, when nothing will
	// read Payload again: after normalizing, with a copy made of anything
	// kept, such as a dead letter. Not calling it is always safe: the memory
	// is then the garbage collector's to free. A pipeline releases every
	// envelope, so that a busy feed's payloads cost no allocation and no
	// collection.
	Release func()
}

// Source is a stream of envelopes.
type Source interface {
	// Next blocks until a message arrives, ctx is done, or the feed ends.
	// At the end of a finite feed it returns io.EOF. After a non-nil error
	// other than one from a closed ctx, the Source may not be used again.
	Next(ctx context.Context) (Envelope, error)
}

// SourceFunc adapts a function to [Source].
type SourceFunc func(ctx context.Context) (Envelope, error)

// Next calls f(ctx).
func (f SourceFunc) Next(ctx context.Context) (Envelope, error) { return f(ctx) }

// Slice returns a Source that yields envs in order, then io.EOF. It is for
// tests and backtests.
func Slice(envs ...Envelope) Source {
	i := 0
	return SourceFunc(func(ctx context.Context) (Envelope, error) {
		if err := ctx.Err(); err != nil {
			return Envelope{}, err
		}
		if i == len(envs) {
			return Envelope{}, io.EOF
		}
		i++
		return envs[i-1], nil
	})
}
