#!/usr/bin/env bash
# Backup and drill benchmark (issue "Backups proven by restore drills"), side by side with the baselines in one run:
#   backstop backup run -e bench      vs  pg_dump -Fd -j2 of the same database   (throughput, MB/s of database size)
#   backstop backup verify (the drill) vs  pg_restore -j2 into an empty database (wall time)
# Rounds alternate baseline and Backstop so that the machine's noise falls on both. Usage:
#   bench/backup/run.sh            # a database of about 1.2 GB, 3 rounds
#   ROWS=2000000 ROUNDS=1 bench/backup/run.sh   # a quick small run
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/prerequisites.sh
ensure_prerequisites
ROWS=${ROWS:-7000000}
ROUNDS=${ROUNDS:-3}
BACKUP_ROUNDS=${BACKUP_ROUNDS:-$ROUNDS}   # BACKUP_ROUNDS=1: only enough backups for the drill rounds
JOBS=2
dotnet build src/Backstop.Cli -c Release -v quiet -nologo >/dev/null
cli="$PWD/src/Backstop.Cli/bin/Release/net10.0/backstop.dll"
backstop() { dotnet "$cli" "$@"; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d /tmp/backstop-bench-backup.XXXXXX)
name="bench-backup-$$"
cleanup() { for s in "$name" "$name-plain" "$name-tuned"; do backstop sandbox stop "$s" >/dev/null 2>&1 || true; done; rm -rf "$work"; }
trap cleanup EXIT
url=$(backstop sandbox start --name "$name" 2>/dev/null)
db_url="${url%/postgres}/bench"
psql -X -q "$url" -c "CREATE DATABASE bench"
echo "Loading $ROWS event rows and their customers and orders..." >&2
psql -X -q "$db_url" <<SQL
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, total numeric(12,2), status text, placed_at timestamptz);
CREATE TABLE events (id bigint PRIMARY KEY, order_id bigint, kind int, payload text, at timestamptz);
INSERT INTO customers SELECT g, 'customer ' || g, 'c' || g || '@example.com', now() - g * interval '1 minute' FROM generate_series(1, $ROWS / 10) g;
INSERT INTO orders SELECT g, 1 + g % ($ROWS / 10), (g % 10000) / 100.0, CASE WHEN g % 5 = 0 THEN 'shipped' ELSE 'open' END, now() - g * interval '1 second' FROM generate_series(1, $ROWS / 3) g;
INSERT INTO events SELECT g, 1 + g % ($ROWS / 3), g % 23, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text), now() - g * interval '1 second' FROM generate_series(1, $ROWS) g;
CREATE INDEX events_order ON events (order_id);
CREATE INDEX orders_customer ON orders (customer_id);
VACUUM ANALYZE;
SQL
size=$(psql -X -At "$db_url" -c "SELECT pg_database_size('bench')")
echo "Database size: $((size / 1024 / 1024)) MiB" >&2

cd "$work"
backstop init >/dev/null
backstop env add bench --url "$db_url" --tier development >/dev/null
export PGHOST=127.0.0.1 PGPORT=$(echo "$url" | sed -E 's#.*:([0-9]+)/.*#\1#') PGUSER=postgres
seconds() { local start=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
dump_times=(); backup_times=()
for round in $(seq 1 "$BACKUP_ROUNDS"); do
    rm -rf plain-dump
    dump_times+=("$(seconds "$PGBIN/pg_dump" -Fd -j$JOBS -f plain-dump bench)")
    backup_times+=("$(seconds backstop backup run -e bench --jobs $JOBS --keep 1)")
    echo "round $round: pg_dump ${dump_times[-1]} s, backstop backup run ${backup_times[-1]} s" >&2
done

plain_url=$(backstop sandbox start --name "$name-plain" 2>/dev/null)
plain_port=$(echo "$plain_url" | sed -E 's#.*:([0-9]+)/.*#\1#')
# A second baseline: the same plain pg_restore into a cluster with the drill's restore settings (RestoreDrill.RestoreSettings),
# so that the cost of the drill's checks can be read apart from what those settings save.
tuned_dir=$(backstop sandbox start --name "$name-tuned" --json 2>/dev/null | sed -n 's/.*"directory": "\(.*\)".*/\1/p')
tuned_port=$(backstop sandbox list --json | tr -d ' \n' | grep -o "\"name\":\"$name-tuned\",\"url\":\"[^\"]*\"" | sed -E 's#.*:([0-9]+)/.*#\1#')
psql -X -q -p "$tuned_port" -d postgres -c "ALTER SYSTEM SET wal_level = minimal" -c "ALTER SYSTEM SET max_wal_senders = 0" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
    -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" -c "ALTER SYSTEM SET maintenance_work_mem = '512MB'" -c "ALTER SYSTEM SET shared_buffers = '256MB'" -c "ALTER SYSTEM SET autovacuum = off"
as_owner=(); [ "$(id -u)" -eq 0 ] && as_owner=(runuser -u postgres --)
(cd / && "${as_owner[@]}" "$PGBIN/pg_ctl" restart -D "$tuned_dir/data" -w -l "$tuned_dir/server.log" >/dev/null)
restore_times=(); tuned_times=(); drill_times=()
for round in $(seq 1 "$ROUNDS"); do
    psql -X -q -p "$plain_port" -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
    restore_times+=("$(seconds "$PGBIN/pg_restore" -j$JOBS -p "$plain_port" -d bench plain-dump)")
    psql -X -q -p "$tuned_port" -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
    tuned_times+=("$(seconds "$PGBIN/pg_restore" -j$JOBS -p "$tuned_port" -d bench plain-dump)")
    drill_times+=("$(seconds backstop backup verify --latest -e bench --jobs $JOBS)")
    echo "round $round: pg_restore ${restore_times[-1]} s, pg_restore with the drill's settings ${tuned_times[-1]} s, backstop backup verify ${drill_times[-1]} s" >&2
done
backstop backup verify --latest -e bench --jobs $JOBS >/dev/null  # fails the script if the drill does not pass

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
md=$(median "${dump_times[@]}"); mb=$(median "${backup_times[@]}"); mr=$(median "${restore_times[@]}"); mv=$(median "${drill_times[@]}"); mt=$(median "${tuned_times[@]}")
mib=$(calc "$size / 1048576")
printf '\n| measure (median of %d backups, %d restores) | baseline | Backstop | ratio |\n|---|---|---|---|\n' "$BACKUP_ROUNDS" "$ROUNDS"
printf '| backup of %.0f MiB: pg_dump -Fd -j2 vs backup run | %.1f s (%.0f MiB/s) | %.1f s (%.0f MiB/s) | throughput %.2fx |\n' "$mib" "$md" "$(calc "$mib / $md")" "$mb" "$(calc "$mib / $mb")" "$(calc "$md / $mb")"
printf '| restore: pg_restore -j2 vs backup verify (drill) | %.1f s | %.1f s | time %.2fx |\n' "$mr" "$mv" "$(calc "$mv / $mr")"
printf '| restore with the drill'"'"'s settings: pg_restore -j2 vs backup verify | %.1f s | %.1f s | time %.2fx |\n' "$mt" "$mv" "$(calc "$mv / $mt")"
