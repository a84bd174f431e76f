#!/usr/bin/env bash
# Benchmarks behind the README's tables. Every figure that is compared with another is
# measured in the same run, since the machines are noisy.
#
# usage: scripts/bench.sh [section...]
#   sections: odds peer dedupe collect sinks book fanout pipeline scale pgo
#   (default: odds peer dedupe collect sinks book fanout)
#   pgo:      rewrites internal/cmd/normbench/default.pgo, the profile go build uses for it
#   pipeline: P5 (in-process, 200K msgs/s), P4 (WebSocket to PostgreSQL, 20K msgs/s, 60s,
#             in one pipeline and through Kafka),
#             P6 (125K msgs/s into PostgreSQL + Redis for 60s, rows and RSS)
#   scale:    two normalizer processes in one group on 6 partitions, one killed with -9 mid-run
# PEER_MESSAGES sets the peer feed's size (default 500000 messages, about 1M events);
# PIPELINE_SECONDS shortens P4 and P6 (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
sections=${*:-odds peer dedupe collect sinks book fanout}
servers_up=""
bench_work=$(mktemp -d)

need_servers() {
	if [ -z "$servers_up" ]; then
		. scripts/servers.sh
		trap 'rm -rf "$bench_work"; cleanup' EXIT
		servers_up=1
	fi
}
trap 'rm -rf "$bench_work"' EXIT

start_kfake() { # prints the broker address; the cluster dies with this script
	local port
	port=$(free_port)
	go build -o "$bench_work/kfake" ./examples/kfake
	"$bench_work/kfake" -ports "$port" -partitions 6 -topics odds.raw,odds.normalized >"$bench_work/kfake.log" 2>&1 &
	echo "$!" >"$bench_work/kfake.pid"
	for _ in $(seq 1 100); do grep -q listening "$bench_work/kfake.log" && break; sleep 0.1; done
	echo "127.0.0.1:$port"
}
stop_kfake() { kill "$(cat "$bench_work/kfake.pid")" 2>/dev/null || true; }

# cpu_snap prints the machine's CPU ticks so far: busy, idle, stolen by the hypervisor.
cpu_snap() { awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6, $9}' /proc/stat; }
# host_cpu SNAP: what the CPUs did since cpu_snap printed SNAP. A latency tail lines up
# with time stolen by the host more often than with anything in the pipeline.
host_cpu() {
	local a b
	read -r -a a <<<"$1"
	read -r -a b <<<"$(cpu_snap)"
	awk -v u=$((b[0] - a[0])) -v i=$((b[1] - a[1])) -v s=$((b[2] - a[2])) \
		'BEGIN { t = u + i + s; printf "host CPU during the run: %.0f%% busy, %.1f%% stolen by the hypervisor\n", 100 * u / t, 100 * s / t }'
}

# reference_run NAME SECONDS RATE MARKETS LINES: the whole reference chain on a fresh kfake
# cluster, the last LINES lines of its report, the rows stored, and an exact audit of the
# unique events it had to store.
reference_run() {
	local name=$1 secs=$2 rate=$3 markets=$4 lines=$5 table kafka snap
	table=odds_$(tr '[:upper:]' '[:lower:]' <<<"$name")
	kafka=$(start_kfake)
	snap=$(cpu_snap)
	"$bench_work/reference" -kafka "$kafka" -postgres "$ODDSFLOW_POSTGRES_URL" -redis "$ODDSFLOW_REDIS_ADDR" \
		-table "$table" -duration "${secs}s" -rate "$rate" -markets "$markets" | tail -"$lines"
	host_cpu "$snap"
	psql "$ODDSFLOW_POSTGRES_URL" -Atc "SELECT '$name rows ' || count(*) || ', distinct ' || count(DISTINCT id) FROM $table"
	"$bench_work/reference" -kafka "$kafka" -stage audit
	stop_kfake
}

# direct_run NAME SECONDS RATE MARKETS: the reference's stages as one pipeline, no Kafka
# between them, and the rows stored.
direct_run() {
	local name=$1 secs=$2 rate=$3 markets=$4 table snap
	table=odds_$(tr '[:upper:]' '[:lower:]' <<<"$name")
	snap=$(cpu_snap)
	"$bench_work/reference" -stage direct -postgres "$ODDSFLOW_POSTGRES_URL" -redis "$ODDSFLOW_REDIS_ADDR" \
		-table "$table" -duration "${secs}s" -rate "$rate" -markets "$markets"
	host_cpu "$snap"
	psql "$ODDSFLOW_POSTGRES_URL" -Atc "SELECT '$name rows ' || count(*) || ', distinct ' || count(DISTINCT id) FROM $table"
}

