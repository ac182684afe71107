#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for running (default) or testing (--tests) Panoramax.
# Idempotent: installs nothing when everything is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE="${1:-run}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

pg_major() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then basename "$(dirname "$d")"; return; fi
  done
}

packages=()
major="$(pg_major)"
if [ -z "$major" ]; then
  packages+=(postgresql)
  major="$(apt-cache policy postgresql 2>/dev/null | sed -n 's/.*Candidate: \([0-9]*\)+.*/\1/p')"
  major="${major:-15}"
fi
if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
  packages+=("postgresql-$major-postgis-3")
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
# exiv2 writes uploaders' override_Exif.*/override_Xmp.* tags into their JPEGs (as GeoVisio does with libexiv2).
command -v exiv2 >/dev/null || packages+=(exiv2)
if [ "$MODE" = "--bench" ]; then
  # The baselines the benchmarks measure against, and the load generator.
  command -v wrk >/dev/null || packages+=(wrk)
  command -v vipsthumbnail >/dev/null || packages+=(libvips-tools)
  [ -x /usr/bin/time ] || packages+=(time)
fi
if [ "$MODE" = "--tests" ]; then
  command -v chromium >/dev/null || packages+=(chromium)
fi

if [ ${#packages[@]} -gt 0 ]; then
  echo "setup: installing ${packages[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null; then
  echo "setup: the .NET 10 SDK is missing: install it (https://learn.microsoft.com/dotnet/core/install/linux-debian) and re-run." >&2
  exit 1
fi

cd "$ROOT"
dotnet tool restore >/dev/null

if [ "$MODE" = "--tests" ]; then
  # Servers the tests start as real processes (s3rver); versions pinned by the committed lock file.
  if [ ! -f tests/tools/node_modules/.package-lock.json ] || [ tests/tools/package-lock.json -nt tests/tools/node_modules/.package-lock.json ]; then
    echo "setup: npm ci in tests/tools"
    (cd tests/tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
