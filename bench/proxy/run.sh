#!/usr/bin/env bash
# Proxy benchmark (issue 16). In one run on this machine:
#  1. `pgbench -S -c 8 -j 2 -T 30 -n` three ways: straight to PostgreSQL, through PgBouncer (Debian's package, session
#     mode, SCRAM) and through Backstop's proxy (`backstop server` with server.proxy) as a service account. ROUNDS
#     rounds, the order rotating from round to round so that the machine's noise falls on each alike, after a warm-up
#     of each; every run and the medians are printed, with the ratio Backstop / PgBouncer. Goal: Backstop's TPS >=
#     PgBouncer's. pgbench's -T clock starts before its clients connect, and a client's SCRAM sign-in to Backstop
#     takes far longer than to PostgreSQL (600,000 PBKDF2 iterations against 4,096, docs/proxy.md), so -T is 30: every
#     run then counts transactions over at least 20 s; the script prints each run's window.
#  2. The latency a person's guarded single-row UPDATE adds (`bench/Backstop.Benchmarks -- proxy-update`): the same
#     UPDATE of pgbench_accounts by aid, UPDATES times straight and UPDATES times through the proxy as a person on an
#     environment of the development tier (no confirmation needed; still measured, captured, kept), alternating.
#     Goal: the difference of the medians <= 2 ms.
# Everything lives in a throwaway directory: a PostgreSQL 15 cluster (scram-sha-256 over TCP, fsync off), a Backstop
# workspace, PgBouncer's files; all of it is stopped and removed at the end. The script's environment reaches
# `backstop server` (e.g. DOTNET_ settings to try). Usage:
#   bench/proxy/run.sh                                              # 3 rounds, 1,000 UPDATEs each way
#   ROUNDS=1 DURATION=12 WARMUP=3 UPDATES=50 bench/proxy/run.sh     # a quick check that it all works
#   GUARD_DIRECT=1 ...   # also the guard alone on a connection straight to PostgreSQL (`Backstop.Benchmarks -- guard-direct`)
#   PGLOG=FILE SERVERLOG=FILE PGBENCH=0 ...   # keep PostgreSQL's statement log and the server's output; only the UPDATEs
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/prerequisites.sh
ensure_prerequisites
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-8}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-10}
SCALE=${SCALE:-10}
UPDATES=${UPDATES:-1000}

echo "building Backstop (Release)..." >&2
dotnet build src/Backstop.Cli -c Release -v quiet -nologo >/dev/null
dotnet build bench/Backstop.Benchmarks -c Release -v quiet -nologo >/dev/null
cli="$PWD/src/Backstop.Cli/bin/Release/net10.0/backstop.dll"
bench="$PWD/bench/Backstop.Benchmarks/bin/Release/net10.0/Backstop.Benchmarks.dll"
backstop() { (cd "$work/workspace" && dotnet "$cli" "$@"); }
pgbin=$(dirname "$(ls /usr/lib/postgresql/15/bin/initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
pgbouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

# PostgreSQL and PgBouncer refuse to run as root: then they run as Debian's postgres user.
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d /tmp/backstop-bench-proxy.XXXXXX)
chmod 755 "$work"
server_pid=""
cleanup() {
    set +e
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -f "$work/pgbouncer/pgbouncer.pid" ] && kill "$(cat "$work/pgbouncer/pgbouncer.pid")" 2>/dev/null
    [ -f "$work/pg/postmaster.pid" ] && as_owner "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
    sleep 0.5
    [ -n "${PGLOG:-}" ] && cp "$work/pg/log" "$PGLOG"
    [ -n "${SERVERLOG:-}" ] && cp "$work/server.log" "$SERVERLOG"
    rm -rf "$work"
}
trap cleanup EXIT

# ---- the cluster: PostgreSQL 15, SCRAM over TCP, trust on its own socket directory only
pg_port=$(free_port)
db_password="bench-db-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
mkdir -p "$work/pg" "$work/socket" "$work/pgbouncer"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work/pg" "$work/socket" "$work/pgbouncer"
as_owner "$pgbin/initdb" -D "$work/pg" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >/dev/null
cat >>"$work/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$work/socket'
max_connections = 100
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
# PGLOG=FILE keeps the server's log with every statement and its duration (with PGBENCH=0: the UPDATE's round trips).
[ -n "${PGLOG:-}" ] && printf "log_min_duration_statement = 0\nlog_line_prefix = '%%m [%%p] '\n" >>"$work/pg/postgresql.conf"
as_owner "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w start >/dev/null
as_owner "$pgbin/psql" -X -q -h "$work/socket" -p "$pg_port" -U postgres -d postgres \
    -c "ALTER ROLE postgres PASSWORD '$db_password'" -c "CREATE DATABASE bench"
