package betfair

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/oddsflow/oddsflow/normalize"
	"github.com/shopspring/decimal"
)

// Cache is the state of the markets a stream subscription covers, built by
// applying market change messages in order: images replace, deltas update,
// a size of 0 removes a price level. It also keeps the stream's clocks, which
// a reconnect sends back to resume without loss.
//
// A Cache is not safe for concurrent use; [Normalizer] guards its own.
type Cache struct {
	// Markets by market ID.
	Markets map[string]*Market
	// InitialClk and Clk are the stream's resume tokens, as text (the
	// stream sends them as strings, historical files as numbers).
	InitialClk, Clk string
	// PublishTime is the "pt" of the last message applied.
	PublishTime time.Time
}

// Market is one market's cached state.
type Market struct {
	ID         string
	Definition *MarketDefinition // nil until the stream sends one
	Runners    map[RunnerKey]*Runner
	// TotalMatched is the market's traded volume ("tv"), when sent.
	TotalMatched decimal.NullDecimal
	// Conflated reports that the last change was a conflation of several.
	Conflated bool
	// PublishTime is when the last change to this market was published.
	PublishTime time.Time
}

// RunnerKey identifies a runner: its selection ID and, in handicap markets,
// its handicap ("hc"), as canonical decimal text ("" when there is none).
type RunnerKey struct {
	ID       int64
	Handicap string
}

// Runner is one runner's cached prices. Price-keyed ladders (atb, atl, trd,
// spb, spl) map canonical price text to a level; level-keyed ladders (batb,
// batl, bdatb, bdatl) map the depth, 0 being best.
type Runner struct {
	Key                      RunnerKey
	ATB, ATL, TRD, SPB, SPL  map[string]Level
	BATB, BATL, BDATB, BDATL map[int]Level
	// LTP is the last traded price, TV the traded volume, SPN and SPF the
	// near and far starting prices; each when sent.
	LTP, TV, SPN, SPF decimal.NullDecimal
}

// Level is a price and the size available (or traded) at it.
type Level struct {
	Price, Size decimal.Decimal
}

// MarketDefinition is the part of Betfair's market definition the
// normalizer uses; the rest is kept verbatim in Raw.
type MarketDefinition struct {
	Status      string          `json:"status"` // OPEN, SUSPENDED, CLOSED, INACTIVE
	InPlay      bool            `json:"inPlay"`
	Version     int64           `json:"version"`
	BettingType string          `json:"bettingType"`
	MarketType  string          `json:"marketType"`
	MarketTime  string          `json:"marketTime"`
	Runners     []RunnerDef     `json:"runners"`
	Raw         json.RawMessage `json:"-"`
}

// RunnerDef is a runner as the market definition lists it.
type RunnerDef struct {
	ID       int64        `json:"id"`
	Handicap *json.Number `json:"hc"`
	Status   string       `json:"status"` // ACTIVE, REMOVED, WINNER, LOSER, PLACED, HIDDEN
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{Markets: make(map[string]*Market)} }

// Wire shapes of a market change message ("mcm").
type message struct {
	Op          string          `json:"op"`
	Clk         json.RawMessage `json:"clk"`
	InitialClk  json.RawMessage `json:"initialClk"`
	PT          json.Number     `json:"pt"`
	CT          string          `json:"ct"` // SUB_IMAGE, RESUB_DELTA, HEARTBEAT; absent for a delta
	SegmentType string          `json:"segmentType"`
	Status      *int            `json:"status"`
	MC          []marketChange  `json:"mc"`
}

type marketChange struct {
	ID               string          `json:"id"`
	Img              bool            `json:"img"`
	Con              bool            `json:"con"`
	TV               *json.Number    `json:"tv"`
	MarketDefinition json.RawMessage `json:"marketDefinition"`
	RC               []runnerChange  `json:"rc"`
}

type runnerChange struct {
	ID    int64           `json:"id"`
	HC    *json.Number    `json:"hc"`
	ATB   [][]json.Number `json:"atb"`
	ATL   [][]json.Number `json:"atl"`
	TRD   [][]json.Number `json:"trd"`
	SPB   [][]json.Number `json:"spb"`
	SPL   [][]json.Number `json:"spl"`
	BATB  [][]json.Number `json:"batb"`
	BATL  [][]json.Number `json:"batl"`
	BDATB [][]json.Number `json:"bdatb"`
	BDATL [][]json.Number `json:"bdatl"`
	LTP   *json.Number    `json:"ltp"`
	TV    *json.Number    `json:"tv"`
	SPN   *json.Number    `json:"spn"`
	SPF   *json.Number    `json:"spf"`
}

