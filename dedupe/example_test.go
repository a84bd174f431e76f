package dedupe_test

import (
	"context"
	"fmt"
	"time"

	"github.com/oddsflow/oddsflow/dedupe"
	"github.com/oddsflow/oddsflow/odds"
)

func ExampleWindow() {
	w := dedupe.NewWindow(dedupe.WindowConfig{Window: time.Minute})
	var h odds.Hasher
	h.AddString("pinnacle/nfl-2026-00042:h2h/home/1795000000123")
	now := time.Unix(1795000000, 0)
	batch := []odds.Event{
		{ID: h.Sum(), Selection: "home", ReceivedAt: now},
		{ID: h.Sum(), Selection: "home (re-sent)", ReceivedAt: now.Add(time.Second)},
	}
	kept, _ := w.Dedupe(context.Background(), batch)
	fmt.Println(len(kept), kept[0].Selection)
	fmt.Println(w.Seen(h.Sum(), now.Add(2*time.Minute))) // the window has moved on
	fmt.Printf("%+v\n", w.Stats())
	// Output:
	// 1 home
	// false
	// {Checks:3 Duplicates:1 Expired:1 Evicted:0 Keys:1}
}
