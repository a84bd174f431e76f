package timescalesink

import (
	"context"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink/sinktest"
	"github.com/shopspring/decimal"
)

// decodeNumeric reads numeric's binary form as PostgreSQL's numeric_recv
// does, back into a decimal with the display scale as its exponent.
func decodeNumeric(t *testing.T, b []byte) decimal.Decimal {
	t.Helper()
	if len(b) < 12 || int(binary.BigEndian.Uint32(b)) != len(b)-4 {
		t.Fatalf("bad field length in % x", b)
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	weight := int(int16(binary.BigEndian.Uint16(b[6:])))
	sign := binary.BigEndian.Uint16(b[8:])
	dscale := int(binary.BigEndian.Uint16(b[10:]))
	if len(b) != 12+2*n {
		t.Fatalf("%d digits in %d bytes", n, len(b))
	}
	v := new(big.Int)
	for i := range n {
		d := binary.BigEndian.Uint16(b[12+2*i:])
		if d >= 10000 {
			t.Fatalf("digit %d out of range", d)
		}
		v.Mul(v, big.NewInt(10000))
		v.Add(v, big.NewInt(int64(d)))
	}
	if n > 0 && binary.BigEndian.Uint16(b[12:]) == 0 {
		t.Fatalf("leading zero digit")
	}
	if sign == numericNeg {
		v.Neg(v)
	}
	// v is in units of 10000^(weight-n+1); express it at the display scale.
	exp := 4 * (weight - n + 1)
	d := decimal.NewFromBigInt(v, int32(exp))
	return d.Round(int32(dscale))
}

var awkward = []string{
	"1.9090909091", "2", "1.50", "-3.5", "44", "0", "0.000", "-0.25", "1234500", "1e10",
	"0.0005", "0.00005", "10000", "9999.9999", "1.0001", "-7", "100.00",
	"123456789012345678", "1234567890123456789012345.6789", "-98765432109876543210.5",
	"1e-20", "12345e2", "3.14159265358979323846264338327950288",
}

func TestAppendNumeric(t *testing.T) {
	for _, s := range awkward {
		d := decimal.RequireFromString(s)
		b, err := appendNumeric(nil, d)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		got := decodeNumeric(t, b)
		if !got.Equal(d) || got.Exponent() != min(d.Exponent(), 0) {
			t.Errorf("%s: read back as %s (exponent %d)", s, got, got.Exponent())
		}
	}
	if _, err := appendNumeric(nil, decimal.New(1, -20000)); !errors.Is(err, errNumericRange) {
		t.Errorf("scale 20000: error %v, want errNumericRange", err)
	}
}

func FuzzAppendNumeric(f *testing.F) {
	f.Add(int64(19090909091), int32(-10), uint8(0))
	f.Add(int64(-35), int32(-1), uint8(0))
	f.Add(int64(123456789), int32(5), uint8(2))
	f.Fuzz(func(t *testing.T, coef int64, exp int32, widen uint8) {
		c := big.NewInt(coef)
		c.Mul(c, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(widen%40)), nil)) // past int64
		d := decimal.NewFromBigInt(c, exp%400)
		b, err := appendNumeric(nil, d)
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeNumeric(t, b); !got.Equal(d) {
			t.Errorf("%s read back as %s", d, got)
		}
	})
}

func TestAppendRowRejectsWhatTheColumnsCannotHold(t *testing.T) {
	e := sinktest.Events(0, 1, 1)[0]
	far := e
	far.ReceivedAt = time.Unix(1<<60, 0)
	if _, err := appendRow(nil, &far); !errors.Is(err, errTimeRange) {
		t.Errorf("time beyond timestamptz: error %v", err)
	}
	seq := e
	seq.Seq = 1 << 63
	if _, err := appendRow(nil, &seq); !errors.Is(err, errSeqRange) {
		t.Errorf("seq beyond bigint: error %v", err)
	}
}

func BenchmarkAppendCopy(b *testing.B) {
	evs := sinktest.Events(0, 1000, 100)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendCopy(buf[:0], evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/row")
}

// Every awkward number, as price, size and line, and times on both sides of
// 2000 and of the Unix epoch, read back exactly from a real server.
func TestExactRoundTrip(t *testing.T) {
	s := fresh(t, pool(t), ModeCopy)
	evs := sinktest.Events(0, len(awkward), 1)
	times := []time.Time{
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 123_456_789, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2026, 11, 22, 7, 0, 0, 999, time.UTC),
	}
	for i := range evs {
		d := decimal.RequireFromString(awkward[i])
		if p, err := odds.FromDecimal(d); err == nil { // decimal odds above 1
			evs[i].Price = p
		}
		evs[i].Size = decimal.NewNullDecimal(d.Abs())
		evs[i].Line = decimal.NewNullDecimal(d)
		evs[i].ReceivedAt = times[i%len(times)]
		evs[i].SourceTime = times[(i+1)%len(times)]
		evs[i].Market = strings.Repeat("m", i+1) // one market each, and a text of every length
	}
	if err := s.Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, s)
	if len(got) != len(evs) {
		t.Fatalf("read %d rows, want %d", len(got), len(evs))
	}
	for _, g := range got {
		w := evs[len(g.Market)-1]
		if g.ID != w.ID || !g.ReceivedAt.Equal(w.ReceivedAt) || !g.SourceTime.Equal(w.SourceTime) ||
			g.Price.Decimal().String() != w.Price.Decimal().String() ||
			g.Size.Decimal.String() != w.Size.Decimal.String() || g.Line.Decimal.String() != w.Line.Decimal.String() ||
			g.Seq != w.Seq || g.Side != w.Side || g.Status != w.Status || g.Selection != w.Selection || g.Provider != w.Provider {
			t.Errorf("read back\n%+v\nwant\n%+v", g, w)
		}
	}
}
