#!/usr/bin/env bash
# Runs every test of every module with real servers, on a fresh Debian machine or a laptop.
#
# It installs what is missing (apt packages, staticcheck), starts PostgreSQL and Redis on
# free loopback ports in a temporary directory, exports their addresses, and sets
# ODDSFLOW_REQUIRE_INTEGRATION=1 so that an integration test whose server is missing fails
# instead of skipping. Then: gofmt; go mod tidy -diff in every module of go.work; in each,
# go vet, staticcheck, go test -race; the root module again with GOWORK=off (what users
# build); every fuzzer briefly; every benchmark once. It stops what it started on exit.
# Safe to run again.
#
# Environment: FUZZTIME (default 20000x: executions, not seconds) per fuzzer; SKIP_FUZZ=1 and
# SKIP_BENCH=1 to shorten. A count, because go1.26's fuzz coordinator can fail a duration-bound
# run with a bare "context deadline exceeded" as the time runs out (go.dev/issue/75804).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
FUZZTIME=${FUZZTIME:-20000x}

. scripts/servers.sh

log "starting TimescaleDB (PGlite with the timescaledb extension, from npm)"
# The issue that asked for this route allows one failure: if PGlite cannot be
# installed or started here, the DDL test says why and skips.
start_pglite() {
	local dir=sink/timescalesink/testdata/pglite port
	if [ ! -d "$dir/node_modules/@electric-sql/pglite-socket" ]; then
		(cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>"$work/npm.log") ||
			{ echo "npm install failed: $(tail -3 "$work/npm.log")" >"$work/ts_why"; return 1; }
	fi
	port=$(free_port)
	node "$dir/server.mjs" "$port" >"$work/pglite.log" 2>&1 &
	ts_pid=$!
	for _ in $(seq 1 150); do
		grep -q listening "$work/pglite.log" 2>/dev/null && break
		kill -0 "$ts_pid" 2>/dev/null || { echo "PGlite exited: $(tail -3 "$work/pglite.log")" >"$work/ts_why"; return 1; }
		sleep 0.2
	done
	grep -q listening "$work/pglite.log" || { echo "PGlite did not start in 30s" >"$work/ts_why"; return 1; }
	export ODDSFLOW_TIMESCALE_URL="postgres://postgres:postgres@127.0.0.1:$port/postgres?sslmode=disable"
}
if ! start_pglite; then
	echo "TimescaleDB route unavailable: $(cat "$work/ts_why")" >&2
	export ODDSFLOW_TIMESCALE_UNAVAILABLE="$(cat "$work/ts_why")"
fi
export ODDSFLOW_REQUIRE_INTEGRATION=1

# --- checks ------------------------------------------------------------------------------
log "gofmt"
unformatted=$(gofmt -l . | grep -v '^vendor/' || true)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

log "root module dependencies (GOWORK=off, what a consumer's graph gains)"
allowed='^(github.com/oddsflow/oddsflow|github.com/shopspring/decimal|github.com/gorilla/websocket|golang.org/x/sync|golang.org/x/time|github.com/google/go-cmp)( |$)'
extra=$(GOWORK=off go list -m all | grep -Ev "$allowed" || true)
if [ -n "$extra" ]; then
	echo "root module requires modules outside the allowed set:" >&2
	echo "$extra" >&2
	exit 1
fi
GOWORK=off go list -m all

go list -m -f '{{.Path}} {{.Dir}}' >"$work/modules"
modules=$(cut -d' ' -f2 "$work/modules")

# A module's go.mod must be what `go mod tidy` makes of it, as a user who
# builds that module alone would see it. Outside the workspace the siblings
# it requires at the placeholder version are nowhere to be found, so each is
# checked through a copy of its go.mod that replaces them with their
# directories.
log "go.mod and go.sum tidy in every module"
for dir in $modules; do
	tidy=$(mktemp -d "$work/tidy.XXXX")
	cp "$dir/go.mod" "$tidy/go.mod"
	cp "$dir/go.sum" "$tidy/go.sum" 2>/dev/null || : >"$tidy/go.sum"
	replaces=()
	while read -r path sibling; do
		[ "$sibling" = "$dir" ] || replaces+=(-replace "$path=$sibling")
	done <"$work/modules"
	GOWORK=off go mod edit "${replaces[@]}" "$tidy/go.mod"
	(cd "$dir" && GOWORK=off go mod tidy -modfile="$tidy/go.mod" -diff) ||
		{ echo ".${dir#"$root"}: go mod tidy would make the changes above" >&2; exit 1; }
done
for dir in $modules; do
	rel=${dir#"$root"}
	rel=${rel#/}
	log "module ./${rel:-.}: vet, staticcheck, test -race"
	(
		cd "$dir"
		go vet ./...
		staticcheck ./...
		go test -race -count=1 ./...
	)
done

log "root module with GOWORK=off"
GOWORK=off go test -count=1 ./...

if [ "${SKIP_FUZZ:-}" != 1 ]; then
	log "fuzzers, $FUZZTIME each"
	for dir in $modules; do
		(
			cd "$dir"
			for pkg in $(go list ./...); do
				pdir=$(go list -f '{{.Dir}}' "$pkg")
				for fz in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$pdir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
					echo "$pkg $fz"
					go test -run '^$' -fuzz "^$fz\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 1000x "$pkg" >"$work/fuzz.log" 2>&1 ||
						{ cat "$work/fuzz.log"; exit 1; }
				done
			done
		)
	done
fi

if [ "${SKIP_BENCH:-}" != 1 ]; then
	log "benchmarks, one iteration each (smoke)"
	for dir in $modules; do
		(cd "$dir" && go test -run '^$' -bench . -benchtime 1x ./... >"$work/bench.log" 2>&1) ||
			{ cat "$work/bench.log"; exit 1; }
	done
fi

log "all modules passed"
