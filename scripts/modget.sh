#!/usr/bin/env bash
# Adds or updates a dependency of one of the repository's own modules.
#
# `go get` and `go mod tidy` ignore go.work, so they cannot resolve the core
# module at its placeholder version. This script lends the module a replace
# directive for the duration of the command and takes it away again.
#
# usage: scripts/modget.sh MODULE_DIR [go get arguments...]   (no arguments: go mod tidy only)
set -euo pipefail
dir=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$dir"
rel=$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$root" "$(pwd)")
cp go.mod go.mod.orig
trap 'rm -f go.mod.orig' EXIT
go mod edit -replace "github.com/oddsflow/oddsflow=$rel"
status=0
{ if [ $# -gt 0 ]; then GOWORK=off go get "$@"; fi && GOWORK=off go mod tidy; } || status=$?
go mod edit -dropreplace github.com/oddsflow/oddsflow
exit $status
