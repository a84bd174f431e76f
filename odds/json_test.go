package odds

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

func sampleEvent() Event {
	p, _ := FromAmerican(-110)
	return Event{
		ID: idOf("x"), Provider: "pinnacle", Market: "nfl-2026-00042:spreads", Selection: "home \"A\"\n\x01é",
		Side: Lay, Price: p, Size: decimal.NewNullDecimal(dec("125.50")), Line: decimal.NewNullDecimal(dec("-3.5")),
		Status: StatusSuspended, Seq: 42,
		SourceTime: time.Unix(0, 1795000000123000000).UTC(), ReceivedAt: time.Unix(0, 1795000000123456789).UTC(),
	}
}

// eventCmp compares events by value, decimals by their number.
var eventCmp = cmp.Options{
	cmp.Comparer(func(a, b Price) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }),
}

func TestEventJSONRoundTrip(t *testing.T) {
	e := sampleEvent()
	b := e.AppendJSON(nil)
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, back, eventCmp); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// The zero times and missing optional fields survive too.
	e2 := Event{Provider: "p", Market: "m", Selection: "s", Price: e.Price}
	var back2 Event
	if err := json.Unmarshal(e2.AppendJSON(nil), &back2); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e2, back2, eventCmp); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestEventJSONGolden(t *testing.T) {
	e := sampleEvent()
	got := string(e.AppendJSON(nil))
	golden := `{"id":"` + e.ID.String() + `","provider":"pinnacle","market":"nfl-2026-00042:spreads","selection":"home \"A\"\n\u0001é","side":"lay","price":"1.9090909091","size":"125.5","line":"-3.5","status":"suspended","seq":42,"source_time":1795000000123000000,"received_at":1795000000123456789}`
	if got != golden {
		t.Errorf("encoding changed:\n got %s\nwant %s", got, golden)
	}
}

func FuzzEventJSON(f *testing.F) {
	e := sampleEvent()
	f.Add(string(e.AppendJSON(nil)))
	f.Add(`{"price":"2","selection":"\ud800"}`)
	f.Add(`{"price":"1"}`)
	f.Fuzz(func(t *testing.T, s string) {
		var ev Event
		if err := ev.UnmarshalJSON([]byte(s)); err != nil {
			return
		}
		b := ev.AppendJSON(nil)
		if !json.Valid(b) {
			t.Fatalf("re-encoding is invalid JSON: %s", b)
		}
		var again Event
		if err := again.UnmarshalJSON(b); err != nil {
			t.Fatalf("re-encoding does not decode: %v\n%s", err, b)
		}
		if diff := cmp.Diff(ev, again, eventCmp); diff != "" {
			t.Fatalf("second round trip differs (-first +second):\n%s", diff)
		}
	})
}

// FuzzEventJSONFast: whatever the decoder for AppendJSON's own layout
// accepts, encoding/json reads the same, and the canonical encoding of any
// event takes the fast path.
func FuzzEventJSONFast(f *testing.F) {
	e := sampleEvent()
	f.Add(string(e.AppendJSON(nil)))
	e.Size, e.Line = decimal.NullDecimal{}, decimal.NullDecimal{}
	f.Add(string(e.AppendJSON(nil)))
	f.Add(`{"id":"00000000000000000000000000000000","provider":"p","market":"m","selection":"s","side":"back","price":"2","size":"1e3","status":"open","seq":0,"source_time":-1,"received_at":0}`)
	f.Add(`{"id":"00000000000000000000000000000000","provider":"p","market":"m","selection":"s","side":"back","price":"2","status":"open","seq":-0,"source_time":-0,"received_at":0}`)
	f.Fuzz(func(t *testing.T, s string) {
		var fast Event
		if !fast.decodeCanonical([]byte(s)) {
			return
		}
		var v eventJSON
		if err := json.Unmarshal([]byte(s), &v); err != nil || v.Price.IsZero() {
			t.Fatalf("fast path took %s, encoding/json says %v", s, err)
		}
		slow := Event{ID: v.ID, Provider: v.Provider, Market: v.Market, Selection: v.Selection, Side: v.Side,
			Price: v.Price, Status: v.Status, Seq: v.Seq, SourceTime: fromUnixNano(v.SourceTime), ReceivedAt: fromUnixNano(v.ReceivedAt)}
		if v.Size != nil {
			slow.Size = decimal.NewNullDecimal(*v.Size)
		}
		if v.Line != nil {
			slow.Line = decimal.NewNullDecimal(*v.Line)
		}
		if diff := cmp.Diff(slow, fast, eventCmp); diff != "" {
			t.Fatalf("%s: (-encoding/json +fast):\n%s", s, diff)
		}
		if again := fast.AppendJSON(nil); !(&Event{}).decodeCanonical(again) {
			t.Fatalf("the canonical encoding %s does not take the fast path", again)
		}
	})
}

func TestEventJSONFastPathTaken(t *testing.T) {
	e := sampleEvent()
	e.Selection = "home" // the sample's escapes take the general path
	plain := e
	plain.Size, plain.Line = decimal.NullDecimal{}, decimal.NullDecimal{}
	for _, ev := range []Event{e, plain} {
		if b := ev.AppendJSON(nil); !(&Event{}).decodeCanonical(b) {
			t.Errorf("canonical encoding took the slow path: %s", b)
		}
	}
	spaced := strings.Replace(string(e.AppendJSON(nil)), `,"market":`, `, "market": `, 1)
	var got Event
	if (&Event{}).decodeCanonical([]byte(spaced)) || got.UnmarshalJSON([]byte(spaced)) != nil || cmp.Diff(e, got, eventCmp) != "" {
		t.Errorf("spaced encoding: fast path taken, or decoded wrong")
	}
}

func BenchmarkEventUnmarshalJSON(b *testing.B) {
	e := sampleEvent()
	e.Selection = "home"
	data := e.AppendJSON(nil)
	b.ReportAllocs()
	for b.Loop() {
		var v Event
		if err := v.UnmarshalJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

// appendDecimal writes what decimal's String writes.
func FuzzAppendDecimal(f *testing.F) {
	for _, seed := range []struct {
		c   int64
		exp int32
	}{{0, 0}, {0, -3}, {0, 4}, {-5, 2}, {150, -2}, {-35, -1}, {7, -5}, {100, -2}, {-9223372036854775808, -3}, {999999999999999999, -40}} {
		f.Add(seed.c, seed.exp)
	}
	f.Fuzz(func(t *testing.T, c int64, exp int32) {
		if exp > 60 || exp < -60 {
			return
		}
		d := decimal.New(c, exp)
		if got, want := string(appendDecimal([]byte("x"), d)), "x"+d.String(); got != want {
			t.Fatalf("New(%d, %d): %q, want %q", c, exp, got, want)
		}
	})
}

func BenchmarkEventAppendJSON(b *testing.B) {
	e := sampleEvent()
	e.Selection = "home"
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendJSON(buf[:0])
	}
}
