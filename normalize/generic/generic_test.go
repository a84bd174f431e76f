package generic

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/odds"
)

var update = flag.Bool("update", false, "rewrite golden files")

var envTime = time.Unix(0, 1795000009000000000).UTC()

// render writes what a normalizer made of each input line: its events in the
// canonical encoding, then its error, so a golden file shows both side by side.
func render(t *testing.T, n normalize.Normalizer, provider, input string) []byte {
	t.Helper()
	f, err := os.Open(input)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	sc := bufio.NewScanner(f)
	for i := 1; sc.Scan(); i++ {
		evs, err := n.Normalize(nil, collect.Envelope{Provider: provider, Payload: sc.Bytes(), ReceivedAt: envTime})
		fmt.Fprintf(&out, "# line %d: %d events\n", i, len(evs))
		for _, e := range evs {
			out.Write(e.AppendJSON(nil))
			out.WriteByte('\n')
		}
		if err != nil {
			fmt.Fprintf(&out, "error: %v\n", err)
		}
	}
	return out.Bytes()
}

func golden(t *testing.T, got []byte, path string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
	}
}

func TestOutcomesGolden(t *testing.T) {
	golden(t, render(t, NewOutcomes(Config{}), "feed", "testdata/outcomes.input"), "testdata/outcomes.golden")
}

func TestGamesGolden(t *testing.T) {
	golden(t, render(t, NewGames(Config{}), "espnbet", "testdata/games.input"), "testdata/games.golden")
}

func TestOutcomesErrors(t *testing.T) {
	n := NewOutcomes(Config{})
	cases := []struct {
		payload    string
		wantEvents int
		wantErr    []error
	}{
		{`{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a","price":-110},{"name":"b","price":50}]}`, 1, []error{odds.ErrInvalidOdds}},
		{`{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a"},{"name":"b","price":-110}]}`, 1, []error{normalize.ErrMalformed}},
		{`{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a","price":-110,"line":"x"}]}`, 0, []error{normalize.ErrMalformed}},
		{`{"provider":"p","market_id":"m","timestamp":1,"outcomes":{}}`, 0, []error{normalize.ErrMalformed}},
		{`{"provider":"p","market_id":"m","outcomes":[]}`, 0, []error{normalize.ErrMalformed}},
		{`[]`, 0, []error{normalize.ErrMalformed}},
		{``, 0, []error{normalize.ErrMalformed}},
	}
	for _, c := range cases {
		evs, err := n.Normalize(nil, collect.Envelope{Payload: []byte(c.payload)})
		if len(evs) != c.wantEvents {
			t.Errorf("%s: %d events, want %d", c.payload, len(evs), c.wantEvents)
		}
		for _, want := range c.wantErr {
			if !errors.Is(err, want) {
				t.Errorf("%s: error %v, want %v", c.payload, err, want)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	cases := []struct {
		format Format
		price  string
		want   string
	}{
		{American, `-110`, "1.9090909091"},
		{American, `"+150"`, "2.5"},
		{Decimal, `1.91`, "1.91"},
		{Fractional, `"5/2"`, "3.5"},
		{Text, `"EVENS"`, "2"},
		{Text, `2.5`, "2.5"},
	}
	for _, c := range cases {
		n := NewOutcomes(Config{Prices: c.format})
		payload := `{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a","price":` + c.price + `}]}`
		evs, err := n.Normalize(nil, collect.Envelope{Payload: []byte(payload)})
		if err != nil || len(evs) != 1 || evs[0].Price.String() != c.want {
			t.Errorf("format %d price %s: %v, %v; want %s", c.format, c.price, evs, err, c.want)
		}
	}
	_, err := NewOutcomes(Config{Prices: Fractional}).Normalize(nil, collect.Envelope{Payload: []byte(
		`{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a","price":2.5}]}`)})
	if !errors.Is(err, normalize.ErrMalformed) {
		t.Errorf("fractional format with a number: %v", err)
	}
}

// A re-send has the same IDs; a changed price does not.
func TestOutcomesIDs(t *testing.T) {
	n := NewOutcomes(Config{})
	msg := `{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a","price":-110},{"name":"b","price":-110}]}`
	a, _ := n.Normalize(nil, collect.Envelope{Payload: []byte(msg)})
	b, _ := n.Normalize(nil, collect.Envelope{Payload: []byte(msg)})
	c, _ := n.Normalize(nil, collect.Envelope{Payload: bytes.Replace([]byte(msg), []byte("-110}]"), []byte("-115}]"), 1)})
	if a[0].ID != b[0].ID || a[1].ID != b[1].ID {
		t.Error("re-send changed IDs")
	}
	if a[0].ID == a[1].ID {
		t.Error("two selections share an ID")
	}
	if c[1].ID == a[1].ID || c[0].ID != a[0].ID {
		t.Error("price change did not change exactly one ID")
	}
}

func TestOutcomesAllocs(t *testing.T) {
	n := NewOutcomes(Config{})
	env := collect.Envelope{Payload: []byte(`{"provider":"pinnacle","market_id":"nfl-2026-00042:spreads","timestamp":1795000000123,"received_at":1795000000123456789,"outcomes":[{"name":"home","price":-110,"line":-3.5},{"name":"away","price":-105,"line":3.5}]}`)}
	dst := make([]odds.Event, 0, 8)
	n.Normalize(dst, env) // warm the tables
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := n.Normalize(dst[:0], env); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per message, want 0", allocs)
	}
}

func FuzzOutcomes(f *testing.F) {
	seedLines(f, "testdata/outcomes.input")
	n := NewOutcomes(Config{})
	nt := NewOutcomes(Config{Prices: Text})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range []*Outcomes{n, nt} {
			checkNormalize(t, n, b)
		}
	})
}

