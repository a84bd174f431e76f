// Package redisdedupe shares a deduplication window between processes
// through Redis, so normalizers scaled out across machines drop each
// other's duplicates.
//
// Each batch costs one round trip: a pipeline of SET key 1 NX PX window, one
// per event; an event is new when its SET succeeded. The window therefore
// runs on Redis' clock from the first process that saw the ID.
//
// When Redis cannot be reached, [Deduper.Dedupe] either fails, so the caller
// retries or stops (the default, and the only choice that never lets a
// duplicate through), or falls back to a local [dedupe.Window] and says so
// through [Config.OnFallback]: the pipeline keeps flowing, and another
// process may pass a duplicate that only Redis would have caught.
package redisdedupe

import (
	"context"
	"fmt"
	"time"

	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/redis/go-redis/v9"
)

// Policy is what Dedupe does when Redis cannot be reached.
type Policy uint8

const (
	// Fail returns the error; the batch is undecided. The default.
	Fail Policy = iota
	// Fallback dedupes the batch in a local window instead.
	Fallback
)

// Config configures a [Deduper]. The zero value is usable.
type Config struct {
	// Prefix starts every key (default "oddsflow:dedupe:").
	Prefix string
	// Window is how long Redis remembers an ID (default 10 minutes).
	Window time.Duration
	// Unavailable is the policy when Redis cannot be reached.
	Unavailable Policy
	// Local is the window used under the Fallback policy (default a new
	// [dedupe.Window] of the same length). It also records every ID Redis
	// admits, so a fallback starts warm.
	Local *dedupe.Window
	// OnFallback, when set, is called with the Redis error each time a batch
	// is deduplicated locally instead. It must not block.
	OnFallback func(err error)
}

// Deduper is a [dedupe.Deduper] backed by Redis. It is safe for concurrent use.
type Deduper struct {
	client redis.UniversalClient
	cfg    Config
}

var _ dedupe.Deduper = (*Deduper)(nil)

// New returns a Deduper that uses client, which the caller configures and closes.
func New(client redis.UniversalClient, cfg Config) *Deduper {
	if cfg.Prefix == "" {
		cfg.Prefix = "oddsflow:dedupe:"
	}
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Minute
	}
	if cfg.Local == nil && cfg.Unavailable == Fallback {
		cfg.Local = dedupe.NewWindow(dedupe.WindowConfig{Window: cfg.Window})
	}
	return &Deduper{client: client, cfg: cfg}
}

// Dedupe implements [dedupe.Deduper] with one pipeline round trip.
func (d *Deduper) Dedupe(ctx context.Context, batch []odds.Event) ([]odds.Event, error) {
	if len(batch) == 0 {
		return batch, nil
	}
	cmds := make([]*redis.BoolCmd, len(batch))
	key := make([]byte, 0, len(d.cfg.Prefix)+32)
	_, err := d.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range batch {
			key = append(key[:0], d.cfg.Prefix...)
			key, _ = batch[i].ID.AppendText(key)
			cmds[i] = p.SetNX(ctx, string(key), 1, d.cfg.Window)
		}
		return nil
	})
	if err != nil {
		if d.cfg.Unavailable == Fallback && ctx.Err() == nil {
			if d.cfg.OnFallback != nil {
				d.cfg.OnFallback(err)
			}
			return d.cfg.Local.Dedupe(ctx, batch)
		}
		return batch, fmt.Errorf("redisdedupe: %w", err)
	}
	kept := batch[:0]
	for i := range batch {
		if cmds[i].Val() {
			if d.cfg.Local != nil {
				d.cfg.Local.Seen(batch[i].ID, dedupe.ReceiveTime.At(&batch[i]))
			}
			kept = append(kept, batch[i])
		}
	}
	return kept, nil
}
