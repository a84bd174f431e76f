#!/usr/bin/env bash
# Runs the reference architecture on loopback: starts PostgreSQL, Redis and a kfake Kafka
# cluster, runs examples/reference (WebSocket -> odds.raw -> normalizers -> odds.normalized ->
# PostgreSQL + Redis) for DURATION (default 30s), then prints row counts and latency.
#
# usage: scripts/demo.sh [extra flags for examples/reference]   env: DURATION, RATE
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/servers.sh

log "starting a kfake Kafka cluster"
kport=$(free_port)
go build -o "$work/kfake" ./examples/kfake
go build -o "$work/reference" ./examples/reference
"$work/kfake" -ports "$kport" -partitions 6 -topics odds.raw,odds.normalized >"$work/kfake.log" 2>&1 &
kfake_pid=$!
trap 'kill $kfake_pid 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do grep -q listening "$work/kfake.log" && break; sleep 0.1; done

log "running the reference pipeline for ${DURATION:-30s}"
"$work/reference" -kafka "127.0.0.1:$kport" -postgres "$ODDSFLOW_POSTGRES_URL" -redis "$ODDSFLOW_REDIS_ADDR" \
	-duration "${DURATION:-30s}" -rate "${RATE:-5000}" "$@" | tail -4

log "what was stored"
psql "$ODDSFLOW_POSTGRES_URL" -c "SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids, count(DISTINCT market) AS markets FROM odds_events"
echo "redis hashes: $(redis-cli -p "${ODDSFLOW_REDIS_ADDR##*:}" --scan --pattern 'odds:*' | wc -l)"