// The fast decoder takes the reference design's messages, compact or spaced
// as Python's json.dumps writes them by default.
func TestOutcomesFastPathTaken(t *testing.T) {
	n := NewOutcomes(Config{})
	for _, msg := range []string{
		`{"provider":"bet365","market_id":"nfl-2026-00411:totals","timestamp":1795000000002,"received_at":1795000000002953893,"outcomes":[{"name":"over","price":-363,"line":36.5},{"name":"under","price":-213,"line":36.5}]}`,
		`{"provider": "betmgm", "market_id": "nfl-2026-01722:h2h", "timestamp": 1795000000004, "outcomes": [{"name": "home", "price": 395}, {"name": "away", "price": -375}]}`,
		`{"provider":"p","market_id":"m","timestamp":-9223372036854775808,"received_at":9223372036854775807,"outcomes":[]}`,
		`{"provider": "bet365", "market_id": "nfl-2026-00411:totals", "timestamp": 1795000000002, "received_at": 1795000000002953893, "outcomes": [{"name": "over", "price": -363, "line": 36.5}, {"name": "under", "price": -213, "line": 36.5}]}`,
		`{"provider": "p", "market_id": "m", "timestamp": 1, "outcomes": []}`,
	} {
		if _, ok := n.normalizeFast(nil, []byte(msg), time.Time{}); !ok {
			t.Errorf("fast path refused %s", msg)
		}
	}
	for _, msg := range []string{
		`{"provider":"p","market_id":"m","timestamp":9223372036854775808,"outcomes":[]}`,
		`{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a","price":"-110"}]}`,
		`{"market_id":"m","provider":"p","timestamp":1,"outcomes":[]}`,
		// Reported by the general path, which keeps the good outcomes.
		`{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a","price":-110},{"name":"b","price":50}]}`,
		`{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"","price":-110}]}`,
		`{"provider":"","market_id":"m","timestamp":1,"outcomes":[]}`,
	} {
		if _, ok := n.normalizeFast(nil, []byte(msg), time.Time{}); ok {
			t.Errorf("fast path took %s", msg)
		}
	}
}

// FuzzOutcomesFast: whatever the fast path takes, the general one reads to
// the same events, and what it refuses it leaves as it was.
func FuzzOutcomesFast(f *testing.F) {
	seedLines(f, "testdata/outcomes.input")
	f.Add([]byte(`{"provider": "p", "market_id": "m", "timestamp": 1, "outcomes": [{"name": "a", "price": -110, "line": 2.5}, {"name": "b", "price": 1.91}]} `))
	f.Add([]byte(`{"provider":"p","market_id":"m","timestamp":1,"outcomes":[{"name":"a","price":-110},{"name":"b","price":50}]}`))
	normalizers := []*Outcomes{NewOutcomes(Config{}), NewOutcomes(Config{Prices: Decimal})}
	received := time.Unix(0, 1795000000123456789).UTC()
	before := odds.Event{Provider: "earlier", ID: odds.ID{Hi: 1, Lo: 2}}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range normalizers {
			fast, ok := n.normalizeFast([]odds.Event{before}, b, received)
			if !ok {
				if len(fast) != 1 || !reflect.DeepEqual(fast[0], before) {
					t.Fatalf("%q: the refusing fast path left %+v", b, fast)
				}
				continue
			}
			m, outs, err := n.decode(b, nil)
			if err != nil {
				t.Fatalf("fast path (prices %d) took %q, the general decoder says %v", n.format, b, err)
			}
			general, err := n.events([]odds.Event{before}, &m, outs, received)
			if err != nil {
				t.Fatalf("fast path (prices %d) took %q, the general path reports %v", n.format, b, err)
			}
			if !reflect.DeepEqual(fast, general) {
				t.Fatalf("%q (prices %d):\nfast    %+v\ngeneral %+v", b, n.format, fast, general)
			}
		}
	})
}

func FuzzGames(f *testing.F) {
	seedLines(f, "testdata/games.input")
	n := NewGames(Config{})
	f.Fuzz(func(t *testing.T, b []byte) { checkNormalize(t, n, b) })
}

func seedLines(f *testing.F, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f.Add(line)
	}
}

// checkNormalize asserts the contract on any input: no panic, errors typed,
// events valid.
func checkNormalize(t *testing.T, n normalize.Normalizer, b []byte) {
	evs, err := n.Normalize(nil, collect.Envelope{Provider: "p", Payload: b})
	if err != nil && !errors.Is(err, normalize.ErrMalformed) && !errors.Is(err, odds.ErrInvalidOdds) {
		t.Fatalf("untyped error %v", err)
	}
	for _, e := range evs {
		if e.Price.Decimal().Cmp(odds.Price{}.Decimal()) <= 0 || e.Price.IsZero() || e.ID.IsZero() || e.Market == "" || e.Selection == "" {
			t.Fatalf("invalid event %+v from %q", e, b)
		}
	}
}
