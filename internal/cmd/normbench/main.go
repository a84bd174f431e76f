// Command normbench normalizes and dedupes a feed in the outcome-list shape,
// as scripts/peer/seed_normalizer.py does, and prints the same counts and
// events per second, so the two can be compared on one machine in one run.
//
// usage: normbench [-cpuprofile file] FEED.jsonl
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/normalize/generic"
	"github.com/oddsflow/oddsflow/odds"
)

func main() {
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to `file`")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: normbench [-cpuprofile file] FEED.jsonl")
		os.Exit(2)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "normbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "normbench:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n := generic.NewOutcomes(generic.Config{})
	// The peer's dict stands in for the design's Redis SET NX EX, a window;
	// this is the default one, ten minutes of receive time.
	w := dedupe.NewWindow(dedupe.WindowConfig{})
	ctx := context.Background()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	// Events are deduped in batches, as the pipeline does with the events of a
	// batch of envelopes.
	batch := make([]odds.Event, 0, 512)
	var in, out, bad int
	flush := func() {
		kept, _ := w.Dedupe(ctx, batch)
		out += len(kept)
		batch = batch[:0]
	}
	for sc.Scan() {
		n0 := len(batch)
		batch, err = n.Normalize(batch, collect.Envelope{Payload: sc.Bytes()})
		if err != nil {
			bad++
		}
		in += len(batch) - n0
		if len(batch) >= 256 {
			flush()
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return err
	}
	dt := time.Since(t0).Seconds()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	allocs := float64(after.Mallocs-before.Mallocs) / float64(max(in, 1))
	fmt.Printf("events=%d unique=%d duplicates=%d seconds=%.3f events_per_s=%.0f allocs_per_event=%.3f dead_letters=%d\n",
		in, out, in-out, dt, float64(in)/dt, allocs, bad)
	return nil
}
