package oddsapi

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/odds"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/odds.input")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n := &Normalizer{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for i := 1; sc.Scan(); i++ {
		evs, err := n.Normalize(nil, collect.Envelope{Provider: "oddsapi", Payload: sc.Bytes()})
		fmt.Fprintf(&out, "# line %d: %d events\n", i, len(evs))
		for _, e := range evs {
			out.Write(e.AppendJSON(nil))
			out.WriteByte('\n')
		}
		if err != nil {
			fmt.Fprintf(&out, "error: %v\n", err)
		}
	}
	if *update {
		os.WriteFile("testdata/odds.golden", out.Bytes(), 0o644)
	}
	want, _ := os.ReadFile("testdata/odds.golden")
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("output differs from testdata/odds.golden (run with -update to accept):\n%s", out.Bytes())
	}
}

func TestAmerican(t *testing.T) {
	n := &Normalizer{Format: American}
	evs, err := n.Normalize(nil, collect.Envelope{Payload: []byte(
		`[{"id":"x","bookmakers":[{"key":"dk","last_update":"2026-11-21T23:58:10Z","markets":[{"key":"h2h","outcomes":[{"name":"A","price":-110},{"name":"B","price":50}]}]}]}]`)})
	if len(evs) != 1 || evs[0].Price.String() != "1.9090909091" {
		t.Fatalf("events %+v", evs)
	}
	if !errors.Is(err, odds.ErrInvalidOdds) {
		t.Errorf("error %v, want ErrInvalidOdds for +50", err)
	}
}

func FuzzNormalize(f *testing.F) {
	data, _ := os.ReadFile("testdata/odds.input")
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range []*Normalizer{{}, {Format: American}} {
			evs, err := n.Normalize(nil, collect.Envelope{Payload: b})
			if err != nil && !errors.Is(err, normalize.ErrMalformed) && !errors.Is(err, odds.ErrInvalidOdds) {
				t.Fatalf("untyped error %v", err)
			}
			for _, e := range evs {
				if e.Price.IsZero() || e.ID.IsZero() || e.Provider == "" {
					t.Fatalf("invalid event %+v", e)
				}
			}
		}
	})
}
