package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

// The backtest prints byte-identical output on every run, on one core or two.
func TestBacktestIsDeterministic(t *testing.T) {
	dir := findRecordings()
	var outs []string
	for _, procs := range []int{1, 2, 1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		var buf bytes.Buffer
		err := backtest(context.Background(), dir, &buf)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, buf.String())
	}
	for i := 1; i < len(outs); i++ {
		if outs[i] != outs[0] {
			t.Fatalf("run %d differs:\n%s\n---\n%s", i, outs[i], outs[0])
		}
	}
	if !strings.Contains(outs[0], "replayed 332 messages from 2 markets") || !strings.Contains(outs[0], "P&L") {
		t.Errorf("output:\n%s", outs[0])
	}
	t.Log("\n" + outs[0])
}