// Change lists what one message changed, for the normalizer to emit.
type Change struct {
	Market  string
	Runners []RunnerKey // runners whose prices changed, in message order
	// Definition reports a new market definition: every runner's status may
	// have changed.
	Definition bool
}

// Apply decodes one stream message and applies it. It returns what changed.
// Control messages (connection, status) and heartbeats change nothing. A
// message that does not decode, or a stream status error (503), returns an
// error and leaves the cache as it was.
func (c *Cache) Apply(b []byte) ([]Change, error) {
	var m message
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: betfair: %v", normalize.ErrMalformed, err)
	}
	switch m.Op {
	case "mcm":
	case "connection", "status":
		return nil, nil
	case "":
		return nil, fmt.Errorf("%w: betfair: message without \"op\"", normalize.ErrMalformed)
	default:
		return nil, fmt.Errorf("%w: betfair: op %q is not a market stream message", normalize.ErrUnknownSchema, m.Op)
	}
	if m.Status != nil && *m.Status != 0 {
		return nil, fmt.Errorf("%w: status %d", ErrStreamStatus, *m.Status)
	}
	pt, err := publishTime(m.PT)
	if err != nil {
		return nil, err
	}
	// Decode everything before touching the cache, so a bad message leaves it whole.
	defs := make([]*MarketDefinition, len(m.MC))
	for i, mc := range m.MC {
		if mc.ID == "" {
			return nil, fmt.Errorf("%w: betfair: market change without an id", normalize.ErrMalformed)
		}
		if len(mc.MarketDefinition) > 0 && string(mc.MarketDefinition) != "null" {
			var d MarketDefinition
			if err := json.Unmarshal(mc.MarketDefinition, &d); err != nil {
				return nil, fmt.Errorf("%w: betfair: market %s definition: %v", normalize.ErrMalformed, mc.ID, err)
			}
			d.Raw = mc.MarketDefinition
			for _, rd := range d.Runners {
				if rd.Handicap != nil && checkNum(*rd.Handicap) != nil {
					return nil, fmt.Errorf("%w: betfair: market %s runner %d: bad handicap", normalize.ErrMalformed, mc.ID, rd.ID)
				}
			}
			defs[i] = &d
		}
		if err := validate(mc); err != nil {
			return nil, fmt.Errorf("%w: betfair: market %s: %v", normalize.ErrMalformed, mc.ID, err)
		}
	}

	if clk, ok := token(m.InitialClk); ok {
		c.InitialClk = clk
	}
	if clk, ok := token(m.Clk); ok {
		c.Clk = clk
	}
	if !pt.IsZero() {
		c.PublishTime = pt
	}
	if m.CT == "HEARTBEAT" {
		return nil, nil
	}
	// A new subscription's image replaces everything; its first segment says so.
	if m.CT == "SUB_IMAGE" && (m.SegmentType == "" || m.SegmentType == "SEG_START") {
		clear(c.Markets)
	}
	changes := make([]Change, 0, len(m.MC))
	for i, mc := range m.MC {
		changes = append(changes, c.applyMarket(mc, defs[i], pt))
	}
	return changes, nil
}

func (c *Cache) applyMarket(mc marketChange, def *MarketDefinition, pt time.Time) Change {
	mk := c.Markets[mc.ID]
	if mk == nil || mc.Img {
		old := mk
		mk = &Market{ID: mc.ID, Runners: make(map[RunnerKey]*Runner)}
		if old != nil && def == nil {
			mk.Definition = old.Definition // an image without a definition keeps the last one
		}
		c.Markets[mc.ID] = mk
	}
	ch := Change{Market: mc.ID}
	mk.Conflated = mc.Con
	if !pt.IsZero() {
		mk.PublishTime = pt
	}
	if mc.TV != nil {
		mk.TotalMatched = nullNum(*mc.TV)
	}
	if def != nil {
		mk.Definition = def
		ch.Definition = true
		for _, rd := range def.Runners {
			mk.runner(RunnerKey{ID: rd.ID, Handicap: handicap(rd.Handicap)})
		}
	}
	for _, rc := range mc.RC {
		key := RunnerKey{ID: rc.ID, Handicap: handicap(rc.HC)}
		r := mk.runner(key)
		applyPrices(r.ATB, rc.ATB)
		applyPrices(r.ATL, rc.ATL)
		applyPrices(r.TRD, rc.TRD)
		applyPrices(r.SPB, rc.SPB)
		applyPrices(r.SPL, rc.SPL)
		applyLevels(r.BATB, rc.BATB)
		applyLevels(r.BATL, rc.BATL)
		applyLevels(r.BDATB, rc.BDATB)
		applyLevels(r.BDATL, rc.BDATL)
		for _, f := range []struct {
			dst *decimal.NullDecimal
			src *json.Number
		}{{&r.LTP, rc.LTP}, {&r.TV, rc.TV}, {&r.SPN, rc.SPN}, {&r.SPF, rc.SPF}} {
			if f.src != nil {
				*f.dst = nullNum(*f.src)
			}
		}
		ch.Runners = append(ch.Runners, key)
	}
	return ch
}

