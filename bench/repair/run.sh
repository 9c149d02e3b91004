#!/usr/bin/env bash
# Repair benchmark (issue "backstop repair"), side by side with naive baselines in one run:
#   compare: backstop repair --dry-run on two equal tables  vs  COPY ... ORDER BY id of both databases into files, then cmp
#   apply:   backstop repair --columns is_deleted --yes (a guarded change: preview, capture of before-images, apply)
#            of APPLY_ROWS differing rows  vs  a loop of UPDATE ... WHERE id = ANY('{1000 ids}'), one transaction per batch
# Targets: compare >= 1M rows/s, apply >= 200k rows/s. Rounds alternate Backstop and the baseline so that the machine's
# noise falls on both. Usage:
#   bench/repair/run.sh                                        # two tables of 10M rows, 1M differing, 3 rounds
#   ROWS=200000 APPLY_ROWS=50000 ROUNDS=1 bench/repair/run.sh  # a quick small run
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/prerequisites.sh
ensure_prerequisites
ROWS=${ROWS:-10000000}
APPLY_ROWS=${APPLY_ROWS:-1000000}
ROUNDS=${ROUNDS:-3}
BATCH=1000
[ "$APPLY_ROWS" -le "$ROWS" ] || { echo "APPLY_ROWS ($APPLY_ROWS) must not exceed ROWS ($ROWS)" >&2; exit 2; }
dotnet build src/Backstop.Cli -c Release -v quiet -nologo >/dev/null
cli="$PWD/src/Backstop.Cli/bin/Release/net10.0/backstop.dll"
backstop() { dotnet "$cli" "$@"; }

work=$(mktemp -d /tmp/backstop-bench-repair.XXXXXX)
name="bench-repair-$$"
cleanup() { backstop sandbox stop "$name" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
url=$(backstop sandbox start --name "$name" 2>/dev/null)
src_url="${url%/postgres}/src"
tgt_url="${url%/postgres}/tgt"
psql -X -q "$url" -c "CREATE DATABASE src"
echo "Loading $ROWS orders into src, then copying it to tgt..." >&2
psql -X -q "$src_url" <<SQL
CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, total numeric(12,2), note text, is_deleted boolean NOT NULL DEFAULT false);
INSERT INTO orders (id, customer, total, note)
SELECT g, 1 + g % 100000, (g % 100000) / 100.0, CASE WHEN g % 7 = 0 THEN NULL ELSE 'order ' || g || ' ' || md5(g::text) END
FROM generate_series(1, $ROWS) g;
SQL
psql -X -q "$url" -c "CREATE DATABASE tgt TEMPLATE src"
psql -X -q "$src_url" -c "VACUUM ANALYZE orders"
psql -X -q "$tgt_url" -c "VACUUM ANALYZE orders"
size=$(psql -X -At "$src_url" -c "SELECT pg_total_relation_size('orders')")
echo "Table size: $((size / 1024 / 1024)) MiB in each database" >&2

cd "$work"
backstop init >/dev/null
backstop env add tgt --url "$tgt_url" --tier staging >/dev/null

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# Runs a command with its stdout into the file $1 and prints its wall time in seconds; stops the script if it fails.
timed() { local out=$1; shift; local start; start=$(now); "$@" >"$out" 2>"$out.err" || { echo "failed: $*" >&2; cat "$out.err" >&2; exit 1; }; since "$start"; }
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); r = d["repair"]; print(eval(sys.argv[2], {}, {"r": r, "d": d}))' "$@"; }
naive_compare() {
    # Both exports at once (they are in separate servers' backends; a person would at least start them in two terminals).
    psql -X -q -c "COPY (SELECT id, customer, total, note, is_deleted FROM orders ORDER BY id) TO STDOUT" "$src_url" >src.tsv &
    local a=$!
    psql -X -q -c "COPY (SELECT id, customer, total, note, is_deleted FROM orders ORDER BY id) TO STDOUT" "$tgt_url" >tgt.tsv &
    local b=$!
    wait $a && wait $b && cmp -s src.tsv tgt.tsv
}
# Each apply starts from the same state: the rows made to differ, the table vacuumed, and a checkpoint taken, so that
# a checkpoint forced by the WAL of the step before does not land on one side only.
make_differ() {
    psql -X -q "$tgt_url" -c "UPDATE orders SET is_deleted = true WHERE id <= $APPLY_ROWS" -c "VACUUM ANALYZE orders" -c "CHECKPOINT"
    local n; n=$(psql -X -At "$tgt_url" -c "SELECT count(*) FROM orders WHERE is_deleted")
    [ "$n" -eq "$APPLY_ROWS" ] || { echo "expected $APPLY_ROWS differing rows in tgt, found $n" >&2; exit 1; }
}
check_repaired() {
    local n; n=$(psql -X -At "$tgt_url" -c "SELECT count(*) FROM orders WHERE is_deleted")
    [ "$n" -eq 0 ] || { echo "$1 left $n rows differing" >&2; exit 1; }
}
# The naive apply: batches of $BATCH ids, each UPDATE its own transaction (psql's autocommit).
awk -v n="$APPLY_ROWS" -v b="$BATCH" 'BEGIN {
    for (lo = 1; lo <= n; lo += b) {
        hi = lo + b - 1; if (hi > n) hi = n
        printf "UPDATE orders SET is_deleted = false WHERE id = ANY('"'"'{"
        for (i = lo; i <= hi; i++) printf "%s%d", (i > lo ? "," : ""), i
        print "}'"'"');"
    }
}' >naive-apply.sql

