#!/usr/bin/env bash
# The Backstop demo: a production-like sandbox, and the two incidents Backstop exists for.
# Installs what is missing (PostgreSQL 15 via apt-get, NuGet packages), builds, runs, and cleans up.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
ensure_prerequisites

echo "Building Backstop..."
dotnet build src/Backstop.Cli -c Release -v quiet -nologo >/dev/null
root=$(pwd)
backstop() { dotnet "$root/src/Backstop.Cli/bin/Release/net10.0/backstop.dll" "$@"; }

work=$(mktemp -d)
chmod o+x "$work"   # the cluster's owner (postgres) runs pgBackRest for the PITR step, and must reach .backstop/pitr
sandbox="demo-$$"
server_pid=""
cleanup() {
    [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
    backstop sandbox stop "$sandbox" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
# A login elsewhere on this machine must not send the demo's commands to another server.
export XDG_CONFIG_HOME="$work/local-config"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
expect() { # expect CODE COMMAND...: run it and show its exit code
    local want=$1; shift
    set +e; "$@"; local got=$?; set -e
    echo "(exit code $got)"
    [ "$got" -eq "$want" ] || { echo "demo: expected exit code $want" >&2; exit 1; }
}

step "Start a throwaway PostgreSQL cluster" "backstop sandbox start --name $sandbox"
url=$(backstop sandbox start --name "$sandbox")
echo "$url"
psql -q -v ON_ERROR_STOP=1 "$url" -f "$root/demo/schema.sql"
echo "Loaded: 10 organizations, 100 users, 3,000 leads, 30,000 conversations (ON DELETE CASCADE), 5,000 orders."

step "Register it as a production environment" "backstop init && backstop env add prod --url $url --tier production"
backstop init
backstop env add prod --url "$url" --tier production

step "Incident 1: the UPDATE whose WHERE stood after a blank line" "backstop check -e prod -f soft-delete-fix.sql"
cat "$root/demo/soft-delete-fix.sql"
expect 4 backstop check -e prod -f "$root/demo/soft-delete-fix.sql"

step "Incident 1: the same UPDATE without its WHERE is denied on production" "backstop run -e prod -c 'UPDATE orders SET is_deleted = true'"
expect 3 backstop run -e prod --confirm prod -c "UPDATE orders SET is_deleted = true"

step "Incident 2: deleting one user previews the whole cascade" "backstop check -e prod -c 'DELETE FROM users WHERE id = 1'"
expect 4 backstop check -e prod -c "DELETE FROM users WHERE id = 1"

step "...and running it needs a second person's approval" "backstop run -e prod --confirm prod -c 'DELETE FROM users WHERE id = 1'"
expect 4 backstop run -e prod --confirm prod -c "DELETE FROM users WHERE id = 1"

step "Incident 2, run for real where the policy allows it, then taken back" "backstop env add dev --url $url --tier development"
backstop env add dev --url "$url" --tier development
counts() { psql -qtA "$url" -c "SELECT format('users %s, leads %s, conversations %s', (SELECT count(*) FROM users), (SELECT count(*) FROM leads), (SELECT count(*) FROM conversations))"; }
echo "Before:        $(counts)"
change=$(backstop run -e dev --json -c "DELETE FROM users WHERE id = 1" | sed -n 's/^  "changeId": \([0-9]*\),$/\1/p')
echo "After delete:  $(counts)   (change $change)"
printf '$ backstop undo %s\n' "$change"
backstop undo "$change"
echo "After undo:    $(counts)"

step "Team mode: the server holds the credentials; one person asks, another approves" "backstop server init && backstop server"
printf 'demo-root-password\n' | backstop server init --admin root --password-stdin >/dev/null
printf 'alice-demo-password\n' | backstop user add alice --role requester --password-stdin
printf 'bob-demo-password-2\n' | backstop user add bob --role approver --password-stdin
# The server also hosts the PostgreSQL proxy (docs/proxy.md): psql, DBeaver and applications connect to it.
if grep -q '^server:' backstop.yaml; then
    sed -i 's/^server:$/server:\n  proxy:\n    listen: 127.0.0.1:0/' backstop.yaml
else
    printf 'server:\n  proxy:\n    listen: 127.0.0.1:0\n' >>backstop.yaml
fi
# Started as dotnet itself, not through the backstop function: $! must be the server, for the kill at the end.
dotnet "$root/src/Backstop.Cli/bin/Release/net10.0/backstop.dll" server --urls http://127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
    server_url=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | head -1 | sed 's/listening on //') || true
    [ -n "$server_url" ] && break
    sleep 0.5
done
[ -n "$server_url" ] || { cat "$work/server.log" >&2; echo "demo: the server did not start" >&2; exit 1; }
proxy_port=""
for _ in $(seq 1 60); do
    proxy_port=$(grep -o 'proxy listening on 127.0.0.1:[0-9]*' "$work/server.log" | head -1 | sed 's/.*://') || true
    [ -n "$proxy_port" ] && break
    sleep 0.5
done
[ -n "$proxy_port" ] || { cat "$work/server.log" >&2; echo "demo: the proxy did not start" >&2; exit 1; }
echo "Backstop server on $server_url, its PostgreSQL proxy on 127.0.0.1:$proxy_port"
# Each person's CLI keeps its own token (XDG_CONFIG_HOME) and has no database password.
mkdir -p "$work/alice" "$work/bob"
alice() { (cd "$work/alice" && XDG_CONFIG_HOME="$work/alice" backstop "$@"); }
bob() { (cd "$work/bob" && XDG_CONFIG_HOME="$work/bob" backstop "$@"); }
printf 'alice-demo-password\n' | alice login "$server_url" --user alice --password-stdin
printf 'bob-demo-password-2\n' | bob login "$server_url" --user bob --password-stdin

step "alice asks to delete one user on production: the cascade needs a second person" "backstop run -e prod -c 'DELETE FROM users WHERE id = 2'   # as alice"
set +e; alice run -e prod -c "DELETE FROM users WHERE id = 2" | tee "$work/request.txt"; got=${PIPESTATUS[0]}; set -e
echo "(exit code $got)"
request=$(grep -o 'Request [0-9]*' "$work/request.txt" | head -1 | cut -d' ' -f2)
[ "$got" -eq 4 ] && [ -n "$request" ] || { echo "demo: expected a request for approval" >&2; exit 1; }

step "alice cannot approve her own request" "backstop approve $request   # as alice"
expect 3 alice approve "$request"

step "bob sees it, with its impact per table, and approves it" "backstop approvals && backstop approve $request   # as bob"
expect 0 bob approvals
expect 0 bob approve "$request" --reason "the customer asked to be forgotten"

step "alice executes it: once, measured again" "backstop execute $request   # as alice"
expect 0 alice execute "$request"
step "...and a second time is refused" "backstop execute $request   # as alice"
expect 3 alice execute "$request"

step "Incident 1 in psql, through the proxy: the UPDATE without its WHERE is refused, nothing changed" "psql 'host=127.0.0.1 port=$proxy_port user=alice dbname=prod' -c 'UPDATE orders SET is_deleted = true'"
# alice holds no database password: she signs in to the proxy as herself.
expect 1 env PGPASSWORD=alice-demo-password psql -X "host=127.0.0.1 port=$proxy_port user=alice dbname=prod sslmode=disable" -c "UPDATE orders SET is_deleted = true"
echo "Orders marked deleted: $(psql -qtA "$url" -c "SELECT count(*) FROM orders WHERE is_deleted")"

step "Every step is in the audit log, and the log verifies" "backstop audit list && backstop audit verify   # as bob"
bob audit list --limit 12
expect 0 bob audit verify
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

step "A backup, and the restore drill that proves it" "backstop backup run -e prod && backstop backup verify --latest -e prod"
backstop backup run -e prod
backstop backup verify --latest -e prod

step "The proven restore, as cron or monitoring sees it" "backstop backup status -e prod --strict"
backstop backup status -e prod --strict

step "Incident 1 for real, from psql, outside Backstop; then repaired from point-in-time clones" "backstop pitr enable -e dev --pgdata … --restart && backstop pitr backup -e dev"
data_dir=$(backstop sandbox list --json | tr -d ' \n' | grep -o "\"name\":\"$sandbox\"[^}]*\"directory\":\"[^\"]*\"" | sed 's/.*"directory":"\([^"]*\)"/\1/')/data
backstop pitr enable -e dev --pgdata "$data_dir" --restart
backstop pitr backup -e dev
sleep 1
incident=$(psql -qtA "$url" -c "SELECT clock_timestamp()")
printf '$ psql -c "UPDATE orders SET is_deleted = true"      # at %s, the WHERE never sent\n' "$incident"
psql -q "$url" -c "UPDATE orders SET is_deleted = true"
sleep 11
echo "Later, legitimate writes: 3 orders get a new total, 2 are un-deleted by hand."
psql -q "$url" -c "UPDATE orders SET total = total + 10 WHERE id IN (10, 20, 30)" -c "UPDATE orders SET is_deleted = false WHERE id IN (40, 50)"
echo "Deleted orders now: $(psql -qtA "$url" -c "SELECT count(*) FROM orders WHERE is_deleted")"
printf '$ backstop repair -e dev --incident-at "%s" --table orders --columns is_deleted\n' "$incident"
backstop repair -e dev --incident-at "$incident" --table orders --columns is_deleted --yes
echo "Deleted orders after the repair: $(psql -qtA "$url" -c "SELECT count(*) FROM orders WHERE is_deleted"); later totals kept: $(psql -qtA "$url" -c "SELECT string_agg(total::text, ', ' ORDER BY id) FROM orders WHERE id IN (10, 20, 30)")"

step "Every run is recorded" "backstop changes"
backstop changes
psql -qtA "$url" -c "SELECT 'Still there: ' || (SELECT count(*) FROM orders WHERE NOT is_deleted) || ' live orders, ' || (SELECT count(*) FROM conversations) || ' conversations.'"

echo
echo "Demo done; the sandbox is being stopped."
