package odds

import "errors"

// Errors returned by this package. They are wrapped with the offending value,
// so check them with [errors.Is].
var (
	// ErrInvalidOdds reports a price outside the valid range of its notation,
	// or text that is not a price at all.
	ErrInvalidOdds = errors.New("odds: invalid odds")

	// ErrSyntax reports text that is not a price in any notation [Parse]
	// knows. Errors that wrap it also wrap [ErrInvalidOdds].
	ErrSyntax = errors.New("odds: syntax error")

	// ErrInvalidProbability reports a probability outside the open interval (0, 1).
	ErrInvalidProbability = errors.New("odds: invalid probability")

	// ErrEmptyMarket reports market arithmetic asked of fewer than two prices.
	ErrEmptyMarket = errors.New("odds: a market needs at least two prices")
)
