package betfair

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/oddsflow/oddsflow/collect"
	"github.com/oddsflow/oddsflow/normalize"
	"github.com/oddsflow/oddsflow/odds"
)

var update = flag.Bool("update", false, "rewrite golden files")

func lines(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	return out
}

func golden(t *testing.T, got, path string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept)", path)
	}
}

// handLadders applies a recording's deltas the plain way, with generic JSON
// and float64 keys, as an independent check on Cache: runner -> ladder ->
// price (or level) -> size.
type handLadders map[string]map[string]map[string]string

func (h handLadders) apply(t *testing.T, msg []byte) {
	var m struct {
		MC []struct {
			ID  string           `json:"id"`
			Img bool             `json:"img"`
			RC  []map[string]any `json:"rc"`
		} `json:"mc"`
	}
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	for _, mc := range m.MC {
		if mc.Img {
			for k := range h {
				if strings.HasPrefix(k, mc.ID+"/") {
					delete(h, k)
				}
			}
		}
		for _, rc := range mc.RC {
			runner := mc.ID + "/" + string(rc["id"].(json.Number))
			if h[runner] == nil {
				h[runner] = map[string]map[string]string{}
			}
			for name, v := range rc {
				rows, ok := v.([]any)
				if !ok {
					continue
				}
				if h[runner][name] == nil {
					h[runner][name] = map[string]string{}
				}
				for _, row := range rows {
					r := row.([]any)
					key, size := r[0].(json.Number), r[len(r)-1].(json.Number)
					if len(r) == 3 {
						key = json.Number(string(key) + ":" + canon(r[1].(json.Number)))
						// A depth level is replaced whole: drop the old entry for this level.
						lvl := strings.SplitN(string(key), ":", 2)[0]
						for k := range h[runner][name] {
							if strings.SplitN(k, ":", 2)[0] == lvl {
								delete(h[runner][name], k)
							}
						}
					} else {
						key = json.Number(canon(key))
					}
					if f, _ := size.Float64(); f == 0 {
						delete(h[runner][name], string(key))
					} else {
						h[runner][name][string(key)] = canon(size)
					}
				}
			}
		}
	}
}

