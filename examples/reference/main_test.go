package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/oddsflow/oddsflow/internal/testenv"
)

// The direct mode stores every unique event it wrote exactly once, and
// drains before it returns.
func TestDirect(t *testing.T) {
	pgURL := testenv.Lookup(t, testenv.PostgresVar)
	redisAddr := testenv.Lookup(t, testenv.RedisVar)
	ctx := context.Background()
	table := fmt.Sprintf("odds_reference_direct_%d", time.Now().UnixNano()%1e9)
	s, err := direct(ctx, options{postgres: pgURL, redis: redisAddr, table: table,
		duration: 2 * time.Second, rate: 2000, markets: 50, streams: 2})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	defer conn.Exec(ctx, "DROP TABLE "+pgx.Identifier{table}.Sanitize())
	var rows, distinct uint64
	if err := conn.QueryRow(ctx, "SELECT count(*), count(DISTINCT id) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if s.Written == 0 || rows != s.Written || distinct != rows {
		t.Errorf("wrote %d events; table holds %d rows, %d distinct IDs", s.Written, rows, distinct)
	}
	if s.Duplicates == 0 || s.DeadLetters == 0 {
		t.Errorf("the simulated feed re-sends and sends malformed messages, yet %d duplicates and %d dead letters", s.Duplicates, s.DeadLetters)
	}
}
