package odds

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Method is a way to remove a bookmaker's margin from a set of prices.
type Method uint8

// The margin-removal methods of [RemoveMargin].
const (
	// Multiplicative scales every implied probability by the same factor:
	// p = π / Σπ. Closed form.
	Multiplicative Method = iota
	// Additive subtracts an equal share of the margin from every implied
	// probability: p = π - (Σπ-1)/n. Closed form; a long shot can come out
	// negative, which is an error.
	Additive
	// Power raises every implied probability to the same exponent k, found
	// by Newton's method so that Σπ^k = 1. Iterative.
	Power
	// Shin models a share z of insider money (Shin, 1993) and solves for z by
	// bisection so that the probabilities sum to 1. Iterative; needs Σπ >= 1.
	Shin
)

// String returns the method's name in lower case.
func (m Method) String() string {
	switch m {
	case Multiplicative:
		return "multiplicative"
	case Additive:
		return "additive"
	case Power:
		return "power"
	case Shin:
		return "shin"
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// Fair is the result of [RemoveMargin].
type Fair struct {
	Method Method
	// Probabilities are the fair probabilities, in the order of the prices,
	// rounded to [Places].
	Probabilities []decimal.Decimal
	// Prices are the fair prices 1/p, rounded to [Places].
	Prices []Price
	// Margin is the book's overround before removal, as from [Overround].
	Margin decimal.Decimal
	// Residual is |Σp - 1| of the unrounded probabilities: how far the
	// method is from a proper distribution. Zero for the closed forms.
	Residual decimal.Decimal
	// Iterations is how many steps an iterative method took; 0 for closed forms.
	Iterations int
	// Converged reports whether the residual fell below the tolerance, 1e-15.
	// The closed forms always converge.
	Converged bool
	// Parameter is the fitted exponent k for Power and the insider share z
	// for Shin; zero otherwise.
	Parameter decimal.Decimal
}

// Internal precision of the iterative methods, well beyond [Places] so the
// rounded results are stable in their last place.
const (
	workPlaces = 24
	maxIter    = 200
)

var tolerance = decimal.New(1, -15)

// Overround returns the book's margin: the sum of the implied probabilities
// minus 1, rounded to [Places]. 1.91/1.91 gives 0.0471204188. A negative
// result means the prices together pay more than they take (an arbitrage
// across books).
func Overround(prices []Price) (decimal.Decimal, error) {
	inv, err := implied(prices)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return sum(inv).Sub(one).Round(Places), nil
}

// implied returns 1/d for every price at working precision.
func implied(prices []Price) ([]decimal.Decimal, error) {
	if len(prices) < 2 {
		return nil, fmt.Errorf("%w: got %d", ErrEmptyMarket, len(prices))
	}
	inv := make([]decimal.Decimal, len(prices))
	for i, p := range prices {
		if p.d.Cmp(one) <= 0 {
			return nil, fmt.Errorf("%w: price %d is %s", ErrInvalidOdds, i, p.d)
		}
		inv[i] = one.DivRound(p.d, workPlaces)
	}
	return inv, nil
}

func sum(xs []decimal.Decimal) decimal.Decimal {
	var s decimal.Decimal
	for _, x := range xs {
		s = s.Add(x)
	}
	return s
}

// RemoveMargin returns the fair probabilities and fair prices of a book by
// method m. The prices are the book's mutually exclusive, exhaustive outcomes.
func RemoveMargin(prices []Price, m Method) (Fair, error) {
	inv, err := implied(prices)
	if err != nil {
		return Fair{}, err
	}
	booksum := sum(inv)
	f := Fair{Method: m, Margin: booksum.Sub(one).Round(Places), Converged: true}
	var probs []decimal.Decimal
	switch m {
	case Multiplicative:
		probs = make([]decimal.Decimal, len(inv))
		for i, x := range inv {
			probs[i] = x.DivRound(booksum, workPlaces)
		}
	case Additive:
		share := booksum.Sub(one).DivRound(decimal.NewFromInt(int64(len(inv))), workPlaces)
		probs = make([]decimal.Decimal, len(inv))
		for i, x := range inv {
			probs[i] = x.Sub(share)
		}
	case Power:
		probs, err = power(inv, &f)
	case Shin:
		probs, err = shin(inv, booksum, &f)
	default:
		return Fair{}, fmt.Errorf("odds: unknown margin method %d", uint8(m))
	}
	if err != nil {
		return Fair{}, err
	}
	f.Probabilities = make([]decimal.Decimal, len(probs))
	f.Prices = make([]Price, len(probs))
	for i, p := range probs {
		if p.Sign() <= 0 || p.Cmp(one) >= 0 {
			return Fair{}, fmt.Errorf("%w: %s gives outcome %d probability %s", ErrInvalidProbability, m, i, p.Round(Places))
		}
		f.Probabilities[i] = p.Round(Places)
		f.Prices[i] = Price{d: one.DivRound(p, Places)}
	}
	f.Residual = sum(probs).Sub(one).Abs()
	if m == Multiplicative || m == Additive {
		f.Residual = decimal.Zero // exact up to the working precision by construction
	}
	return f, nil
}

// power solves Σπ^k = 1 for k by Newton's method from k = 1.
func power(inv []decimal.Decimal, f *Fair) ([]decimal.Decimal, error) {
	logs := make([]decimal.Decimal, len(inv))
	for i, x := range inv {
		l, err := x.Ln(workPlaces)
		if err != nil {
			return nil, fmt.Errorf("odds: power method: %w", err)
		}
		logs[i] = l
	}
	k := one
	probs := make([]decimal.Decimal, len(inv))
	f.Converged = false
	for f.Iterations = 1; f.Iterations <= maxIter; f.Iterations++ {
		var total, slope decimal.Decimal
		for i, l := range logs {
			p, err := k.Mul(l).ExpTaylor(workPlaces)
			if err != nil {
				return nil, fmt.Errorf("odds: power method: %w", err)
			}
			probs[i] = p
			total = total.Add(p)
			slope = slope.Add(p.Mul(l))
		}
		resid := total.Sub(one)
		if resid.Abs().Cmp(tolerance) < 0 {
			f.Converged = true
			break
		}
		if slope.IsZero() {
			break
		}
		k = k.Sub(resid.DivRound(slope, workPlaces)).Round(workPlaces)
	}
	f.Iterations = min(f.Iterations, maxIter)
	f.Parameter = k.Round(Places)
	return probs, nil
}

// shin solves for the insider share z in [0, 1) by bisection, with
// p(z) = (sqrt(z² + 4(1-z)π²/Σπ) - z) / (2(1-z)), so that Σp(z) = 1.
// Σp falls as z rises, from sqrt(Σπ) at z = 0.
func shin(inv []decimal.Decimal, booksum decimal.Decimal, f *Fair) ([]decimal.Decimal, error) {
	if booksum.Cmp(one) < 0 {
		return nil, fmt.Errorf("%w: Shin's method needs a booksum of at least 1, got %s", ErrInvalidProbability, booksum.Round(Places))
	}
	four := decimal.NewFromInt(4)
	sq := make([]decimal.Decimal, len(inv))
	for i, x := range inv {
		sq[i] = x.Mul(x).DivRound(booksum, workPlaces)
	}
	probs := make([]decimal.Decimal, len(inv))
	eval := func(z decimal.Decimal) (decimal.Decimal, error) {
		var total decimal.Decimal
		w := one.Sub(z)
		for i, s := range sq {
			r, err := z.Mul(z).Add(four.Mul(w).Mul(s)).SqrtRound(workPlaces)
			if err != nil {
				return decimal.Decimal{}, err
			}
			probs[i] = r.Sub(z).DivRound(two.Mul(w), workPlaces)
			total = total.Add(probs[i])
		}
		return total, nil
	}
	lo, hi := decimal.Zero, decimal.New(999999, -6)
	z := lo
	f.Converged = false
	for f.Iterations = 1; f.Iterations <= maxIter; f.Iterations++ {
		total, err := eval(z)
		if err != nil {
			return nil, fmt.Errorf("odds: Shin's method: %w", err)
		}
		resid := total.Sub(one)
		if resid.Abs().Cmp(tolerance) < 0 {
			f.Converged = true
			break
		}
		if resid.Sign() > 0 {
			lo = z
		} else {
			hi = z
		}
		z = lo.Add(hi).Mul(decimal.New(5, -1)).Round(workPlaces) // exact halving
	}
	f.Iterations = min(f.Iterations, maxIter)
	f.Parameter = z.Round(Places)
	return probs, nil
}
