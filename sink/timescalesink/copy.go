package timescalesink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// The sink writes COPY's binary format itself rather than through
// pgx.CopyFrom. pgx encodes each row as 14 values boxed in interfaces and
// looks up an encode plan for each, allocating as it goes (a numeric's
// coefficient is copied into a new big.Int); at 40K rows a second that was
// 17% of the process's CPU samples, on a machine where the client's CPU is
// taken from the server's. This encoder knows the table's types (EnsureSchema's)
// and appends each row to one buffer without allocating.

var (
	copyHeader  = []byte("PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000")
	copyTrailer = []byte{0xff, 0xff}
)

var errSeqRange = errors.New("timescalesink: seq beyond the range of bigint")

// errTimeRange reports a time too far from the present for timestamptz's
// microseconds since 2000 to hold without overflowing int64.
var errTimeRange = errors.New("timescalesink: time beyond the range of timestamptz")

// errNumericRange reports a decimal whose scale or magnitude numeric cannot
// hold.
var errNumericRange = errors.New("timescalesink: decimal beyond the range of numeric")

// appendCopy appends the COPY stream of events in binary format to b, the
// columns in the order of [Columns].
func appendCopy(b []byte, events []odds.Event) ([]byte, error) {
	b = append(b, copyHeader...)
	for i := range events {
		var err error
		if b, err = appendRow(b, &events[i]); err != nil {
			return b, err
		}
	}
	return append(b, copyTrailer...), nil
}

func appendRow(b []byte, e *odds.Event) ([]byte, error) {
	if e.Seq > math.MaxInt64 {
		return b, fmt.Errorf("%w: %d", errSeqRange, e.Seq)
	}
	src, srcNS := sourceTime(e)
	b = binary.BigEndian.AppendUint16(b, uint16(len(Columns)))

	b = binary.BigEndian.AppendUint32(b, 16)
	b = binary.BigEndian.AppendUint64(b, e.ID.Hi)
	b = binary.BigEndian.AppendUint64(b, e.ID.Lo)
	var err error
	if b, err = appendTime(b, e.ReceivedAt); err != nil {
		return b, err
	}
	b = appendInt16(b, int16(e.ReceivedAt.Nanosecond()%1000))
	if b, err = appendTime(b, src); err != nil {
		return b, err
	}
	b = appendInt16(b, srcNS)
	b = appendText(b, e.Provider)
	b = appendText(b, e.Market)
	b = appendText(b, e.Selection)
	b = appendText(b, e.Side.String())
	if b, err = appendNumeric(b, e.Price.Decimal()); err != nil {
		return b, err
	}
	for _, d := range [...]decimal.NullDecimal{e.Size, e.Line} {
		if !d.Valid {
			b = binary.BigEndian.AppendUint32(b, math.MaxUint32) // -1: NULL
			continue
		}
		if b, err = appendNumeric(b, d.Decimal); err != nil {
			return b, err
		}
	}
	b = appendText(b, e.Status.String())
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, e.Seq), nil
}

// sourceTime returns what the source_time and source_time_ns columns hold:
// the provider time, or the receive time and -1 when there is none.
func sourceTime(e *odds.Event) (time.Time, int16) {
	if e.SourceTime.IsZero() {
		return e.ReceivedAt, -1
	}
	return e.SourceTime, int16(e.SourceTime.Nanosecond() % 1000)
}

func appendInt16(b []byte, v int16) []byte {
	b = binary.BigEndian.AppendUint32(b, 2)
	return binary.BigEndian.AppendUint16(b, uint16(v))
}

func appendText(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// unixY2K is 2000-01-01 UTC, timestamptz's epoch, in Unix seconds.
const unixY2K = 946684800

// maxUnix bounds the seconds appendTime converts to microseconds; it is far
// beyond timestamptz's own range (up to 294276 AD), which the server checks.
const maxUnix = 9_000_000_000_000

// appendTime appends t as timestamptz: microseconds since 2000, rounded
// down, as pgx does; the nanoseconds beyond go in their own column.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	sec := t.Unix()
	if sec > maxUnix || sec < -maxUnix {
		return b, fmt.Errorf("%w: %v", errTimeRange, t)
	}
	b = binary.BigEndian.AppendUint32(b, 8)
	return binary.BigEndian.AppendUint64(b, uint64((sec-unixY2K)*1_000_000+int64(t.Nanosecond()/1000))), nil
}

// Limits of numeric's binary form (PostgreSQL's numeric.c).
const (
	numericPos       = 0x0000
	numericNeg       = 0x4000
	numericMaxDscale = 0x3fff
)

// appendNumeric appends d exactly as numeric's binary form: base-10000
// digits aligned on the decimal point, the weight (power of 10000) of the
// first, the sign and the display scale, which keeps d's trailing zeros, so
// that 1.50 reads back as 1.50.
func appendNumeric(b []byte, d decimal.Decimal) ([]byte, error) {
	var scratch [40]byte
	var digits []byte // the decimal digits of |coefficient|, no leading zeros
	if d.NumDigits() <= 18 {
		c := d.CoefficientInt64()
		if c < 0 {
			c = -c
		}
		digits = strconv.AppendUint(scratch[:0], uint64(c), 10)
	} else {
		c := d.Coefficient()
		digits = c.Abs(c).Append(scratch[:0], 10)
	}
	exp := int(d.Exponent())
	dscale := max(0, -exp)
	if dscale > numericMaxDscale {
		return b, fmt.Errorf("%w: %s", errNumericRange, d)
	}
	sign := uint16(numericPos)
	if d.Sign() < 0 {
		sign = numericNeg
	}
	if d.Sign() == 0 {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(dscale)) // no digits, weight 0, positive
		return b, nil
	}
	// Digit i has decimal weight 10^(point-1-i). Base-10000 digits start at
	// start, the last position at or before 0 that is a multiple of 4 away
	// from the point, so each covers four decimal places of its own.
	n := len(digits)
	point := n + exp
	start := 0
	if r := ((point % 4) + 4) % 4; r != 0 {
		start = r - 4
	}
	weight := (point-start)/4 - 1
	if weight > math.MaxInt16 || weight < math.MinInt16 {
		return b, fmt.Errorf("%w: %s", errNumericRange, d)
	}
	groups := (n-1-start)/4 + 1
	head := len(b)
	b = append(b, make([]byte, 12)...) // length, digit count, weight, sign, scale: below
	kept := 0                          // groups up to the last non-zero one
	for g := range groups {
		var v uint16
		for p := start + 4*g; p < start+4*g+4; p++ {
			v *= 10
			if p >= 0 && p < n {
				v += uint16(digits[p] - '0')
			}
		}
		b = binary.BigEndian.AppendUint16(b, v)
		if v != 0 {
			kept = g + 1
		}
	}
	b = b[:head+12+2*kept]
	h := b[head:]
	binary.BigEndian.PutUint32(h, uint32(8+2*kept))
	binary.BigEndian.PutUint16(h[4:], uint16(kept))
	binary.BigEndian.PutUint16(h[6:], uint16(int16(weight)))
	binary.BigEndian.PutUint16(h[8:], sign)
	binary.BigEndian.PutUint16(h[10:], uint16(dscale))
	return b, nil
}
