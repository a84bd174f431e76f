#!/usr/bin/env bash
# Benchmarks behind the README's table. Every figure that is compared with another is
# measured in the same run, since the machines are noisy.
#
# usage: scripts/bench.sh [section...]   sections: odds peer dedupe (default: all)
# PEER_MESSAGES sets the peer feed's size (default 500000 messages, about 1M events).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
sections=${*:-odds peer dedupe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for s in $sections; do
	case $s in
	odds)
		echo "== odds: conversions and IDs (go test -bench, 1 core)"
		GOMAXPROCS=1 go test -run '^$' -bench . -benchmem -benchtime 300ms ./odds/ | grep -E '^Benchmark'
		;;
	peer)
		n=${PEER_MESSAGES:-500000}
		echo "== peer: normalize + dedupe of the same $n-message feed, Python reference vs Go on one core"
		python3 scripts/peer/gen_feed.py "$n" "$work/feed.jsonl"
		go build -o "$work/normbench" ./internal/cmd/normbench
		py=$(python3 scripts/peer/seed_normalizer.py "$work/feed.jsonl")
		gov=$(GOMAXPROCS=1 "$work/normbench" "$work/feed.jsonl")
		echo "python: $py"
		echo "go:     $gov"
		field() { sed -E "s/.*$1=([0-9.]+).*/\1/" <<<"$2"; }
		if [ "$(field unique "$py")" != "$(field unique "$gov")" ]; then
			echo "unique counts differ" >&2
			exit 1
		fi
		awk -v g="$(field events_per_s "$gov")" -v p="$(field events_per_s "$py")" \
			'BEGIN { printf "same unique count; Go/Python = %.1fx\n", g / p }'
		;;
	dedupe)
		echo "== dedupe: Window checks (one core) and memory per key"
		GOMAXPROCS=1 go test -run '^$' -bench . -benchmem -benchtime 1s ./dedupe/ | grep -E '^Benchmark'
		;;
	*)
		echo "unknown section $s" >&2
		exit 2
		;;
	esac
done
