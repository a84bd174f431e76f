// Package testenv finds the servers that integration tests talk to.
//
// scripts/test.sh starts PostgreSQL and Redis on loopback, exports their
// addresses, and sets ODDSFLOW_REQUIRE_INTEGRATION=1. A plain `go test` on a
// laptop has none of these, and integration tests skip; under the script a
// missing server fails the test instead, so CI cannot go green on skips.
package testenv

import (
	"os"
	"testing"
)

// Names of the environment variables scripts/test.sh exports.
const (
	RequireVar  = "ODDSFLOW_REQUIRE_INTEGRATION"
	PostgresVar = "ODDSFLOW_POSTGRES_URL" // postgres://user@127.0.0.1:port/db?sslmode=disable
	RedisVar    = "ODDSFLOW_REDIS_ADDR"   // 127.0.0.1:port
)

// Required reports whether integration tests must run rather than skip.
func Required() bool { return os.Getenv(RequireVar) == "1" }

// Lookup returns the value of the environment variable name. When it is
// unset, the test skips, or fails if integration tests are required.
func Lookup(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Unavailable(t, "%s is not set", name)
	}
	return v
}

// Unavailable ends a test whose server or tool is missing: a skip, or a
// failure when integration tests are required.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("integration test cannot run under "+RequireVar+"=1: "+format, args...)
	}
	t.Skipf("skipping integration test: "+format, args...)
}
