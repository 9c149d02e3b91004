#!/usr/bin/env bash
# State store benchmark (issue 12, point 8): how long `backstop show` of a change with a 200 MiB script takes, beside
# the same command on a change with a one-line script (the baseline: process start, config, store open). Also times
# `backstop changes` and `backstop show ID --script` (the whole script, streamed). Each figure is the median of ROUNDS
# runs, alternating the large and the small change so that the machine's noise falls on both. Usage:
#   bench/state/run.sh                  # 200 MiB script, 9 rounds
#   MIB=50 ROUNDS=3 bench/state/run.sh  # a quick small run
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/prerequisites.sh
ensure_prerequisites
MIB=${MIB:-200}
ROUNDS=${ROUNDS:-9}
dotnet build src/Backstop.Cli -c Release -v quiet -nologo >/dev/null
cli="$PWD/src/Backstop.Cli/bin/Release/net10.0/backstop.dll"
backstop() { dotnet "$cli" "$@"; }

work=$(mktemp -d /tmp/backstop-bench-state.XXXXXX)
name="bench-state-$$"
cleanup() { backstop sandbox stop "$name" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
url=$(backstop sandbox start --name "$name" 2>/dev/null)
cd "$work"
backstop init >/dev/null
backstop env add dev --url "$url" --tier development >/dev/null
backstop run -e dev -c "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t VALUES (1, 'a')" >/dev/null
small=$(backstop run -e dev --json -c "UPDATE t SET note = 'small' WHERE id = 1" 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["changeId"])')
# One UPDATE, then MIB comment lines of 1 MiB each.
python3 - "$MIB" <<'PY'
import sys
with open("big.sql", "w") as f:
    f.write("UPDATE t SET note = 'big' WHERE id = 1;\n")
    line = "-- " + "x" * (1024 * 1024 - 4) + "\n"
    for _ in range(int(sys.argv[1])):
        f.write(line)
PY
start=$(date +%s.%N)
big=$(backstop run -e dev --json -f big.sql 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["changeId"])')
echo "recorded change $big ($(stat -c %s big.sql) bytes) in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; state file $(stat -c %s .backstop/state.db) bytes" >&2

# Prints the wall time in seconds and the peak memory in MiB of one command, its output thrown away.
measure() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%s %.0f\n", $1, $2 / 1024 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for _ in $(seq "$ROUNDS"); do
    measure dotnet "$cli" show "$big" >>show-big.txt
    measure dotnet "$cli" show "$small" >>show-small.txt
    measure dotnet "$cli" changes >>changes.txt
done
measure dotnet "$cli" show "$big" --script >>script.txt
report() { printf '%-34s median %6.2f s  (min %.2f, max %.2f)  peak %s MiB\n' "$1" "$(cut -d' ' -f1 "$2" | median)" \
    "$(cut -d' ' -f1 "$2" | sort -n | head -1)" "$(cut -d' ' -f1 "$2" | sort -n | tail -1)" "$(cut -d' ' -f2 "$2" | sort -n | tail -1)"; }
report "show (${MIB} MiB script)" show-big.txt
report "show (one-line script, baseline)" show-small.txt
report "changes (both listed)" changes.txt
report "show --script (whole, once)" script.txt