func (mk *Market) runner(k RunnerKey) *Runner {
	r := mk.Runners[k]
	if r == nil {
		r = &Runner{Key: k,
			ATB: map[string]Level{}, ATL: map[string]Level{}, TRD: map[string]Level{}, SPB: map[string]Level{}, SPL: map[string]Level{},
			BATB: map[int]Level{}, BATL: map[int]Level{}, BDATB: map[int]Level{}, BDATL: map[int]Level{}}
		mk.Runners[k] = r
	}
	return r
}

// applyPrices applies [price, size] pairs; size 0 removes the price.
func applyPrices(l map[string]Level, pairs [][]json.Number) {
	for _, p := range pairs {
		price, size := num(p[0]), num(p[1])
		k := price.String()
		if size.IsZero() {
			delete(l, k)
		} else {
			l[k] = Level{Price: price, Size: size}
		}
	}
}

// applyLevels applies [level, price, size] triples; size 0 removes the level.
func applyLevels(l map[int]Level, triples [][]json.Number) {
	for _, t := range triples {
		lvl, _ := t[0].Int64()
		price, size := num(t[1]), num(t[2])
		if size.IsZero() {
			delete(l, int(lvl))
		} else {
			l[int(lvl)] = Level{Price: price, Size: size}
		}
	}
}

