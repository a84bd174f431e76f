package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/odds"
)

// The quickstart runs end to end: every message sent is received, every
// event normalized is written or counted as a duplicate or late, malformed
// messages are dead letters, and the file holds exactly the events written.
func TestQuickstart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "events.jsonl")
	var report bytes.Buffer
	res, err := run(context.Background(), options{duration: 1500 * time.Millisecond, rate: 4000, markets: 90, streams: 2, out: out, quiet: true}, &report)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v\n%s", res, report.String())
	s := res.Stats
	if s.Envelopes != uint64(res.Sent) {
		t.Errorf("%d messages sent, %d received", res.Sent, s.Envelopes)
	}
	if s.Envelopes == 0 || s.Events != s.Written+s.Duplicates+s.Late+s.DroppedByQuality {
		t.Fatalf("counts do not add up: %+v", s)
	}
	if s.Late != 0 {
		t.Errorf("%d updates dropped as late: the two connections' shares of the games overlap", s.Late)
	}
	if s.Duplicates == 0 || s.DeadLetters == 0 || uint64(res.Letters) != s.DeadLetters {
		t.Errorf("the simulated feed's re-sends and malformed messages were not all caught: %+v, %d letters", s, res.Letters)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines++
	}
	if uint64(lines) != s.Written {
		t.Errorf("file has %d lines, %d events written", lines, s.Written)
	}
	if res.Selections == 0 || !strings.Contains(report.String(), "latency p99") {
		t.Errorf("report:\n%s", report.String())
	}
}

// The hot cache keeps the latest event of each selection through its
// table's growth.
func TestHotCacheKeepsLatest(t *testing.T) {
	c := newHotCache()
	const markets = 3000
	for round := range 3 {
		var batch []odds.Event
		for m := range markets {
			for _, sel := range []string{"home", "away"} {
				batch = append(batch, odds.Event{Provider: "p", Market: fmt.Sprintf("m%d", m), Selection: sel, Seq: uint64(round)})
			}
		}
		if err := c.Write(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2*markets {
		t.Fatalf("%d selections cached, want %d", c.Len(), 2*markets)
	}
	for _, e := range c.latest {
		if e.Seq != 2 {
			t.Fatalf("%s %s: seq %d cached, want the latest, 2", e.Market, e.Selection, e.Seq)
		}
	}
}
