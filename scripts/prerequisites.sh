# Shared by demo.sh and test.sh: make sure PostgreSQL 15's server programs and the .NET SDK are here.
ensure_prerequisites() {
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
        echo "Installing PostgreSQL 15 (Debian package postgresql-15)..."
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql-15 postgresql-client-15 >/dev/null
    fi
    if ! command -v dotnet >/dev/null 2>&1; then
        echo "The .NET 10 SDK is needed (dotnet on PATH); install it, then run this again." >&2
        exit 2
    fi
}
