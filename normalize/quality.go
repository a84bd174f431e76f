package normalize

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/shopspring/decimal"
)

// ErrQuality reports an event that failed a data-quality check. The error
// is a *QualityError; errors.Is(err, ErrQuality) finds it.
var ErrQuality = errors.New("normalize: data quality")

// Check names a data-quality check.
type Check uint8

// The checks of [Quality].
const (
	PriceRange    Check = iota + 1 // price outside [MinPrice, MaxPrice]
	OverroundBand                  // the market's overround outside [MinOverround, MaxOverround]
	LineJump                       // a line moved further than MaxLineJump in one update
	ClockSkew                      // provider time further than MaxClockSkew from receive time
)

var checkNames = [...]string{PriceRange: "price range", OverroundBand: "overround band", LineJump: "line jump", ClockSkew: "clock skew"}

// String returns the check's name.
func (c Check) String() string {
	if int(c) < len(checkNames) && checkNames[c] != "" {
		return checkNames[c]
	}
	return fmt.Sprintf("Check(%d)", uint8(c))
}

// QualityError is one failed check.
type QualityError struct {
	Check  Check
	Detail string
}

// Error describes the failed check.
func (e *QualityError) Error() string {
	return "normalize: data quality: " + e.Check.String() + ": " + e.Detail
}

// Is makes errors.Is(err, ErrQuality) true.
func (e *QualityError) Is(target error) bool { return target == ErrQuality }

// QualityConfig sets the checks' bounds. A zero bound turns its check off.
type QualityConfig struct {
	// MinPrice and MaxPrice bound believable decimal odds, such as 1.001 and 1001.
	MinPrice, MaxPrice decimal.Decimal
	// MinOverround and MaxOverround bound a market's overround (see
	// [odds.Overround]) over the latest price of each selection a provider
	// quotes, such as -0.02 and 0.25. Checked once a market has two selections.
	MinOverround, MaxOverround decimal.Decimal
	// MaxLineJump bounds how far a selection's line may move in one update.
	MaxLineJump decimal.Decimal
	// MaxClockSkew bounds |ReceivedAt - SourceTime|.
	MaxClockSkew time.Duration
}

// Quality runs data-quality checks on events. It keeps the latest price and
// line of each selection it has seen, for the overround and line checks. It
// is safe for concurrent use.
type Quality struct {
	cfg    QualityConfig
	mu     sync.Mutex
	books  map[bookKey]map[string]odds.Price // provider+market+side -> selection -> price
	lines  map[selectionKey]decimal.Decimal  // the latest line of each selection
	checkO bool
}

type selectionKey struct {
	provider, market, selection string
	side                        odds.Side
}

type bookKey struct {
	provider, market string
	side             odds.Side
}

// NewQuality returns a Quality with the given bounds.
func NewQuality(cfg QualityConfig) *Quality {
	return &Quality{
		cfg:    cfg,
		books:  make(map[bookKey]map[string]odds.Price),
		lines:  make(map[selectionKey]decimal.Decimal),
		checkO: !cfg.MinOverround.IsZero() || !cfg.MaxOverround.IsZero(),
	}
}

// Check runs every enabled check on e, records e's price and line, and
// returns the failures joined, or nil.
func (q *Quality) Check(e *odds.Event) error {
	var errs []error
	d := e.Price.Decimal()
	if (!q.cfg.MinPrice.IsZero() && d.LessThan(q.cfg.MinPrice)) || (!q.cfg.MaxPrice.IsZero() && d.GreaterThan(q.cfg.MaxPrice)) {
		errs = append(errs, &QualityError{PriceRange, fmt.Sprintf("%s %s price %s", e.Market, e.Selection, d)})
	}
	if q.cfg.MaxClockSkew > 0 && !e.SourceTime.IsZero() && !e.ReceivedAt.IsZero() {
		skew := e.ReceivedAt.Sub(e.SourceTime)
		if skew > q.cfg.MaxClockSkew || skew < -q.cfg.MaxClockSkew {
			errs = append(errs, &QualityError{ClockSkew, fmt.Sprintf("%s received %v after its provider time", e.Market, skew)})
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.cfg.MaxLineJump.IsZero() && e.Line.Valid {
		k := selectionKey{provider: e.Provider, market: e.Market, selection: e.Selection, side: e.Side}
		if prev, ok := q.lines[k]; ok && e.Line.Decimal.Sub(prev).Abs().GreaterThan(q.cfg.MaxLineJump) {
			errs = append(errs, &QualityError{LineJump, fmt.Sprintf("%s %s line %s -> %s", e.Market, e.Selection, prev, e.Line.Decimal)})
		}
		q.lines[k] = e.Line.Decimal
	}
	if q.checkO && e.Status == odds.StatusOpen {
		bk := bookKey{e.Provider, e.Market, e.Side}
		book := q.books[bk]
		if book == nil {
			book = make(map[string]odds.Price)
			q.books[bk] = book
		}
		book[e.Selection] = e.Price
		if len(book) >= 2 {
			prices := make([]odds.Price, 0, len(book))
			for _, p := range book {
				prices = append(prices, p)
			}
			if o, err := odds.Overround(prices); err == nil &&
				((!q.cfg.MinOverround.IsZero() && o.LessThan(q.cfg.MinOverround)) || (!q.cfg.MaxOverround.IsZero() && o.GreaterThan(q.cfg.MaxOverround))) {
				errs = append(errs, &QualityError{OverroundBand, fmt.Sprintf("%s %s overround %s", e.Provider, e.Market, o)})
			}
		}
	}
	return errors.Join(errs...)
}