echo "Compare of two equal tables of $ROWS rows:" >&2
cmp_secs=(); cmp_walls=(); naive_cmp=()
for round in $(seq 1 "$ROUNDS"); do
    naive_cmp+=("$(timed naive.out naive_compare)")
    rm -f src.tsv tgt.tsv
    cmp_walls+=("$(timed compare.json backstop repair -e tgt --from "$src_url" --table orders --dry-run --json)")
    cmp_secs+=("$(json compare.json 'r["compareSeconds"]')")
    differing=$(json compare.json 'r["updates"] + r["inserts"] + r["deletes"]')
    [ "$differing" -eq 0 ] || { echo "backstop repair found $differing rows differing in equal tables" >&2; exit 1; }
    echo "round $round: COPY+cmp ${naive_cmp[-1]} s; backstop repair --dry-run ${cmp_walls[-1]} s, compare ${cmp_secs[-1]} s ($(json compare.json 'r["buckets"]') buckets)" >&2
done

echo "Apply of $APPLY_ROWS differing rows:" >&2
apply_walls=(); apply_cmp=(); naive_apply=(); apply_run=(); apply_preview=()
for round in $(seq 1 "$ROUNDS"); do
    make_differ
    apply_walls+=("$(timed apply.json backstop repair -e tgt --from "$src_url" --table orders --columns is_deleted --yes --json)")
    apply_cmp+=("$(json apply.json 'r["compareSeconds"]')")
    # The apply proper: loading the rows into temporary tables, the preview (the comparison's counts, or a dry run where
    # the catalog cannot vouch for them), and the guarded run (the UPDATE … FROM with capture, commit).
    apply_run+=("$(json apply.json 'round(d["loadSeconds"] + d["change"]["previewSeconds"] + d["change"]["runSeconds"], 3)')")
    apply_preview+=("$(json apply.json 'd["change"]["previewSeconds"]')")
    updates=$(json apply.json 'r["updates"]')
    [ "$updates" -eq "$APPLY_ROWS" ] || { echo "backstop repair planned $updates updates, expected $APPLY_ROWS" >&2; exit 1; }
    check_repaired "backstop repair"
    make_differ
    naive_apply+=("$(timed naive.out psql -X -q -v ON_ERROR_STOP=1 -f naive-apply.sql "$tgt_url")")
    check_repaired "the naive loop"
    echo "round $round: backstop repair ${apply_walls[-1]} s (compare ${apply_cmp[-1]} s, preview ${apply_preview[-1]} s, load + preview + guarded run ${apply_run[-1]} s); naive UPDATE loop ${naive_apply[-1]} s" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
apply_only=(); for i in "${!apply_walls[@]}"; do apply_only+=("$(calc "${apply_walls[$i]} - ${apply_cmp[$i]}")"); done
mnc=$(median "${naive_cmp[@]}"); mcs=$(median "${cmp_secs[@]}"); mcw=$(median "${cmp_walls[@]}")
mna=$(median "${naive_apply[@]}"); maw=$(median "${apply_walls[@]}"); mao=$(median "${apply_only[@]}"); mar=$(median "${apply_run[@]}"); map=$(median "${apply_preview[@]}")
rate() { calc "$1 / $2"; }
printf '\n| measure (median of %d rounds; %d rows, %d differing) | baseline | Backstop | rows/s ratio (Backstop / baseline) |\n|---|---|---|---|\n' "$ROUNDS" "$ROWS" "$APPLY_ROWS"
printf '| compare of equal tables: COPY ORDER BY id of both + cmp vs repair --dry-run (compareSeconds) | %.1f s (%.0f rows/s) | %.1f s (%.0f rows/s) | %.2fx |\n' \
    "$mnc" "$(rate "$ROWS" "$mnc")" "$mcs" "$(rate "$ROWS" "$mcs")" "$(calc "$mnc / $mcs")"
printf '| compare, whole command (wall, with .NET start-up) | %.1f s (%.0f rows/s) | %.1f s (%.0f rows/s) | %.2fx |\n' \
    "$mnc" "$(rate "$ROWS" "$mnc")" "$mcw" "$(rate "$ROWS" "$mcw")" "$(calc "$mnc / $mcw")"
printf '| apply: UPDATE ... id = ANY(%d ids) loop vs repair load + preview (%.2f s) + guarded run with capture | %.1f s (%.0f rows/s) | %.1f s (%.0f rows/s) | %.2fx |\n' \
    "$BATCH" "$map" "$mna" "$(rate "$APPLY_ROWS" "$mna")" "$mar" "$(rate "$APPLY_ROWS" "$mar")" "$(calc "$mna / $mar")"
printf '| apply: UPDATE ... id = ANY(%d ids) loop vs repair apply with its preview (wall - compareSeconds) | %.1f s (%.0f rows/s) | %.1f s (%.0f rows/s) | %.2fx |\n' \
    "$BATCH" "$mna" "$(rate "$APPLY_ROWS" "$mna")" "$mao" "$(rate "$APPLY_ROWS" "$mao")" "$(calc "$mna / $mao")"
printf '| apply: UPDATE loop vs whole repair --yes command (compare + preview + capture + apply) | %.1f s (%.0f rows/s) | %.1f s (%.0f rows/s) | %.2fx |\n' \
    "$mna" "$(rate "$APPLY_ROWS" "$mna")" "$maw" "$(rate "$APPLY_ROWS" "$maw")" "$(calc "$mna / $maw")"
