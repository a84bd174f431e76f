// Package odds is the vocabulary of oddsflow: exact prices, the canonical odds
// event, and the market arithmetic (overround, fair probabilities) that every
// other package speaks. It does no I/O and keeps no state.
//
// # Prices
//
// A [Price] is decimal odds held exactly in a [decimal.Decimal]; float64 never
// touches it. Constructors accept every notation a feed sends and validate it:
//
//	p, err := odds.Parse("-110")     // American
//	p, err = odds.Parse("5/2")       // fractional
//	p, err = odds.Parse("2.50")      // decimal
//	p, err = odds.FromAmerican(-110) // from an integer, 0 allocations
//
// Invalid input returns an error that wraps [ErrInvalidOdds] and names the
// offending value.
//
// # Conventions
//
// Every choice below is deliberate; the tests pin each one.
//
//   - Decimal odds must be greater than 1. A price of exactly 1 returns nothing
//     and is rejected.
//   - American odds must be at most -100 or at least +100; the open interval
//     (-100, +100) is invalid. -100 and +100 both mean decimal 2.
//   - [Price.American] of decimal 2 is +100: "even money" is quoted as +100 by
//     US books. Decimal odds of 2 and above give positive American odds.
//   - Fractions need a positive numerator and denominator.
//   - A price so short that rounding to [Places] leaves decimal odds of 1
//     (American -10^11, fraction 1/10^11) is rejected rather than rounded to
//     a price that pays nothing.
//   - A conversion whose result terminates within [Places] decimal places is
//     exact. One that does not (-110 is 21/11 = 1.909090…) is rounded half away
//     from zero to [Places] places. [Price.American] rounds to 2 places and
//     [Price.Implied] to [Places] places, both half away from zero.
//   - [Parse] reads a signed number as American ("+150", "-110", and the
//     Unicode minus sign "−110"), a number with a slash as a fraction, "EVEN",
//     "EVENS" or "EVS" (any case) as decimal 2, and an unsigned number as
//     decimal odds: "150" is decimal 150, since that is a valid decimal price
//     and American odds always carry their sign in feeds.
//
// # Events
//
// An [Event] is one price of one selection in one market from one provider at
// one moment. Its [ID] is a deterministic 128-bit hash of what identifies the
// provider update, so a re-sent update has the same ID and can be deduplicated.
//
// # Market arithmetic
//
// [Overround] measures a book's margin; [RemoveMargin] turns a book into fair
// probabilities and fair prices by the multiplicative, additive, power or
// Shin method, reporting iterations and convergence for the iterative ones.
package odds
