#!/usr/bin/env bash
# Snapshot benchmark (issue 18), side by side in one run on the same database:
#   baseline: pg_dump -Fd -j2 + pg_restore -j2 into an empty database (a plain copy, nothing masked or proven)
#   and the same with pg_dump -Z0 (uncompressed, as the snapshot's data files are), to read the ratio both ways
#   Backstop: backstop snapshot create --jobs 2 (consistent read, masking, the dump, its drill and the leak scan)
# The goal is at least 0.8x the baseline's throughput (baseline time / Backstop time). Usage:
#   bench/snapshot/run.sh                     # about 1 GB, 1 round
#   SIZE_GB=0.05 bench/snapshot/run.sh        # a quick check that it works
#   SIZE_GB=1 ROUNDS=3 bench/snapshot/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_GB=${SIZE_GB:-1}
ROUNDS=${ROUNDS:-1}
JOBS=2
dotnet build src/Backstop.Cli -c Release -v quiet -nologo >/dev/null
dotnet build bench/Backstop.Benchmarks -c Release -v quiet -nologo >/dev/null
cli="$PWD/src/Backstop.Cli/bin/Release/net10.0/backstop.dll"
bench="$PWD/bench/Backstop.Benchmarks/bin/Release/net10.0/Backstop.Benchmarks.dll"
backstop() { dotnet "$cli" "$@"; }
# The real command, with the rules of this schema in backstop.yaml (written below): Bogus fakes for the personal
# columns (names, emails, phones, addresses, free-text notes), a date shift, keys and business data kept.
snapshot_create() { backstop snapshot create "$@"; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d /tmp/backstop-bench-snapshot.XXXXXX)
name="bench-snapshot-$$"
cleanup() { for s in "$name" "$name-plain"; do backstop sandbox stop "$s" >/dev/null 2>&1 || true; done; rm -rf "$work"; }
trap cleanup EXIT
url=$(backstop sandbox start --name "$name" 2>/dev/null)
db_url="${url%/postgres}/bench"
psql -X -q "$url" -c "CREATE DATABASE bench"

# About 1 GB per 5.2 million events (with their customers and orders, indexes included).
EVENTS=$(awk -v s="$SIZE_GB" 'BEGIN { printf "%d", s * 5200000 }')
echo "Loading $EVENTS events with customers (names, emails, phones, addresses) and orders (free-text notes)..." >&2
psql -X -q "$db_url" <<SQL
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, phone text, address text, created_at timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, total numeric(12,2), status text, placed_at timestamptz, note text);
CREATE TABLE events (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders, kind int, payload text, at timestamptz);
INSERT INTO customers
SELECT g, (ARRAY['Olivia','Liam','Emma','Noah','Amelia','Oliver','Sophia','Elijah'])[1 + g % 8] || ' ' || (ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia'])[1 + g % 6] || ' ' || g,
       'customer' || g || '@mail.example.org', '+1 555 ' || lpad((g % 10000000)::text, 7, '0'), g || ' Main Street, Springfield', now() - g * interval '1 minute'
FROM generate_series(1, $EVENTS / 10) g;
INSERT INTO orders
SELECT g, 1 + g % ($EVENTS / 10), (g % 10000) / 100.0, CASE WHEN g % 5 = 0 THEN 'shipped' ELSE 'open' END, now() - g * interval '1 second',
       'Please deliver to the back door, call ' || '+1 555 ' || lpad((g % 10000000)::text, 7, '0')
FROM generate_series(1, $EVENTS / 3) g;
INSERT INTO events SELECT g, 1 + g % ($EVENTS / 3), g % 23, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text), now() - g * interval '1 second' FROM generate_series(1, $EVENTS) g;
CREATE INDEX events_order ON events (order_id);
CREATE INDEX orders_customer ON orders (customer_id);
VACUUM ANALYZE;
SQL
size=$(psql -X -At "$db_url" -c "SELECT pg_database_size('bench')")
echo "Database size: $((size / 1024 / 1024)) MiB" >&2

cd "$work"
backstop init >/dev/null
backstop env add bench --url "$db_url" --tier development >/dev/null
BACKSTOP_SNAPSHOT_KEY=$(head -c 48 /dev/urandom | base64 -w0)
export BACKSTOP_SNAPSHOT_KEY
rules=$(cat <<'YAML'
    snapshot:
      key: env:BACKSTOP_SNAPSHOT_KEY
      tables:
        public.customers:
          columns: { id: keep, name: { fake: name }, email: { fake: email }, phone: { fake: phone }, address: { fake: address }, created_at: { fake: date_shift } }
        public.orders:
          columns: { id: keep, customer_id: keep, total: keep, status: keep, placed_at: keep, note: { fake: text } }
        public.events:
          columns: { id: keep, order_id: keep, kind: keep, payload: keep, at: keep }
YAML
)
awk -v rules="$rules" '{ print } /^    tier: development$/ { print rules }' backstop.yaml >backstop.yaml.new && mv backstop.yaml.new backstop.yaml
plain_url=$(backstop sandbox start --name "$name-plain" 2>/dev/null)
plain_port=$(echo "$plain_url" | sed -E 's#.*:([0-9]+)/.*#\1#')
export PGHOST=127.0.0.1 PGPORT=$(echo "$url" | sed -E 's#.*:([0-9]+)/.*#\1#') PGUSER=postgres
seconds() { local start=$(date +%s.%N); "$@" >/dev/null 2>"$work/last.err" || { echo "failed: $*" >&2; cat "$work/last.err" >&2; exit 1; }; awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
baseline() {
    rm -rf plain-dump
    "$PGBIN/pg_dump" -Fd -j$JOBS "$@" -f plain-dump bench
    psql -X -q -p "$plain_port" -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
    "$PGBIN/pg_restore" -j$JOBS -p "$plain_port" -d bench plain-dump
}
baseline_times=(); z0_times=(); snapshot_times=()
for round in $(seq 1 "$ROUNDS"); do
    baseline_times+=("$(seconds baseline)")
    z0_times+=("$(seconds baseline -Z0)")
    snapshot_times+=("$(seconds snapshot_create -e bench --jobs $JOBS)")
    echo "round $round: pg_dump + pg_restore ${baseline_times[-1]} s, the same with -Z0 ${z0_times[-1]} s, backstop snapshot create ${snapshot_times[-1]} s" >&2
done
backstop snapshot list -e bench >&2
latest=$(ls -d "$work"/.backstop/snapshots/bench/2* | tail -1)
echo "Steps of the last snapshot (seconds): $(tr -d ' \n' < "$latest/manifest.json" | grep -o '"durations":{[^}]*}')" >&2

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mb=$(median "${baseline_times[@]}"); mz=$(median "${z0_times[@]}"); ms=$(median "${snapshot_times[@]}")
mib=$(calc "$size / 1048576")
printf '\n| %.0f MiB, median of %d | baseline: pg_dump -Fd -j2 + pg_restore -j2 | Backstop: snapshot create (with drill and leak scan) | throughput ratio (goal >= 0.8) |\n|---|---|---|---|\n' "$mib" "$ROUNDS"
printf '| time | %.1f s (%.0f MiB/s) | %.1f s (%.0f MiB/s) | %.2fx |\n' "$mb" "$(calc "$mib / $mb")" "$ms" "$(calc "$mib / $ms")" "$(calc "$mb / $ms")"
printf '| time, baseline with pg_dump -Z0 | %.1f s (%.0f MiB/s) | %.1f s (%.0f MiB/s) | %.2fx |\n' "$mz" "$(calc "$mib / $mz")" "$ms" "$(calc "$mib / $ms")" "$(calc "$mz / $ms")"
