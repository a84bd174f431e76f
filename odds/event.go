package odds

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Event is the canonical odds event: one price for one selection in one
// market from one provider at one moment. Normalizers create Events; every
// later stage reads them and none changes them.
type Event struct {
	// ID identifies the provider update this event came from: the same update
	// re-sent gives the same ID, so deduplication is a lookup. The normalizer
	// sets it with a [Hasher] over what the provider says makes an update
	// unique (typically provider, market, selection, side and sequence or
	// provider time).
	ID ID

	// Provider names the source, such as "betfair" or "pinnacle". For an
	// aggregator it is the bookmaker whose price this is.
	Provider string

	// Market is the canonical market key: the fixture and the market type,
	// such as "nfl-2026-00042:spreads" or Betfair's "1.197931750". Events of
	// one market keep their order through every stage.
	Market string

	// Selection names the outcome within the market: "home", "over", a
	// runner's ID.
	Selection string

	// Side is [Back] for a price you can back (every bookmaker quote) and
	// [Lay] for a price you can lay on an exchange.
	Side Side

	// Price is the decimal odds on offer.
	Price Price

	// Size is the stake available at Price where the provider says (exchanges);
	// invalid otherwise.
	Size decimal.NullDecimal

	// Line is the handicap or total for spreads, totals and Asian handicaps,
	// from the selection's point of view (home -3.5, away +3.5); invalid for
	// markets without a line.
	Line decimal.NullDecimal

	// Status is the market's or selection's trading status. The zero value
	// is [StatusOpen].
	Status Status

	// Seq is the provider's sequence, offset or clock for this update where
	// it has one, used to order updates of one market; 0 when it has none.
	Seq uint64

	// SourceTime is when the provider says the price was published.
	SourceTime time.Time

	// ReceivedAt is when the bytes reached the collector, in nanoseconds,
	// from the collector's clock.
	ReceivedAt time.Time
}

// Status is the trading status of a market or selection.
type Status uint8

// Statuses. The zero value is StatusOpen, because a quoted price is open
// unless the provider says otherwise.
const (
	StatusOpen      Status = iota // trading
	StatusSuspended               // temporarily not trading; prices are stale
	StatusClosed                  // trading over; settled or about to be
	StatusVoid                    // cancelled; bets are void
	StatusRemoved                 // the selection was withdrawn (a non-runner)
)

var statusNames = [...]string{"open", "suspended", "closed", "void", "removed"}

// String returns the status in lower case, as it is encoded.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// MarshalText encodes s as its name.
func (s Status) MarshalText() ([]byte, error) {
	if int(s) >= len(statusNames) {
		return nil, fmt.Errorf("odds: cannot encode %v", s)
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText decodes a name written by [Status.MarshalText].
func (s *Status) UnmarshalText(text []byte) error {
	for i, n := range statusNames {
		if string(text) == n {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("%w: unknown status %q", ErrSyntax, text)
}

// Side says whether a price is one to back or to lay.
type Side uint8

// Sides. The zero value is Back: a bookmaker's quote is a price to back.
const (
	Back Side = iota
	Lay
)

// String returns "back" or "lay".
func (s Side) String() string {
	switch s {
	case Back:
		return "back"
	case Lay:
		return "lay"
	}
	return fmt.Sprintf("Side(%d)", uint8(s))
}

// MarshalText encodes s as its name.
func (s Side) MarshalText() ([]byte, error) {
	if s > Lay {
		return nil, fmt.Errorf("odds: cannot encode %v", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes "back" or "lay".
func (s *Side) UnmarshalText(text []byte) error {
	switch string(text) {
	case "back":
		*s = Back
	case "lay":
		*s = Lay
	default:
		return fmt.Errorf("%w: unknown side %q", ErrSyntax, text)
	}
	return nil
}
