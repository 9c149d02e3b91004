# Shared by demo.sh and test.sh: make sure PostgreSQL 15's programs, pgBackRest and the .NET SDK are here.
ensure_prerequisites() {
    local packages=()
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
        packages+=(postgresql-15 postgresql-client-15)
    fi
    if ! command -v pgbackrest >/dev/null 2>&1; then
        packages+=(pgbackrest)
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
