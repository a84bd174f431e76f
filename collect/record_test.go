package collect_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize/betfair"
)

var t0 = time.Unix(1795000000, 0).UTC()

func envs() []collect.Envelope {
	return []collect.Envelope{
		{Provider: "feed", Schema: "v1", Payload: []byte(`{"seq":1}`), ReceivedAt: t0.Add(1), Seq: 1, Token: "1"},
		{Provider: "feed", Schema: "v1", Payload: []byte("line with\nnewline, \"quotes\", é and \x00"), ReceivedAt: t0.Add(2 * time.Millisecond), Seq: 2, Gap: 3, Stream: 4},
		{Provider: "bin", Payload: []byte{0xff, 0xfe, 0x00, 0x1f, 0x8b}, ReceivedAt: t0.Add(3 * time.Second)},
	}
}

func record(t *testing.T, path string, in []collect.Envelope, compress bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := collect.NewRecorder(collect.Slice(in...), f, compress)
	for {
		_, err := rec.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
}

func replayAll(t *testing.T, cfg collect.ReplayConfig, paths ...string) []collect.Envelope {
	t.Helper()
	r, err := collect.Replay(cfg, paths...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []collect.Envelope
	for {
		env, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, env)
	}
}

// Bytes come back exactly, text or binary, plain or gzip.
func TestRecordReplayExact(t *testing.T) {
	for _, compress := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "feed.jsonl")
		record(t, path, envs(), compress)
		raw, _ := os.ReadFile(path)
		if gz := len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b; gz != compress {
			t.Fatalf("compress=%v but gzip magic=%v", compress, gz)
		}
		got := replayAll(t, collect.ReplayConfig{}, path)
		if diff := cmp.Diff(envs(), got); diff != "" {
			t.Errorf("compress=%v: replay differs (-recorded +replayed):\n%s", compress, diff)
		}
	}
}

// Several files merge by receive time; ties go to the earlier file; the
// result is the same every time.
func TestReplayMerge(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mk := func(p string, ms ...int) []collect.Envelope {
		var out []collect.Envelope
		for _, m := range ms {
			out = append(out, collect.Envelope{Provider: p, Payload: []byte(fmt.Sprint(m)), ReceivedAt: t0.Add(time.Duration(m) * time.Millisecond)})
		}
		return out
	}
	record(t, a, mk("a", 1, 3, 3, 7), false)
	record(t, b, mk("b", 2, 3, 8), true)
	var order []string
	for _, e := range replayAll(t, collect.ReplayConfig{}, a, b) {
		order = append(order, e.Provider+string(e.Payload))
	}
	if got := fmt.Sprint(order); got != "[a1 b2 a3 a3 b3 a7 b8]" {
		t.Errorf("merged order %s", got)
	}
}

// A Betfair historical file (one raw stream message per line) replays as
// is, placed in time by its "pt", and normalizes.
func TestReplayBetfairHistorical(t *testing.T) {
	path := "../normalize/betfair/testdata/historicaldata/BASIC-1.132153978"
	got := replayAll(t, collect.ReplayConfig{Provider: betfair.Provider, Schema: "mcm"}, path)
	if len(got) != 480 {
		t.Fatalf("%d envelopes, want 480", len(got))
	}
	n := betfair.New()
	for i, env := range got {
		if env.ReceivedAt.IsZero() || (i > 0 && env.ReceivedAt.Before(got[i-1].ReceivedAt)) {
			t.Fatalf("line %d: time %v out of order", i, env.ReceivedAt)
		}
		if _, err := n.Normalize(nil, env); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
	}
	if _, clk := n.Clocks(); clk != "3522512789" {
		t.Errorf("clk after replay %q", clk)
	}
}

// Paced replay keeps the recorded gaps, divided by the speed, on the
// (here simulated) clock.
func TestReplayPaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feed.jsonl")
	record(t, path, envs(), false)
	synctest.Test(t, func(t *testing.T) {
		r, err := collect.Replay(collect.ReplayConfig{Speed: 10}, path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		start := time.Now()
		var at []time.Duration
		for {
			_, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			at = append(at, time.Since(start))
		}
		want := []time.Duration{0, (2*time.Millisecond - 1) / 10, (3*time.Second - 1) / 10}
		if fmt.Sprint(at) != fmt.Sprint(want) {
			t.Errorf("delivered at %v, want %v", at, want)
		}
	})
}

func TestReplayBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("{\"payload\":\"ok\",\"received_at\":1}\n{\"payload\":\n"))
	zw.Close()
	os.WriteFile(path, buf.Bytes(), 0o644)
	r, err := collect.Replay(collect.ReplayConfig{}, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The broken line is not JSON at all, so it replays as a raw line: the
	// recording's reader cannot tell a torn line from a raw message.
	first, err := r.Next(context.Background())
	if err != nil || string(first.Payload) != "ok" {
		t.Fatalf("first: %+v, %v", first, err)
	}
	second, err := r.Next(context.Background())
	if err != nil || string(second.Payload) != `{"payload":` {
		t.Fatalf("second: %+v, %v", second, err)
	}
}

func FuzzReplay(f *testing.F) {
	f.Add([]byte("{\"provider\":\"p\",\"payload\":\"x\",\"received_at\":5}\n{\"op\":\"mcm\",\"pt\":1.5}\nraw\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f")
		os.WriteFile(path, data, 0o644)
		r, err := collect.Replay(collect.ReplayConfig{}, path)
		if err != nil {
			return
		}
		defer r.Close()
		for range 1000 {
			if _, err := r.Next(context.Background()); err != nil {
				return
			}
		}
	})
}
