package timescalesink_test

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oddsflow/oddsflow/odds"
	"github.com/oddsflow/oddsflow/sink/timescalesink"
)

func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("ODDSFLOW_POSTGRES_URL"))
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	s := timescalesink.New(pool, timescalesink.Config{Table: "odds_events"})
	if _, err := s.EnsureSchema(ctx); err != nil {
		panic(err)
	}
	p, _ := odds.Parse("-110")
	var h odds.Hasher
	h.AddString("example")
	err = s.Write(ctx, []odds.Event{{ID: h.Sum(), Provider: "pinnacle", Market: "nfl-2026-00042:h2h", Selection: "home", Price: p}})
	fmt.Println(err)
}
