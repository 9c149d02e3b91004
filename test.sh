#!/usr/bin/env bash
# Runs every Backstop test against real PostgreSQL. Installs what is missing first:
# PostgreSQL 15 from Debian's packages (the tests start throwaway clusters from its binaries)
# and the NuGet packages (dotnet restore). Works from a clean clone, without a terminal.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
ensure_prerequisites

dotnet restore Backstop.slnx
dotnet build Backstop.slnx --no-restore -c Release
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Backstop.slnx --no-build -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line over all test projects, in the plain form CI reads.
passed=$(awk '/^ +Passed: +[0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
failed=$(awk '/^ +Failed: +[0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
echo "$passed passed, $failed failed"
exit "$status"
