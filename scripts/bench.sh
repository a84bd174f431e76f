#!/usr/bin/env bash
# Benchmarks behind the README's table. Every figure that is compared with another is
# measured in the same run, since the machines are noisy.
#
# usage: scripts/bench.sh [section...]   sections: odds (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
sections=${*:-odds}

for s in $sections; do
	case $s in
	odds)
		echo "== odds: conversions and IDs (go test -bench, 1 core)"
		GOMAXPROCS=1 go test -run '^$' -bench . -benchmem -benchtime 300ms ./odds/ | grep -E '^Benchmark'
		;;
	*)
		echo "unknown section $s" >&2
		exit 2
		;;
	esac
done
