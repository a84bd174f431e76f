package sinktest_test

import (
	"bufio"
	"bytes"
	"context"
	"testing"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink"
	"github.com/oddsflow/oddsflow/sink/sinktest"
)

func TestMemory(t *testing.T) {
	sinktest.Run(t, sinktest.Harness{
		New:  func(t *testing.T) sink.Sink { return &sink.Memory{} },
		Read: func(t *testing.T, s sink.Sink) []odds.Event { return s.(*sink.Memory).Events() },
	})
}

// batched is a Batcher in front of a Memory, reading the Memory.
type batched struct {
	*sink.Batcher
	mem *sink.Memory
}

func TestBatcherRetryMemory(t *testing.T) {
	sinktest.Run(t, sinktest.Harness{
		New: func(t *testing.T) sink.Sink {
			mem := &sink.Memory{}
			b := sink.NewBatcher(sink.Retry(sink.RetryConfig{})(mem), sink.BatcherConfig{MaxEvents: 64, Adaptive: true})
			t.Cleanup(func() { b.Close(context.Background()) })
			return batched{b, mem}
		},
		Read: func(t *testing.T, s sink.Sink) []odds.Event { return s.(batched).mem.Events() },
	})
}

type jsonlFile struct {
	*sink.JSONL
	buf *bytes.Buffer
}

func TestJSONL(t *testing.T) {
	sinktest.Run(t, sinktest.Harness{
		New: func(t *testing.T) sink.Sink {
			var buf bytes.Buffer
			return jsonlFile{sink.NewJSONL(&buf), &buf}
		},
		Read: func(t *testing.T, s sink.Sink) []odds.Event {
			var out []odds.Event
			sc := bufio.NewScanner(bytes.NewReader(s.(jsonlFile).buf.Bytes()))
			for sc.Scan() {
				var e odds.Event
				if err := e.UnmarshalJSON(sc.Bytes()); err != nil {
					t.Fatal(err)
				}
				out = append(out, e)
			}
			return out
		},
	})
}