for s in $sections; do
	case $s in
	odds)
		echo "== odds: conversions and IDs (go test -bench, one core)"
		GOMAXPROCS=1 go test -run '^$' -bench . -benchmem -benchtime 300ms ./odds/ | grep -E '^Benchmark'
		;;
	peer)
		n=${PEER_MESSAGES:-500000}
		echo "== peer: normalize + dedupe of the same $n-message feed, Python reference vs Go on one core"
		python3 scripts/peer/gen_feed.py "$n" "$bench_work/feed.jsonl"
		# go build uses internal/cmd/normbench/default.pgo (see the pgo section); the
		# build without it is measured beside it.
		go build -o "$bench_work/normbench" ./internal/cmd/normbench
		go build -pgo=off -o "$bench_work/normbench-nopgo" ./internal/cmd/normbench
		field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }
		# Three rounds, back to back: this machine's speed drifts by tens of percent
		# within minutes, so each ratio compares neighbouring runs. The Python run
		# takes about 5 s and so averages over those swings; one Go run takes well
		# under a second and catches a single spell, so each Go build runs five times
		# a round, the two alternating, and its rate is all the events over all the
		# time, as Python's is.
		ratios=() nopgo_ratios=()
		for round in 1 2 3; do
			py=$(python3 scripts/peer/seed_normalizer.py "$bench_work/feed.jsonl")
			echo "round $round python: $py"
			declare -A events=() secs=()
			for run in 1 2 3 4 5; do
				for build in normbench normbench-nopgo; do
					gov=$(GOMAXPROCS=1 "$bench_work/$build" "$bench_work/feed.jsonl")
					echo "round $round $build $run: $gov"
					if [ "$(field unique "$py")" != "$(field unique "$gov")" ]; then
						echo "unique counts differ" >&2
						exit 1
					fi
					events[$build]=$((${events[$build]:-0} + $(field events "$gov")))
					secs[$build]=$(awk -v a="${secs[$build]:-0}" -v b="$(field seconds "$gov")" 'BEGIN { print a + b }')
				done
			done
			pyrate=$(field events_per_s "$py")
			for build in normbench normbench-nopgo; do
				gorate=$(awk -v e="${events[$build]}" -v s="${secs[$build]}" 'BEGIN { printf "%.0f", e / s }')
				echo "round $round $build: events_per_s=$gorate over five runs"
				ratio=$(awk -v g="$gorate" -v p="$pyrate" 'BEGIN { printf "%.1f", g / p }')
				if [ "$build" = normbench ]; then ratios+=("$ratio"); else nopgo_ratios+=("$ratio"); fi
			done
			unset events secs
		done
		median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
		echo "same unique count; Go/Python = ${ratios[*]}x in three rounds, median $(median "${ratios[@]}")x"
		echo "built without the profile (-pgo=off): ${nopgo_ratios[*]}x, median $(median "${nopgo_ratios[@]}")x"
		;;
	pgo)
		# Writes the profile that go build uses for normbench: ten CPU profiles of a
		# build without one, over the peer feed, merged. Run it again when the hot
		# path changes; a stale profile still builds, and only inlines less.
		n=${PEER_MESSAGES:-500000}
		python3 scripts/peer/gen_feed.py "$n" "$bench_work/feed.jsonl"
		go build -pgo=off -o "$bench_work/normbench" ./internal/cmd/normbench
		for run in $(seq 1 10); do
			GOMAXPROCS=1 "$bench_work/normbench" -cpuprofile "$bench_work/cpu$run.pprof" "$bench_work/feed.jsonl" >/dev/null
		done
		go tool pprof -proto "$bench_work"/cpu*.pprof >internal/cmd/normbench/default.pgo
		echo "== pgo: wrote internal/cmd/normbench/default.pgo from ten CPU profiles"
		;;
	dedupe)
		echo "== dedupe: Window checks (one core) and memory per key"
		GOMAXPROCS=1 go test -run '^$' -bench 'Window(Seen|Dedupe|Memory)' -benchmem -benchtime 1s ./dedupe/ | grep -E '^Benchmark'
		echo "== dedupe: a default window filled as the peer benchmark fills it (1M IDs, 1 ms apart)"
		GOMAXPROCS=1 go test -run '^$' -bench WindowFill -benchtime 10x ./dedupe/ | grep -E '^Benchmark'
		echo "== growth: a shard's growing insert into memory faulted in ahead vs fresh memory"
		go test -run '^$' -bench WindowGrowth -benchtime 100x ./dedupe/ | grep -E '^Benchmark'
		go test -run '^$' -bench SequencerGrowth -benchtime 200x ./normalize/ | grep -E '^Benchmark'
		need_servers
		echo "== dedupe: redisdedupe, batches of 256"
		(cd dedupe/redisdedupe && go test -run '^$' -bench . -benchtime 2s ./ | grep -E '^Benchmark')
		;;
	collect)
		echo "== collect: WebSocket collector vs a bare gorilla read loop, 200-byte messages, GOMAXPROCS=1, 3 runs"
		GOMAXPROCS=1 go test -run '^$' -bench WebSocket -benchtime 500000x -count 3 ./collect/ | grep -E '^Benchmark'
		;;
	sinks)
		need_servers
		echo "== sink: Batcher overhead per event"
		go test -run '^$' -bench Batcher -benchmem -benchtime 2s ./sink/ | grep -E '^Benchmark'
		echo "== kafkasink vs raw kgo, same bytes, kfake"
		(cd sink/kafkasink && go test -run '^$' -bench . -benchtime 3s ./ | grep -E '^Benchmark')
		echo "== timescalesink vs raw pgx CopyFrom, PostgreSQL 15, 10,000 rows a batch"
		(cd sink/timescalesink && go test -run '^$' -bench Copy -benchtime 20x ./ | grep -E '^Benchmark')
		echo "== redissink (order guard on) vs redis-benchmark -P 16 -t hset, same server"
		(cd sink/redissink && go test -run '^$' -bench . -benchtime 3s ./ | grep -E '^Benchmark')
		;;
	book)
		echo "== odds/book: in-place updates, and best prices plus arbitrage per update (one core)"
		GOMAXPROCS=1 go test -run '^$' -bench . -benchmem -benchtime 1s ./odds/book/ | grep -E '^Benchmark'
		;;
	fanout)
		echo "== sink/fanout: 1,000 WebSocket clients on loopback, 10K updates/s over 100 markets, one market each, 20s"
		go run ./internal/cmd/fanload -clients 1000 -rate 10000 -markets 100 -per-client 1 -duration 20s
		;;
	pipeline)
		need_servers
		secs=${PIPELINE_SECONDS:-60}
		go build -o "$bench_work/quickstart" ./examples/quickstart
		go build -o "$bench_work/reference" ./examples/reference
		echo "== P5: in-process (memory sink) at 200K msgs/s for 20s"
		snap=$(cpu_snap)
		"$bench_work/quickstart" -duration 20s -rate 200000 -markets 600 -out "" | tail -14
		host_cpu "$snap"
		echo "== P4: WebSocket frame to PostgreSQL commit at 20K msgs/s for ${secs}s, one pipeline (reference -stage direct)"
		direct_run P4_direct "$secs" 20000 600
		echo "== P4 through Kafka: WebSocket to odds.raw to normalizer to odds.normalized to PostgreSQL, same rate"
		reference_run P4 "$secs" 20000 600 4
		echo "== P6: 125K msgs/s into PostgreSQL + Redis for ${secs}s"
		reference_run P6 "$secs" 125000 1500 5
		;;
	scale)
		need_servers
		go build -o "$bench_work/reference" ./examples/reference
		kafka=$(start_kfake)
		common=(-kafka "$kafka" -postgres "$ODDSFLOW_POSTGRES_URL" -redis "$ODDSFLOW_REDIS_ADDR" -table odds_scale)
		echo "== scale: two normalizer processes in one group on 6 partitions; one is killed -9 mid-run"
		"$bench_work/reference" "${common[@]}" -stage normalizer >"$bench_work/n1.log" 2>&1 &
		n1=$!
		"$bench_work/reference" "${common[@]}" -stage normalizer >"$bench_work/n2.log" 2>&1 &
		n2=$!
		"$bench_work/reference" "${common[@]}" -stage collector,storage -duration 30s -rate 6000 -streams 6 >"$bench_work/main.log" 2>&1 &
		main=$!
		sleep 10 # both normalizers take partitions and work a while
		echo "normalizer $n1 before the kill: $(grep '^normalizer:' "$bench_work/n1.log" | tail -1 | cut -c1-60)"
		echo "normalizer $n2 before the kill: $(grep '^normalizer:' "$bench_work/n2.log" | tail -1 | cut -c1-60)"
		kill -9 "$n1"
		echo "killed normalizer $n1 with -9 after 10s"
		wait "$main" || true
		kill -TERM "$n2" 2>/dev/null || true
		wait "$n2" 2>/dev/null || true
		grep -E '^(collector|latency|peak)' "$bench_work/main.log"
		echo "surviving normalizer: $(grep '^normalizer:' "$bench_work/n2.log" | tail -1)"
		"$bench_work/reference" -kafka "$kafka" -stage audit
		psql "$ODDSFLOW_POSTGRES_URL" -Atc "SELECT 'stored: rows ' || count(*) || ', distinct IDs ' || count(DISTINCT id) FROM odds_scale"
		stop_kfake
		;;
	*)
		echo "unknown section $s" >&2
		exit 2
		;;
	esac
done
