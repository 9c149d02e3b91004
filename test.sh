#!/usr/bin/env bash
# Runs every Backstop test against real PostgreSQL. Installs what is missing first:
# PostgreSQL 15 from Debian's packages (the tests start throwaway clusters from its binaries)
# and the NuGet packages (dotnet restore). Works from a clean clone, without a terminal.
#
#   ./test.sh                      every test (what CI runs)
#   ./test.sh --fast               leaves out the tests marked slow ([Trait("Speed", "Slow")], test/Shared/TestSpeed.cs)
#   ./test.sh --state postgresql   keeps Backstop's state in PostgreSQL (BACKSTOP_TEST_STATE; default sqlite): every
#                                  workspace gets a database of its own in the test cluster
#   ./test.sh --state-tests        only the tests of the state stores (trait Area=State); with --state postgresql,
#                                  the extra CI run
#   ./test.sh --filter "..."       any other argument goes to `dotnet test`; filters are combined
set -euo pipefail
cd "$(dirname "$0")"

# --fast and --state-tests become filters on traits, joined to the caller's own --filter if there is one.
fast=false
filter=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --fast) fast=true ;;
        --state)
            [[ "${2:-}" == sqlite || "${2:-}" == postgresql ]] || { echo "--state takes sqlite or postgresql" >&2; exit 2; }
            export BACKSTOP_TEST_STATE="$2"
            shift
            ;;
        --state-tests) filter="${filter:+($filter)&}Area=State" ;;
        --filter) filter="${filter:+($filter)&}(${2:?--filter needs an expression})"; shift ;;
        --filter=*) filter="${filter:+($filter)&}(${1#--filter=})" ;;
        *) args+=("$1") ;;
    esac
    shift
done
if $fast; then
    filter="${filter:+($filter)&}Speed!=Slow"
fi
if [ -n "$filter" ]; then
    args+=(--filter "$filter")
fi

source scripts/prerequisites.sh
ensure_prerequisites

dotnet restore Backstop.slnx
dotnet build Backstop.slnx --no-restore -c Release
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Backstop.slnx --no-build -c Release --logger "console;verbosity=normal" ${args[@]+"${args[@]}"} 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line over all test projects, in the plain form CI reads.
passed=$(awk '/^ +Passed: +[0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
failed=$(awk '/^ +Failed: +[0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
# The failed tests by name, last, where a reader of the log's tail sees them.
if [ "$failed" -gt 0 ]; then
    echo "failed tests:"
    awk '/^ +Failed [A-Za-z_][A-Za-z0-9_.]*/ { sub(/^ +Failed /, "  "); print; want = 1; next }
         want && /Error Message:/ { getline; sub(/^ +/, "    "); print substr($0, 1, 300); want = 0 }' "$log"
fi
echo "$passed passed, $failed failed"
exit "$status"
