#!/usr/bin/env bash
# Runs every Backstop test against real PostgreSQL. Installs what is missing first:
# PostgreSQL 15 from Debian's packages (the tests start throwaway clusters from its binaries)
# and the NuGet packages (dotnet restore). Works from a clean clone, without a terminal.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
ensure_prerequisites

dotnet restore Backstop.slnx
dotnet build Backstop.slnx --no-restore -c Release
dotnet test Backstop.slnx --no-build -c Release --logger "console;verbosity=normal" "$@"
