package collect

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// On an injected clock: delays grow while attempts fail, start over after a
// connection stays healthy for ResetAfter, and the Down hook fires once per
// outage, after DownThreshold.
func TestReconnectorBackoffAndDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var downs []time.Duration
		var attempts []int
		policy := Backoff{Initial: 10 * time.Millisecond, Max: time.Second, ResetAfter: time.Minute, Seed: 3}
		rc := newReconnector("p", Hooks{
			Down:               func(_ string, d time.Duration) { downs = append(downs, d) },
			ReconnectScheduled: func(_ string, n int, _ time.Duration) { attempts = append(attempts, n) },
		}, policy, 100*time.Millisecond, nil)
		ctx := context.Background()
		fail := errors.New("refused")
		if err := rc.wait(ctx, nil); err != nil { // the first attempt goes at once
			t.Fatal(err)
		}
		for range 8 { // an outage: every attempt fails
			rc.down(fail)
			if err := rc.wait(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
		if len(downs) != 1 || downs[0] < 100*time.Millisecond {
			t.Errorf("Down fired %v, want once after 100ms", downs)
		}
		rc.up()
		time.Sleep(2 * time.Minute) // virtual time: the connection stays healthy
		rc.down(fail)
		rc.wait(ctx, nil)
		if attempts[len(attempts)-1] != 1 {
			t.Errorf("attempts %v: a healthy spell should start the delays over", attempts)
		}
		rc.up()
		rc.down(fail) // dropped at once: no reset, and a new outage
		rc.wait(ctx, nil)
		if attempts[len(attempts)-1] != 2 {
			t.Errorf("attempts %v: a connection that dropped at once must not reset the backoff", attempts)
		}
		closed := make(chan struct{})
		close(closed)
		if err := rc.wait(ctx, closed); !errors.Is(err, ErrClosed) {
			t.Errorf("wait after close: %v", err)
		}
	})
}
