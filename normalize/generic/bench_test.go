package generic

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/odds"
)

// benchFeed returns messages in the outcome-list shape: the peer's generated
// feed when python3 is at hand, else the golden inputs repeated.
func benchFeed(b *testing.B) [][]byte {
	b.Helper()
	path := filepath.Join(b.TempDir(), "feed.jsonl")
	gen := exec.Command("python3", "../../scripts/peer/gen_feed.py", "20000", path)
	var data []byte
	if err := gen.Run(); err == nil {
		data, _ = os.ReadFile(path)
	} else {
		data, _ = os.ReadFile("testdata/outcomes.input")
	}
	var msgs [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		msgs = append(msgs, bytes.Clone(sc.Bytes()))
	}
	return msgs
}

func BenchmarkOutcomes(b *testing.B) {
	msgs := benchFeed(b)
	n := NewOutcomes(Config{})
	dst := make([]odds.Event, 0, 16)
	for _, m := range msgs { // warm the tables, as a running pipeline has
		n.Normalize(dst[:0], collect.Envelope{Payload: m})
	}
	b.ReportAllocs()
	b.ResetTimer()
	events, i := 0, 0
	for b.Loop() {
		out, _ := n.Normalize(dst[:0], collect.Envelope{Payload: msgs[i%len(msgs)]})
		events += len(out)
		i++
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
