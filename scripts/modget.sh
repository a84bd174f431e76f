#!/usr/bin/env bash
# Adds or updates a dependency of one of the repository's own modules.
#
# `go get` and `go mod tidy` ignore go.work, so they cannot resolve this
# repository's modules at their placeholder version. This script lends the
# module replace directives to every module of go.work for the duration of
# the command, and takes them away again.
#
# usage: scripts/modget.sh MODULE_DIR [go get arguments...]   (no arguments: go mod tidy only)
set -euo pipefail
dir=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$dir"
here=$(pwd)
mods=()
while read -r d; do
	[ "$d" = "$here" ] && continue
	path=$(sed -n 's/^module //p' "$d/go.mod")
	rel=$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$d" "$here")
	go mod edit -replace "$path=$rel"
	mods+=("$path")
done < <(cd "$root" && go list -m -f '{{.Dir}}')
status=0
{ if [ $# -gt 0 ]; then GOWORK=off go get "$@"; fi && GOWORK=off go mod tidy; } || status=$?
for m in "${mods[@]}"; do go mod edit -dropreplace "$m"; done
exit $status
