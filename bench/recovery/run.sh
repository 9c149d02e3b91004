#!/usr/bin/env bash
# The recovery benchmark (docs/benchmarks.md, "Recovering the incidents"): each incident is enacted from psql,
# outside Backstop, then recovered twice and timed from the first recovery command to every row back:
#   by hand   - the way docs/repair.md and docs/pitr.md described it before issue 14 (one repair per table, with
#               hand-written subqueries and a guessed --incident-window; a point-in-time clone, a WAL switch from
#               psql, and pg_dump | pg_restore for a dropped database);
#   Backstop  - the one command for it (repair --root, repair without a window, recover-database).
# Between the two the incident is enacted again. Each recovery is checked against a fingerprint of the data taken
# before the mistake.
#
#   bench/recovery/run.sh            all three incidents
#   bench/recovery/run.sh cascade    one of: cascade, update, dropdb
#
# Needs what ./test.sh installs (PostgreSQL 15, pgbackrest, the .NET SDK). Runs as root or as a user that can run
# PostgreSQL; everything lives in a temporary directory that is removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
which=${1:-all}

dotnet build "$root/src/Backstop.Cli" -c Release -v quiet -nologo >/dev/null
backstop() { dotnet "$root/src/Backstop.Cli/bin/Release/net10.0/backstop.dll" "$@"; }

work=$(mktemp -d /tmp/backstop-recovery-bench.XXXXXX)
chmod 755 "$work"
export BACKSTOP_SANDBOX_DIR="$work/sandboxes"
cleanup() {
    for name in $(ls "$BACKSTOP_SANDBOX_DIR" 2>/dev/null); do backstop sandbox stop "$name" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log=${BACKSTOP_BENCH_LOG:-/tmp/backstop-recovery-bench.log}
: > "$log"
# Each recovery command's progress lines, with the seconds since the command started, go to the log.
stamp() { local t0; t0=$(now); while IFS= read -r line; do echo "$(seconds "$t0" "$(now)") s  $line"; done; }
step() { echo "=== $*" >> "$log"; backstop "$@" 2> >(stamp >> "$log") >/dev/null; }
results=()
record() { results+=("| $1 | $2 | $3 s |"); echo ">>> $1, $2: $3 s" >&2; }

backstop init >/dev/null
url=$(backstop sandbox start --name bench-primary 2>/dev/null | tail -1)
server=${url%/postgres}
shop="$server/shop"
psql -q "$url" -c "CREATE DATABASE shop"
backstop env add prod --url "$shop" --tier staging >/dev/null
backstop pitr enable -e prod --pgdata "$BACKSTOP_SANDBOX_DIR/bench-primary/data" --restart >/dev/null

psql -q "$shop" <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, tenant int NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE leads (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE, status text NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX ON leads (user_id);
CREATE TABLE conversations (id bigint PRIMARY KEY, lead_id bigint NOT NULL REFERENCES leads ON DELETE CASCADE, subject text);
CREATE INDEX ON conversations (lead_id);
CREATE TABLE messages (id bigint PRIMARY KEY, conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE, body text NOT NULL, sent_at timestamptz NOT NULL);
CREATE INDEX ON messages (conversation_id);
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users ON DELETE SET NULL, amount numeric(12, 2) NOT NULL, issued_at timestamptz NOT NULL);
INSERT INTO users SELECT g, g % 3, 'user ' || g, timestamptz '2026-01-01' + g * interval '1 hour' FROM generate_series(1, 12) g;
INSERT INTO leads SELECT g, (g - 1) / 300 + 1, 'open', timestamptz '2026-02-01' + g * interval '1 minute' FROM generate_series(1, 3600) g;
INSERT INTO conversations SELECT g, (g - 1) / 10 + 1, 'conversation ' || g FROM generate_series(1, 36000) g;
INSERT INTO messages SELECT g, (g - 1) / 3 + 1, 'message ' || g, timestamptz '2026-03-01' + g * interval '1 second' FROM generate_series(1, 108000) g;
INSERT INTO invoices SELECT g, (g - 1) / 40 + 1, g % 997, timestamptz '2026-04-01' + g * interval '1 hour' FROM generate_series(1, 480) g;
CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, total numeric(12, 2), note text, is_deleted boolean NOT NULL DEFAULT false);
INSERT INTO orders SELECT g, g % 5000, g % 977, 'order ' || g, g % 1000 = 0 FROM generate_series(1, 1000000) g;
VACUUM ANALYZE;
SQL
backstop pitr backup -e prod >/dev/null

fingerprint() {
    psql -At "$shop" -c "SELECT string_agg(t || ':' || h, ' ' ORDER BY t) FROM (
        SELECT 'users' t, md5(string_agg(x::text, '|' ORDER BY id)) h FROM users x UNION ALL
        SELECT 'leads', md5(string_agg(x::text, '|' ORDER BY id)) FROM leads x UNION ALL
        SELECT 'conversations', md5(string_agg(x::text, '|' ORDER BY id)) FROM conversations x UNION ALL
        SELECT 'messages', md5(string_agg(x::text, '|' ORDER BY id)) FROM messages x UNION ALL
        SELECT 'invoices', md5(string_agg(x::text, '|' ORDER BY id)) FROM invoices x UNION ALL
        SELECT 'orders', md5(string_agg(x::text, '|' ORDER BY id)) FROM orders x) f"
}
check() {
    if [ "$(fingerprint)" != "$1" ]; then echo "!!! $2: the data is not as before the mistake" >&2; exit 1; fi
}
server_time() { psql -At "$shop" -c "SELECT clock_timestamp()"; }
# Before each enactment: a fresh backup, so that every recovery replays the WAL of its own incident only (both ways
# alike), and a pause, because the repair looks for the mistake among the transactions that committed from 30 s before
# the time it is given and the recovery just made must not be among them (incidents are not back to back).
settle() { backstop pitr backup -e prod >/dev/null; sleep 31; }
wait_past() { while [ "$(psql -At "$shop" -c "SELECT clock_timestamp() > '$1'::timestamptz + interval '$2 seconds'")" != t ]; do sleep 0.2; done; }