export PGPASSWORD="$db_password"
echo "pgbench -i -s $SCALE..." >&2
"$pgbin/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$pg_port" -U postgres bench >/dev/null 2>&1
"$pgbin/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -c "VACUUM ANALYZE"
unset PGPASSWORD

# ---- the Backstop workspace: the database as environment prod (production) and dev (development), a service
# account for pgbench and a person for the UPDATE; the server with the proxy on a free port.
# (The URL comes from a variable of this script and the server: `env add --url file:/PATH` refuses a file that holds a
# password, although docs/configuration.md offers file: for the server's credentials.)
mkdir -p "$work/workspace"
export BACKSTOP_BENCH_URL="postgresql://postgres:$db_password@127.0.0.1:$pg_port/bench"
backstop init >/dev/null
backstop env add prod --url env:BACKSTOP_BENCH_URL --tier production >/dev/null
backstop env add dev --url env:BACKSTOP_BENCH_URL --tier development >/dev/null
printf 'server:\n  proxy:\n    listen: 127.0.0.1:0\n' >>"$work/workspace/backstop.yaml"
service_password="bench-service-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
person_password="bench-person-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
echo "bench-root-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" | backstop server init --admin root --password-stdin >/dev/null
echo "$service_password" | backstop user add app --role service --password-stdin >/dev/null
echo "$person_password" | backstop user add alice --role requester --password-stdin >/dev/null
(cd "$work/workspace" && exec dotnet "$cli" server --urls http://127.0.0.1:0 >"$work/server.log" 2>&1) &
server_pid=$!
proxy_port=""
for _ in $(seq 300); do
    proxy_port=$(sed -n 's/.*PostgreSQL proxy listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log" | head -1)
    [ -n "$proxy_port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$proxy_port" ]; then
    echo "backstop server did not start its proxy:" >&2
    cat "$work/server.log" >&2
    exit 1
fi

# ---- PgBouncer, session mode, SCRAM for its clients and to the server (the password in its auth_file)
bouncer_port=$(free_port)
cat >"$work/pgbouncer/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$pg_port dbname=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $work/pgbouncer/userlist.txt
pool_mode = session
max_client_conn = 100
default_pool_size = 20
logfile = $work/pgbouncer/pgbouncer.log
pidfile = $work/pgbouncer/pgbouncer.pid
EOF
printf '"postgres" "%s"\n' "$db_password" >"$work/pgbouncer/userlist.txt"
chmod 600 "$work/pgbouncer/userlist.txt"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work/pgbouncer"/*
as_owner "$pgbouncer" -d -q "$work/pgbouncer/pgbouncer.ini"
for _ in $(seq 50); do [ -f "$work/pgbouncer/pgbouncer.pid" ] && break; sleep 0.1; done

# ---- pgbench -S three ways
declare -A target_port=([direct]=$pg_port [pgbouncer]=$bouncer_port [backstop]=$proxy_port)
declare -A target_user=([direct]=postgres [pgbouncer]=postgres [backstop]=app)
declare -A target_db=([direct]=bench [pgbouncer]=bench [backstop]=prod)
declare -A target_password=([direct]=$db_password [pgbouncer]=$db_password [backstop]=$service_password)
# One pgbench -S run; prints "TPS CONNECT_MS WINDOW_S": the TPS without the initial connection time, the time the
# clients took to connect, and the seconds the transactions were counted over (pgbench's -T clock starts before the
# clients connect, so the window is -T less the connection time).
# The CPU time (user + system, in clock ticks) the proxy in the middle has used so far: Backstop's server or PgBouncer.
proxy_ticks() {
    local pid=""
    case $1 in
        backstop) pid=$server_pid ;;
        pgbouncer) pid=$(cat "$work/pgbouncer/pgbouncer.pid" 2>/dev/null || true) ;;
    esac
    if [ -z "$pid" ] || [ ! -r "/proc/$pid/stat" ]; then echo 0; return; fi
    # Fields 14 and 15 of /proc/PID/stat, counted after the command name (which may hold spaces) ends with ')'.
    sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }'
}
pgbench_run() {
    local target=$1 seconds=$2 output tps connect count ticks_before ticks_after
    ticks_before=$(proxy_ticks "$target")
    output=$(PGPASSWORD="${target_password[$target]}" "$pgbin/pgbench" -S -c "$CLIENTS" -j "$THREADS" -T "$seconds" -n \
        -h 127.0.0.1 -p "${target_port[$target]}" -U "${target_user[$target]}" "${target_db[$target]}" 2>&1) || {
        echo "pgbench through $target failed:" >&2
        echo "$output" >&2
        return 1
    }
    tps=$(echo "$output" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
    connect=$(echo "$output" | sed -n 's/^initial connection time = \([0-9.]*\) ms/\1/p')
    count=$(echo "$output" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    if [ -z "$tps" ] || [ -z "$count" ] || [ "$count" -eq 0 ]; then
        echo "pgbench through $target counted no transactions:" >&2
        echo "$output" >&2
        return 1
    fi
    ticks_after=$(proxy_ticks "$target")
    # The proxy's CPU per transaction in microseconds (0 straight to PostgreSQL).
    echo "$tps ${connect:-0} $(awk -v n="$count" -v t="$tps" 'BEGIN { printf "%.1f", n / t }') $(awk -v a="$ticks_before" -v b="$ticks_after" -v n="$count" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')"
}
targets=(direct pgbouncer backstop)
# PGBENCH=0 skips the pgbench part (only the UPDATE latency is measured).
if [ "${PGBENCH:-1}" != 0 ]; then
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "warming up each way for $WARMUP s (not counted)..." >&2
for t in "${targets[@]}"; do pgbench_run "$t" "$WARMUP" >/dev/null 2>&1 || true; done
declare -A runs=([direct]="" [pgbouncer]="" [backstop]="")
declare -A connects=([direct]="" [pgbouncer]="" [backstop]="")
declare -A cpus=([direct]="" [pgbouncer]="" [backstop]="")
for round in $(seq "$ROUNDS"); do
    order=()
    for i in 0 1 2; do order+=("${targets[$(((round - 1 + i) % 3))]}"); done
    for t in "${order[@]}"; do
        read -r tps connect window cpu < <(pgbench_run "$t" "$DURATION")
        runs[$t]="${runs[$t]} $tps"
        connects[$t]="${connects[$t]} $connect"
        cpus[$t]="${cpus[$t]} $cpu"
        printf 'round %d  %-9s  %10.1f tps  %6.1f us proxy CPU per transaction  (counted over %s s; the %d clients took %.0f ms to connect)\n' \
            "$round" "$t" "$tps" "$cpu" "$window" "$CLIENTS" "$connect"
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "pgbench -S -c $CLIENTS -j $THREADS -T $DURATION -n, scale $SCALE, $ROUNDS round(s), $(nproc) cores, load average before: $load_before"
printf '%-10s %-44s %12s %22s %26s\n' "" "runs (tps)" "median tps" "median connect (ms)" "proxy CPU per txn (us)"
for t in "${targets[@]}"; do
    printf '%-10s %-44s %12.1f %22.0f %26.1f\n' "$t" "${runs[$t]# }" "$(echo "${runs[$t]}" | median)" "$(echo "${connects[$t]}" | median)" "$(echo "${cpus[$t]}" | median)"
done
med_bouncer=$(echo "${runs[pgbouncer]}" | median)
med_backstop=$(echo "${runs[backstop]}" | median)
med_direct=$(echo "${runs[direct]}" | median)
awk -v b="$med_backstop" -v p="$med_bouncer" -v d="$med_direct" 'BEGIN {
    printf "Backstop / PgBouncer: %.3f (goal >= 1)    Backstop / direct: %.3f    PgBouncer / direct: %.3f\n", b / p, b / d, p / d }'
fi

# ---- a person's guarded single-row UPDATE, straight and through the proxy
echo
echo "single-row UPDATE: $UPDATES straight, $UPDATES through the proxy as a person on the dev environment (development tier)..." >&2
BACKSTOP_BENCH_DIRECT="Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=$db_password;Database=bench;Pooling=false" \
BACKSTOP_BENCH_PROXY="Host=127.0.0.1;Port=$proxy_port;Username=alice;Password=$person_password;Database=dev;Pooling=false" \
    dotnet "$bench" proxy-update "$UPDATES"
if [ -n "${GUARD_DIRECT:-}" ]; then
    BACKSTOP_BENCH_DIRECT="Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=$db_password;Database=bench;Pooling=false" \
        dotnet "$bench" guard-direct "$UPDATES"
fi
