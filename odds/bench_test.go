package odds

import (
	"testing"

	"github.com/shopspring/decimal"
)

var (
	sinkPrice   Price
	sinkDecimal decimal.Decimal
	sinkID      ID
)

func BenchmarkFromAmerican(b *testing.B) {
	b.ReportAllocs()
	FromAmerican(-110) // build the table outside the loop
	a := int64(-110)
	for b.Loop() {
		sinkPrice, _ = FromAmerican(a)
		a = -a // alternate sides so the branch is not free
	}
}

func BenchmarkFromAmericanOutsideTable(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkPrice, _ = FromAmerican(-25000)
	}
}

func BenchmarkFromFractional(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkPrice, _ = FromFractional(10, 11)
	}
}

func BenchmarkFromImplied(b *testing.B) {
	b.ReportAllocs()
	p := decimal.RequireFromString("0.4")
	for b.Loop() {
		sinkPrice, _ = FromImplied(p)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"-110", "2.50", "5/2", "EVENS"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkPrice, _ = Parse(s)
			}
		})
	}
}

func BenchmarkAmerican(b *testing.B) {
	p, _ := FromAmerican(-110)
	b.ReportAllocs()
	for b.Loop() {
		sinkDecimal = p.American()
	}
}

func BenchmarkImplied(b *testing.B) {
	p, _ := FromAmerican(-110)
	b.ReportAllocs()
	for b.Loop() {
		sinkDecimal = p.Implied()
	}
}

func BenchmarkFractional(b *testing.B) {
	p, _ := FromAmerican(-110)
	b.ReportAllocs()
	for b.Loop() {
		num, _ := p.Fractional()
		sinkDecimal = decimal.Decimal{}
		_ = num
	}
}

func BenchmarkHasher(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var h Hasher
		h.AddString("draftkings")
		h.AddString("nfl-2026-00042:spreads")
		h.AddString("home")
		h.AddUint64(1795000000123)
		sinkID = h.Sum()
	}
}

func BenchmarkRemoveMargin(b *testing.B) {
	book := prices(b, "2.7", "2.3", "4.4")
	for _, m := range []Method{Multiplicative, Additive, Power, Shin} {
		b.Run(m.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := RemoveMargin(book, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