cascade() {
    local clean t
    clean=$(fingerprint)

    settle; t=$(server_time); psql -q "$shop" -c "DELETE FROM users WHERE id = 7"; wait_past "$t" 4
    local start; start=$(now)
    local by=(--incident-at "$t" --incident-window 3s --yes)
    step repair -e prod "${by[@]}" --table users --where "id = 7" --restore-missing
    step repair -e prod "${by[@]}" --table leads --where "user_id = 7" --restore-missing
    step repair -e prod "${by[@]}" --table conversations --where "lead_id IN (SELECT id FROM leads WHERE user_id = 7)" --restore-missing
    step repair -e prod "${by[@]}" --table messages --where "conversation_id IN (SELECT c.id FROM conversations c JOIN leads l ON l.id = c.lead_id WHERE l.user_id = 7)" --restore-missing
    step repair -e prod "${by[@]}" --table invoices --columns user_id --where "id BETWEEN 241 AND 280"
    record "cascading delete of one user (12,341 rows in 5 tables)" "by hand: 5 repairs, 10 clones" "$(seconds "$start" "$(now)")"
    check "$clean" "cascade by hand"

    settle; t=$(server_time); psql -q "$shop" -c "DELETE FROM users WHERE id = 7"; wait_past "$t" 4
    start=$(now)
    step repair -e prod --incident-at "$t" --root users --where "id = 7" --yes
    record "cascading delete of one user (12,341 rows in 5 tables)" "Backstop: repair --root" "$(seconds "$start" "$(now)")"
    check "$clean" "cascade with repair --root"
}

update() {
    local clean t start
    clean=$(fingerprint)

    settle; t=$(server_time); psql -q "$shop" -c "UPDATE orders SET is_deleted = true"; wait_past "$t" 12
    start=$(now)
    step repair -e prod --incident-at "$t" --incident-window 10s --table orders --columns is_deleted --yes
    record "UPDATE without WHERE on 1,000,000 orders" "by hand: repair with a window" "$(seconds "$start" "$(now)")"
    check "$clean" "update by hand"

    settle; t=$(server_time); psql -q "$shop" -c "UPDATE orders SET is_deleted = true"; wait_past "$t" 12
    start=$(now)
    step repair -e prod --incident-at "$t" --table orders --columns is_deleted --yes
    record "UPDATE without WHERE on 1,000,000 orders" "Backstop: repair, the mistake found in the WAL" "$(seconds "$start" "$(now)")"
    check "$clean" "update found in the WAL"
}

dropdb() {
    local clean t start clone
    clean=$(fingerprint)

    # Backstop first: recover-database finds the DROP by the database OID the environment recorded, and records the
    # new one; the database the hand-made recovery creates afterwards is one Backstop has not recorded.
    settle; psql -q "$url" -c "DROP DATABASE shop"
    start=$(now)
    step recover-database -e prod
    record "DROP DATABASE of 1.2M rows" "Backstop: recover-database" "$(seconds "$start" "$(now)")"
    check "$clean" "recover-database"

    settle; t=$(server_time); sleep 1; psql -q "$url" -c "DROP DATABASE shop"
    start=$(now)
    # By hand, as docs/pitr.md had it: switch WAL through another database so the DROP reaches the archive, clone to
    # the time just before the DROP, copy the database back with pg_dump and pg_restore, stop the clone.
    psql -q "$url" -c "SELECT pg_switch_wal()" >/dev/null
    clone=$(backstop pitr clone -e prod --time "$t" --name bench-clone 2>/dev/null | tail -1)
    psql -q "$url" -c "CREATE DATABASE shop"
    # A time target stops only at a commit, and DROP DATABASE marks the database invalid before its own commit: when no
    # other transaction committed between the time and the DROP, the clone's copy of the database is invalid.
    if pg_dump -Fc "$clone" 2>>"$log" > "$work/shop.dump" && pg_restore --no-owner -d "$shop" "$work/shop.dump"; then
        record "DROP DATABASE of 1.2M rows" "by hand: clone, pg_dump, pg_restore" "$(seconds "$start" "$(now)")"
        check "$clean" "drop database by hand"
    else
        record "DROP DATABASE of 1.2M rows" "by hand: clone, pg_dump, pg_restore" "failed after $(seconds "$start" "$(now)") (the clone's database is invalid: $(tail -1 "$log" | cut -c1-80))"
    fi
    backstop sandbox stop bench-clone >/dev/null
}

case "$which" in
    all) cascade; update; dropdb ;;
    cascade|update|dropdb) "$which" ;;
    *) echo "usage: bench/recovery/run.sh [cascade|update|dropdb]" >&2; exit 2 ;;
esac

echo "progress of each recovery command, timed: $log" >&2
echo
echo "| incident | recovery | from the first command to every row back |"
echo "|---|---|---|"
printf '%s\n' "${results[@]}"