// validate checks a market change's shapes and numbers, so that applying it
// cannot fail half way.
func validate(mc marketChange) error {
	if mc.TV != nil {
		if err := checkNum(*mc.TV); err != nil {
			return err
		}
	}
	for _, rc := range mc.RC {
		if rc.HC != nil {
			if err := checkNum(*rc.HC); err != nil {
				return err
			}
		}
		for _, l := range [][][]json.Number{rc.ATB, rc.ATL, rc.TRD, rc.SPB, rc.SPL} {
			for _, p := range l {
				if len(p) != 2 {
					return fmt.Errorf("runner %d: a price level needs [price, size], got %d values", rc.ID, len(p))
				}
				if err := checkNums(p); err != nil {
					return fmt.Errorf("runner %d: %v", rc.ID, err)
				}
			}
		}
		for _, l := range [][][]json.Number{rc.BATB, rc.BATL, rc.BDATB, rc.BDATL} {
			for _, t := range l {
				if len(t) != 3 {
					return fmt.Errorf("runner %d: a depth level needs [level, price, size], got %d values", rc.ID, len(t))
				}
				if lvl, err := t[0].Int64(); err != nil || lvl < 0 || lvl > 1000 {
					return fmt.Errorf("runner %d: bad level %q", rc.ID, t[0])
				}
				if err := checkNums(t[1:]); err != nil {
					return fmt.Errorf("runner %d: %v", rc.ID, err)
				}
			}
		}
		for _, n := range []*json.Number{rc.LTP, rc.TV, rc.SPN, rc.SPF} {
			if n != nil {
				if err := checkNum(*n); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkNums(ns []json.Number) error {
	for _, n := range ns {
		if err := checkNum(n); err != nil {
			return err
		}
	}
	return nil
}

// checkNum accepts a JSON number of sane size: no exponent beyond ±30, which
// would let a short field cost megabytes of digits.
func checkNum(n json.Number) error {
	d, err := decimal.NewFromString(string(n))
	if err != nil || d.Exponent() > 30 || d.Exponent() < -30 || len(n) > 40 {
		return fmt.Errorf("bad number %q", string(n))
	}
	return nil
}

// num converts a number checkNum accepted.
func num(n json.Number) decimal.Decimal {
	d, _ := decimal.NewFromString(string(n))
	return d
}

func nullNum(n json.Number) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: num(n), Valid: true}
}

func handicap(n *json.Number) string {
	if n == nil {
		return ""
	}
	if checkNum(*n) != nil {
		return string(*n) // validate rejects it before it is used as a key
	}
	d := num(*n)
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// token reads a clock, which the stream sends as a string and historical
// files as a number.
func token(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// publishTime reads "pt": Unix milliseconds, or seconds in some recordings
// (any value below 10^11, which as milliseconds would predate 1974).
func publishTime(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	d, err := decimal.NewFromString(string(n))
	if err != nil || d.Sign() < 0 || d.Exponent() > 3 || d.Exponent() < -9 || len(n) > 24 {
		return time.Time{}, fmt.Errorf("%w: betfair: bad \"pt\" %q", normalize.ErrMalformed, string(n))
	}
	if d.LessThan(decimal.New(1, 11)) {
		d = d.Shift(3)
	}
	return time.UnixMilli(d.IntPart()).UTC(), nil
}

// Best returns the best price to back, or to lay, and its size: level 0 of
// the best-offers ladder (batb/batl) when the subscription sends it, else of
// the virtual ladder (bdatb/bdatl), else the best of the full ladder
// (atb/atl: highest to back, lowest to lay).
func (r *Runner) Best(lay bool) (Level, bool) {
	levels, depth, full := r.BATB, r.BDATB, r.ATB
	if lay {
		levels, depth, full = r.BATL, r.BDATL, r.ATL
	}
	if l, ok := levels[0]; ok {
		return l, true
	}
	if l, ok := depth[0]; ok {
		return l, true
	}
	var best Level
	found := false
	for _, l := range full {
		if !found || (!lay && l.Price.GreaterThan(best.Price)) || (lay && l.Price.LessThan(best.Price)) {
			best, found = l, true
		}
	}
	return best, found
}

// Status returns the runner's status in the market's definition, or "".
func (mk *Market) Status(k RunnerKey) string {
	if mk.Definition == nil {
		return ""
	}
	for _, rd := range mk.Definition.Runners {
		if rd.ID == k.ID && handicap(rd.Handicap) == k.Handicap {
			return rd.Status
		}
	}
	return ""
}

// String renders the market for golden files: definition status, then each
// runner's ladders sorted (back ladders best first, lay ladders best first).
func (mk *Market) String() string {
	var b strings.Builder
	status := "-"
	if mk.Definition != nil {
		status = fmt.Sprintf("%s inPlay=%v version=%d", mk.Definition.Status, mk.Definition.InPlay, mk.Definition.Version)
	}
	fmt.Fprintf(&b, "market %s %s tv=%s\n", mk.ID, status, nullString(mk.TotalMatched))
	keys := make([]RunnerKey, 0, len(mk.Runners))
	for k := range mk.Runners {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ID != keys[j].ID {
			return keys[i].ID < keys[j].ID
		}
		return keys[i].Handicap < keys[j].Handicap
	})
	for _, k := range keys {
		r := mk.Runners[k]
		fmt.Fprintf(&b, "  runner %d%s status=%s ltp=%s tv=%s\n", k.ID, hcSuffix(k.Handicap), mk.Status(k), nullString(r.LTP), nullString(r.TV))
		for _, l := range []struct {
			name string
			m    map[string]Level
			desc bool
		}{{"atb", r.ATB, true}, {"atl", r.ATL, false}, {"trd", r.TRD, false}, {"spb", r.SPB, true}, {"spl", r.SPL, false}} {
			if len(l.m) > 0 {
				fmt.Fprintf(&b, "    %s %s\n", l.name, formatLevels(sortedPrices(l.m, l.desc)))
			}
		}
		for _, l := range []struct {
			name string
			m    map[int]Level
		}{{"batb", r.BATB}, {"batl", r.BATL}, {"bdatb", r.BDATB}, {"bdatl", r.BDATL}} {
			if len(l.m) > 0 {
				fmt.Fprintf(&b, "    %s %s\n", l.name, formatDepth(l.m))
			}
		}
	}
	return b.String()
}

func hcSuffix(hc string) string {
	if hc == "" {
		return ""
	}
	return " hc=" + hc
}

func nullString(d decimal.NullDecimal) string {
	if !d.Valid {
		return "-"
	}
	return d.Decimal.String()
}

func sortedPrices(m map[string]Level, desc bool) []Level {
	out := make([]Level, 0, len(m))
	for _, l := range m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if desc {
			return out[i].Price.GreaterThan(out[j].Price)
		}
		return out[i].Price.LessThan(out[j].Price)
	})
	return out
}

func formatDepth(m map[int]Level) string {
	lvls := make([]int, 0, len(m))
	for k := range m {
		lvls = append(lvls, k)
	}
	sort.Ints(lvls)
	parts := make([]string, len(lvls))
	for i, k := range lvls {
		parts[i] = fmt.Sprintf("%d:%s@%s", k, m[k].Price, m[k].Size)
	}
	return strings.Join(parts, " ")
}

func formatLevels(ls []Level) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.Price.String() + "@" + l.Size.String()
	}
	return strings.Join(parts, " ")
}
