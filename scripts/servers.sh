# Shared by scripts/test.sh, demo.sh and bench.sh: installs what is missing
# and starts PostgreSQL 15 and Redis on free loopback ports in a temporary
# directory ($work), exporting their addresses. Source it: it stops them on exit.

log() { printf '\n== %s\n' "$*"; }
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin"
STATICCHECK_VERSION=v0.8.2 # honnef.co/go/tools, the 2026.1 release line

# --- tools -------------------------------------------------------------------------------
need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v chromium >/dev/null || need_apt+=(chromium) # the browser board's end-to-end test
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
# wal_init_zero=off: a fresh cluster creates every WAL segment it fills, and by default
# writes its 16 MB of zeros first while holding the WAL write lock. At P4's 40K rows/s that
# is a new segment every 1.2 s, and each stalled every COPY in flight for 45-75 ms (the
# server's log_min_duration_statement shows them in step): with PostgreSQL its only sink,
# P4's p99 was 44-54 ms with it and 1.8-2.6 ms without. A server that has run a while
# recycles its old segments instead.
pg_opts="-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c fsync=off -c wal_init_zero=off -c max_connections=200"
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

