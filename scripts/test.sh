#!/usr/bin/env bash
# Runs every test of every module with real servers, on a fresh Debian machine or a laptop.
#
# It installs what is missing (apt packages, staticcheck), starts PostgreSQL and Redis on
# free loopback ports in a temporary directory, exports their addresses, and sets
# ODDSFLOW_REQUIRE_INTEGRATION=1 so that an integration test whose server is missing fails
# instead of skipping. Then, for every module in go.work: gofmt, go vet, staticcheck,
# go test -race; the root module again with GOWORK=off (what users build); every fuzzer
# briefly; every benchmark once. It stops what it started on exit. Safe to run again.
#
# Environment: FUZZTIME (default 3s) per fuzzer; SKIP_FUZZ=1 and SKIP_BENCH=1 to shorten.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin"
FUZZTIME=${FUZZTIME:-3s}
STATICCHECK_VERSION=v0.8.2 # honnef.co/go/tools, the 2026.1 release line

log() { printf '\n== %s\n' "$*"; }

# --- tools -------------------------------------------------------------------------------
need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v kcat >/dev/null || need_apt+=(kcat)
pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/pg_ctl" ] || need_apt+=(postgresql-15)
if [ ${#need_apt[@]} -gt 0 ]; then
	log "installing ${need_apt[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "need root to apt-get install ${need_apt[*]}" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! command -v staticcheck >/dev/null; then
	log "installing staticcheck $STATICCHECK_VERSION"
	go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

# --- servers -----------------------------------------------------------------------------
work=$(mktemp -d /tmp/oddsflow-test.XXXXXX)
chmod 755 "$work" # the postgres user must reach its data directory
redis_port=""
ts_pid=""
cleanup() {
	set +e
	[ -n "$ts_pid" ] && kill "$ts_pid" 2>/dev/null
	[ -f "$work/pg/data/postmaster.pid" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1
	[ -n "$redis_port" ] && redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# free_port prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "no free port" >&2
	return 1
}

log "starting PostgreSQL 15"
pg_port=$(free_port)
mkdir -p "$work/pg"
chown -R postgres "$work/pg"
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); else as_pg=(); fi
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" --auth=trust --no-sync -U postgres >"$work/initdb.log" 2>&1 ||
	{ cat "$work/initdb.log"; exit 1; }
pg_opts="-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c fsync=off -c max_connections=200"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -o "$pg_opts" start >/dev/null
export ODDSFLOW_POSTGRES_URL="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
# For the fault test that stops PostgreSQL hard and starts it again.
export ODDSFLOW_PG_CTL="$pgbin/pg_ctl" ODDSFLOW_PG_DATA="$work/pg/data" ODDSFLOW_PG_OPTS="$pg_opts"
psql "$ODDSFLOW_POSTGRES_URL" -Atc 'select version()'

log "starting Redis"
redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize yes \
	--dir "$work" --pidfile "$work/redis.pid" --logfile "$work/redis.log"
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redis_port" info server | grep redis_version
export ODDSFLOW_REDIS_ADDR="127.0.0.1:$redis_port"

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

modules=$(go list -m -f '{{.Dir}}')
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
					go test -run '^$' -fuzz "^$fz\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 5s "$pkg" >"$work/fuzz.log" 2>&1 ||
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
