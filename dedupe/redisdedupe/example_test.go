package redisdedupe_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/oddsflow/oddsflow/dedupe/redisdedupe"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/redis/go-redis/v9"
)

func Example() {
	addr := os.Getenv("ODDSFLOW_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	d := redisdedupe.New(rdb, redisdedupe.Config{
		Prefix:      fmt.Sprintf("example:%d:", time.Now().UnixNano()),
		Window:      10 * time.Minute,
		Unavailable: redisdedupe.Fallback,
		OnFallback:  func(err error) { fmt.Println("deduplicating locally:", err) },
	})
	var h odds.Hasher
	h.AddString("pinnacle/nfl-2026-00042:h2h/home/1795000000123")
	kept, err := d.Dedupe(context.Background(), []odds.Event{{ID: h.Sum()}, {ID: h.Sum()}})
	fmt.Println(len(kept), err)
}
