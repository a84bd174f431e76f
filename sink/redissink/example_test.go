package redissink_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink/redissink"
	"github.com/redis/go-redis/v9"
)

func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("ODDSFLOW_REDIS_ADDR")})
	defer rdb.Close()
	cache := redissink.New(rdb, redissink.Config{Prefix: "odds:", TTL: 6 * time.Hour, Publish: true})

	newer, _ := odds.Parse("-115")
	older, _ := odds.Parse("-110")
	t := time.Unix(1795000000, 0)
	cache.Write(ctx, []odds.Event{
		{Provider: "pinnacle", Market: "nfl-2026-00042:h2h", Selection: "home", Price: newer, SourceTime: t.Add(time.Second)},
		{Provider: "pinnacle", Market: "nfl-2026-00042:h2h", Selection: "home", Price: older, SourceTime: t}, // late: ignored
	})
	latest, _ := cache.Latest(ctx, "nfl-2026-00042:h2h")
	fmt.Println(latest[0].Price.American())
}