func canon(n json.Number) string {
	f, err := n.Float64()
	if err != nil {
		panic(err)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// fromCache renders the cache the same way.
func fromCache(c *Cache) handLadders {
	h := handLadders{}
	for _, mk := range c.Markets {
		for k, r := range mk.Runners {
			runner := mk.ID + "/" + strconv.FormatInt(k.ID, 10)
			lad := map[string]map[string]string{}
			for name, l := range map[string]map[string]Level{"atb": r.ATB, "atl": r.ATL, "trd": r.TRD, "spb": r.SPB, "spl": r.SPL} {
				m := map[string]string{}
				for _, lv := range l {
					m[canon(json.Number(lv.Price.String()))] = canon(json.Number(lv.Size.String()))
				}
				lad[name] = m
			}
			for name, l := range map[string]map[int]Level{"batb": r.BATB, "batl": r.BATL, "bdatb": r.BDATB, "bdatl": r.BDATL} {
				m := map[string]string{}
				for lvl, lv := range l {
					m[fmt.Sprintf("%d:%s", lvl, canon(json.Number(lv.Price.String())))] = canon(json.Number(lv.Size.String()))
				}
				lad[name] = m
			}
			h[runner] = lad
		}
	}
	return h
}

func (h handLadders) equal(o handLadders) (string, bool) {
	for runner, lads := range h {
		for name, m := range lads {
			om := o[runner][name]
			if len(m) != len(om) {
				return fmt.Sprintf("%s %s: %d levels vs %d", runner, name, len(m), len(om)), false
			}
			for k, v := range m {
				if om[k] != v {
					return fmt.Sprintf("%s %s %s: %s vs %s", runner, name, k, v, om[k]), false
				}
			}
		}
	}
	return "", true
}

// At every message of both real recordings, the cache holds exactly the
// ladders that applying the deltas by hand gives.
func TestCacheMatchesHandApplied(t *testing.T) {
	for _, market := range []string{"1.197931750", "1.197931751"} {
		t.Run(market, func(t *testing.T) {
			c, hand := NewCache(), handLadders{}
			msgs := lines(t, "testdata/recorded/"+market)
			levels := 0
			for i, msg := range msgs {
				if _, err := c.Apply(msg); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				hand.apply(t, msg)
				got := fromCache(c)
				if diff, ok := hand.equal(got); !ok {
					t.Fatalf("message %d: hand-applied vs cache: %s", i, diff)
				}
				if diff, ok := got.equal(hand); !ok {
					t.Fatalf("message %d: cache vs hand-applied: %s", i, diff)
				}
				levels = 0
				for _, lads := range got {
					for _, m := range lads {
						levels += len(m)
					}
				}
			}
			if levels == 0 {
				t.Fatal("the recording left no price levels: the comparison proved nothing")
			}
			t.Logf("%d messages, %d levels at the end, clk %s", len(msgs), levels, c.Clk)
			golden(t, fmt.Sprintf("clk %s initialClk %s pt %s\n%s", c.Clk, c.InitialClk, c.PublishTime.Format("2006-01-02T15:04:05.000Z"), c.Markets[market]),
				"testdata/"+market+".golden")
		})
	}
}

// renderEvents normalizes a file of messages and renders every event and error.
func renderEvents(t *testing.T, paths ...string) string {
	n := New()
	var b strings.Builder
	for _, p := range paths {
		for i, msg := range lines(t, p) {
			evs, err := n.Normalize(nil, collect.Envelope{Provider: Provider, Payload: msg})
			for _, e := range evs {
				fmt.Fprintf(&b, "%s:%d %s %s/%s %s %s@%s %s\n", p[strings.LastIndex(p, "/")+1:], i, e.SourceTime.Format("15:04:05.000"),
					e.Market, e.Selection, e.Side, e.Price, e.Size.Decimal, e.Status)
			}
			if err != nil {
				fmt.Fprintf(&b, "%s:%d error: %v\n", p, i, err)
			}
		}
	}
	return b.String()
}

func TestEventsGolden(t *testing.T) {
	golden(t, renderEvents(t, "testdata/recorded/1.197931750"), "testdata/1.197931750.events.golden")
}

// A historical BASIC file carries last traded prices only: the cache follows
// them (and its numeric clocks), and no back or lay event is invented.
func TestHistoricalBasic(t *testing.T) {
	n := New()
	msgs := lines(t, "testdata/historicaldata/BASIC-1.132153978")
	events := 0
	for i, m := range msgs {
		evs, err := n.Normalize(nil, collect.Envelope{Payload: m})
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		events += len(evs)
	}
	if events != 0 {
		t.Errorf("%d events from a file without back or lay prices", events)
	}
	_, clk := n.Clocks()
	golden(t, fmt.Sprintf("%d messages, clk %s\n%s", len(msgs), clk, n.Market("1.132153978")), "testdata/BASIC-1.132153978.golden")
}

func TestFixtures(t *testing.T) {
	n := New()
	norm := func(path string) ([]odds.Event, error) {
		t.Helper()
		b, err := os.ReadFile("testdata/" + path)
		if err != nil {
			t.Fatal(err)
		}
		return n.Normalize(nil, collect.Envelope{Payload: b})
	}
	evs, err := norm("streaming_mcm_SUB_IMAGE.json")
	if err != nil || len(evs) == 0 {
		t.Fatalf("SUB_IMAGE: %d events, %v", len(evs), err)
	}
	if ini, clk := n.Clocks(); ini != "ab34r43r" || clk != "AAAAAAAA" {
		t.Errorf("clocks after SUB_IMAGE = %q, %q", ini, clk)
	}
	evs, err = norm("streaming_mcm_HEARTBEAT.json")
	if err != nil || len(evs) != 0 {
		t.Errorf("HEARTBEAT: %v, %v", evs, err)
	}
	if _, clk := n.Clocks(); clk != "APIDAO4EAK8D" {
		t.Errorf("clk after HEARTBEAT = %q", clk)
	}
	if _, err := norm("streaming_503.json"); !errors.Is(err, ErrStreamStatus) {
		t.Errorf("503: %v", err)
	}
	if evs, err := norm("streaming_connection.json"); err != nil || len(evs) != 0 {
		t.Errorf("connection: %v, %v", evs, err)
	}
	if _, err := norm("streaming_ocm_UPDATE.json"); !errors.Is(err, normalize.ErrUnknownSchema) {
		t.Errorf("ocm: %v", err)
	}
	evs, err = norm("streaming_mcm_RESUB_DELTA.json")
	if err != nil || len(evs) == 0 {
		t.Fatalf("RESUB_DELTA: %d events, %v", len(evs), err)
	}
	if ini, _ := n.Clocks(); ini != "yhfXkdfHDMoXgtDFvwzKF9+D78QM" {
		t.Errorf("initialClk after RESUB_DELTA = %q", ini)
	}
}

// A definition that suspends a market re-emits its runners' prices as suspended.
func TestStatusFollowsDefinition(t *testing.T) {
	n := New()
	img := `{"op":"mcm","clk":"1","pt":1000000000000,"ct":"SUB_IMAGE","mc":[{"id":"1.1","img":true,"marketDefinition":{"status":"OPEN","runners":[{"id":7,"status":"ACTIVE"},{"id":8,"status":"ACTIVE"}]},"rc":[{"id":7,"batb":[[0,2.5,10]],"batl":[[0,2.6,5]]},{"id":8,"batb":[[0,3,1]]}]}]}`
	evs, err := n.Normalize(nil, collect.Envelope{Payload: []byte(img)})
	if err != nil || len(evs) != 3 {
		t.Fatalf("image: %d events, %v", len(evs), err)
	}
	susp := `{"op":"mcm","clk":"2","pt":1000000001000,"mc":[{"id":"1.1","marketDefinition":{"status":"SUSPENDED","runners":[{"id":7,"status":"ACTIVE"},{"id":8,"status":"REMOVED"}]}}]}`
	evs, _ = n.Normalize(nil, collect.Envelope{Payload: []byte(susp)})
	if len(evs) != 3 {
		t.Fatalf("suspension: %d events, want 3", len(evs))
	}
	for _, e := range evs {
		want := odds.StatusSuspended
		if e.Selection == "8" {
			want = odds.StatusRemoved
		}
		if e.Status != want {
			t.Errorf("runner %s %s status %v, want %v", e.Selection, e.Side, e.Status, want)
		}
	}
	// The back side of runner 7 empties: one event, size 0, last price.
	empty := `{"op":"mcm","clk":"3","pt":1000000002000,"mc":[{"id":"1.1","rc":[{"id":7,"batb":[[0,2.5,0]]}]}]}`
	evs, _ = n.Normalize(nil, collect.Envelope{Payload: []byte(empty)})
	if len(evs) != 1 || evs[0].Side != odds.Back || !evs[0].Size.Decimal.IsZero() || evs[0].Price.String() != "2.5" {
		t.Fatalf("emptied side: %+v", evs)
	}
	// Nothing changed: nothing emitted.
	evs, _ = n.Normalize(nil, collect.Envelope{Payload: []byte(empty)})
	if len(evs) != 0 {
		t.Fatalf("repeat: %d events", len(evs))
	}
}

func TestPublishTimeInSeconds(t *testing.T) {
	c := NewCache()
	if _, err := c.Apply([]byte(`{"op":"mcm","pt":1471370160.471,"mc":[]}`)); err != nil {
		t.Fatal(err)
	}
	if got := c.PublishTime.UnixMilli(); got != 1471370160471 {
		t.Errorf("pt in seconds read as %d ms", got)
	}
}

func TestMalformedLeavesCacheWhole(t *testing.T) {
	c := NewCache()
	c.Apply([]byte(`{"op":"mcm","clk":"1","mc":[{"id":"1.1","rc":[{"id":7,"atb":[[2.5,10]]}]}]}`))
	before := c.Markets["1.1"].String()
	for _, bad := range []string{
		`{"op":"mcm","clk":"2","mc":[{"id":"1.1","rc":[{"id":7,"atb":[[2.6,1]]},{"id":8,"atb":[[2.5]]}]}]}`,
		`{"op":"mcm","clk":"2","mc":[{"id":"1.1","rc":[{"id":7,"atb":[[2.6,"x"]]}]}]}`,
		`{"op":"mcm","clk":"2","mc":[{"id":"1.1","rc":[{"id":7,"batb":[[-1,2.6,1]]}]}]}`,
		`{"op":"mcm","clk":"2","mc":[{"id":"1.1","rc":[{"id":7,"atb":[[1e99999,1]]}]}]}`,
		`{"op":"mcm","clk":"2","mc":[{"rc":[]}]}`,
		`{"clk":"2"}`,
		`not json`,
	} {
		if _, err := c.Apply([]byte(bad)); !errors.Is(err, normalize.ErrMalformed) {
			t.Errorf("%s: error %v, want ErrMalformed", bad, err)
		}
	}
	if c.Clk != "1" || c.Markets["1.1"].String() != before {
		t.Errorf("a bad message changed the cache: clk %s\n%s", c.Clk, c.Markets["1.1"])
	}
}

func FuzzNormalize(f *testing.F) {
	for _, p := range []string{"streaming_mcm_SUB_IMAGE.json", "streaming_mcm_update.json", "streaming_mcm_UPDATE_md.json", "streaming_503.json"} {
		b, _ := os.ReadFile("testdata/" + p)
		f.Add(b)
	}
	// Small seeds only: the fuzzer minimizes every new input it finds, and
	// minimizing a 15 KB recorded message stalls it for a minute.
	image, _ := os.ReadFile("testdata/streaming_mcm_SUB_IMAGE.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		n := New()
		// A known image first, so deltas in the input meet real state.
		n.Normalize(nil, collect.Envelope{Payload: image})
		evs, err := n.Normalize(nil, collect.Envelope{Payload: b})
		if err != nil && !errors.Is(err, normalize.ErrMalformed) && !errors.Is(err, normalize.ErrUnknownSchema) &&
			!errors.Is(err, ErrStreamStatus) && !errors.Is(err, odds.ErrInvalidOdds) {
			t.Fatalf("untyped error: %v", err)
		}
		for _, e := range evs {
			if e.Price.IsZero() || e.ID.IsZero() || e.Market == "" {
				t.Fatalf("invalid event %+v", e)
			}
		}
		keys := make([]string, 0)
		for k := range n.cache.Markets {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			_ = n.cache.Markets[k].String()
		}
	})
}
