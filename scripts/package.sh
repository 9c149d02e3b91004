#!/usr/bin/env bash
# Builds Backstop's two installable forms from this clone:
#
#   OUT/nupkg/Backstop.VERSION.nupkg   a .NET tool: runs on an installed .NET 10 runtime with ASP.NET Core
#   OUT/linux-x64/backstop             one self-contained file for linux-x64: needs no .NET on the machine
#
#   scripts/package.sh          OUT is artifacts/ in the clone
#   scripts/package.sh DIR      OUT is DIR (created if missing)
#
# VERSION is <Version> in Directory.Build.props. Restores its own packages; needs no terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-artifacts}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
project=src/Backstop.Cli/Backstop.Cli.csproj
profile=linux-x64   # src/Backstop.Cli/Properties/PublishProfiles/linux-x64.pubxml
version="$(dotnet msbuild "$project" -getProperty:Version)"

# A second run must not leave an older version's package beside the new one.
rm -rf "$out/nupkg" "$out/linux-x64"

echo "Packing the .NET tool Backstop $version..."
dotnet restore "$project"
dotnet pack "$project" --no-restore -c Release -o "$out/nupkg"

echo "Publishing the single-file linux-x64 binary..."
dotnet restore "$project" -p:PublishProfile="$profile"
dotnet publish "$project" --no-restore -p:PublishProfile="$profile" -o "$out/linux-x64"

nupkg="$out/nupkg/Backstop.$version.nupkg"
binary="$out/linux-x64/backstop"
[ -f "$nupkg" ] || { echo "expected $nupkg, but dotnet pack did not write it" >&2; exit 1; }
[ -x "$binary" ] || { echo "expected $binary, but dotnet publish did not write it" >&2; exit 1; }

size() { du -h "$1" | cut -f1; }
cat <<TEXT

Built Backstop $version:
  $nupkg  ($(size "$nupkg"))  .NET tool; needs the .NET 10 runtime and ASP.NET Core runtime
  $binary  ($(size "$binary"))  self-contained, linux-x64; needs no .NET

Install one of them:
  dotnet tool install --global --add-source $out/nupkg Backstop --version $version
  sudo install -m 0755 $binary /usr/local/bin/backstop
TEXT
