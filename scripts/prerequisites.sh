# Shared by demo.sh and test.sh: make sure PostgreSQL 15's programs, pgBackRest and the .NET SDK are here, and what the
# proxy's real-client tests drive: PgBouncer, pgjdbc (/usr/share/java/postgresql.jar) with a JDK to compile its
# harness, Node.js with npm for node-postgres (test/clients/), and Chromium for the console's browser tests.
ensure_prerequisites() {
    local packages=()
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
        packages+=(postgresql-15 postgresql-client-15)
    fi
    if ! command -v pgbackrest >/dev/null 2>&1; then
        packages+=(pgbackrest)
    fi
    if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
        packages+=(pgbouncer)
    fi
    if [ ! -f /usr/share/java/postgresql.jar ]; then
        packages+=(libpostgresql-jdbc-java)
    fi
    if ! command -v javac >/dev/null 2>&1; then
        packages+=(default-jdk-headless)
    fi
    if ! command -v node >/dev/null 2>&1; then
        packages+=(nodejs)
    fi
    if ! command -v npm >/dev/null 2>&1; then
        packages+=(npm)
    fi
    # The console's browser tests drive Debian's Chromium through Playwright (never a browser download).
    if [ ! -x /usr/bin/chromium ]; then
        packages+=(chromium)
    fi
    if [ ${#packages[@]} -gt 0 ]; then
        echo "Installing ${packages[*]} (Debian packages)..."
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
    fi
    if ! command -v dotnet >/dev/null 2>&1; then
        echo "The .NET 10 SDK is needed (dotnet on PATH); install it, then run this again." >&2
        exit 2
    fi
}
