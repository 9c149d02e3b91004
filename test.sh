#!/usr/bin/env bash
# Runs every Backstop test against real PostgreSQL. Installs what is missing first:
# PostgreSQL 15 from Debian's packages (the tests start throwaway clusters from its binaries)
# and the NuGet packages (dotnet restore). Works from a clean clone, without a terminal.
#
# Options (the rest go to `dotnet test`):
#   --state sqlite|postgresql  where the tests keep Backstop's state (BACKSTOP_TEST_STATE; default sqlite): with
#                              postgresql, every workspace gets a database of its own in the test cluster.
#   --state-tests              only the tests of the state stores (trait Area=State): with --state postgresql, the
#                              extra CI run.
set -euo pipefail
cd "$(dirname "$0")"

args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --state)
            [[ "${2:-}" == sqlite || "${2:-}" == postgresql ]] || { echo "--state takes sqlite or postgresql" >&2; exit 2; }
            export BACKSTOP_TEST_STATE="$2"
            shift 2
            ;;
        --state-tests)
            args+=(--filter "Area=State")
            shift
            ;;
        *)
            args+=("$1")
            shift
            ;;
    esac
done
source scripts/prerequisites.sh
ensure_prerequisites

dotnet restore Backstop.slnx
dotnet build Backstop.slnx --no-restore -c Release
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Backstop.slnx --no-build -c Release --logger "console;verbosity=normal" "${args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line over all test projects, in the plain form CI reads.
passed=$(awk '/^ +Passed: +[0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
failed=$(awk '/^ +Failed: +[0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
echo "$passed passed, $failed failed"
exit "$status"
