#!/usr/bin/env bash
# Builds the local stand-ins for the images docker-compose.federation.yml and the Dockerfile pull from registries this
# machine cannot reach (Docker Hub, mcr.microsoft.com, dl.min.io), from Debian/Ubuntu packages, npm and the host's
# .NET. Only for offline runs (scripts/compose-smoke.sh); users of the compose file pull the official images.
# Skips the bases and .NET images when they exist already (PANORAMAX_LOCAL_REBUILD=1 rebuilds them). Needs root (debootstrap), docker,
# and the Debian, Ubuntu and npm mirrors.
#
# Images: panoramax-local/debian:bookworm, panoramax-local/ubuntu:noble (debootstrapped bases),
#   panoramax-local/dotnet-sdk:10.0, panoramax-local/dotnet-aspnet:10.0 (SDK_IMAGE / RUNTIME_IMAGE of the Dockerfile),
#   panoramax-local/postgis:15-3 (postgis/postgis), panoramax-local/s3 (minio/minio), panoramax-local/connect (alpine).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/docker/local"
WORK="${PANORAMAX_LOCAL_WORK:-/tmp/panoramax-local-images}"

have() { [ "${PANORAMAX_LOCAL_REBUILD:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

# A minimal root file system as an image, with the apt sources its official counterpart has.
base_image() { # base_image IMAGE SUITE COMPONENTS MIRROR SOURCES-LINE... (options in $DEBOOTSTRAP_OPTS)
  local image="$1" suite="$2" components="$3" mirror="$4"; shift 4
  have "$image" && return
  local dir="$WORK/$suite"
  echo "local images: debootstrap $suite into $dir"
  rm -rf "$dir"; mkdir -p "$WORK"
  # shellcheck disable=SC2086 # DEBOOTSTRAP_OPTS holds several words
  debootstrap --variant=minbase ${DEBOOTSTRAP_OPTS:-} --components="$components" "$suite" "$dir" "$mirror" \
    ${DEBOOTSTRAP_SCRIPT:-} >"$WORK/$suite.log" 2>&1 \
    || { tail -20 "$WORK/$suite.log" >&2; exit 1; }
  printf '%s\n' "$@" > "$dir/etc/apt/sources.list"
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb
  # The host's own CA certificates (e.g. of a TLS-intercepting proxy in front of NuGet and npm) are trusted by the
  # stand-ins too: the ca-certificates package the images install picks them up; Node reads the bundle it builds.
  mkdir -p "$dir/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/" 2>/dev/null || true
  tar -C "$dir" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' -c 'CMD ["bash"]' - "$image" >/dev/null
  rm -rf "$dir"
  echo "local images: $image"
}

build() { # build IMAGE CONTEXT DOCKERFILE [docker build options]
  local image="$1" context="$2" file="$3"; shift 3
  # The .NET images depend on the host only (and send 600 MB of context): built once. The others are rebuilt from
  # the layer cache each time, so changes to their files here or in tests/tools are picked up.
  case "$image" in *dotnet*) have "$image" && return;; esac
  echo "local images: building $image"
  docker build -q --network host -t "$image" -f "$file" "$@" "$context" >/dev/null
  echo "local images: $image"
}

base_image panoramax-local/debian:bookworm bookworm main http://deb.debian.org/debian \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main"
# This debootstrap may predate noble: Ubuntu suites all use the "gutsy" script. Debian 12 has no Ubuntu keyring: the
# release files are then not verified (a local test image only).
ubuntu_keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg
if [ -f "$ubuntu_keyring" ]; then ubuntu_check="--keyring=$ubuntu_keyring"; else ubuntu_check=--no-check-gpg; fi
DEBOOTSTRAP_OPTS="$ubuntu_check" DEBOOTSTRAP_SCRIPT=/usr/share/debootstrap/scripts/gutsy base_image panoramax-local/ubuntu:noble noble main,universe \
  http://archive.ubuntu.com/ubuntu \
  "deb http://archive.ubuntu.com/ubuntu noble main restricted universe multiverse" \
  "deb http://archive.ubuntu.com/ubuntu noble-updates main restricted universe multiverse" \
  "deb http://security.ubuntu.com/ubuntu noble-security main restricted universe multiverse"

dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
build panoramax-local/dotnet-aspnet:10.0 "$dotnet_root" "$HERE/dotnet.Dockerfile" --target aspnet
build panoramax-local/dotnet-sdk:10.0 "$dotnet_root" "$HERE/dotnet.Dockerfile" --target sdk
build panoramax-local/postgis:15-3 "$HERE" "$HERE/postgis.Dockerfile"
# s3rver and its wrapper come from tests/tools (which the repository's .dockerignore leaves out): a context of its own.
s3_context="$WORK/s3-context"
rm -rf "$s3_context"; mkdir -p "$s3_context"
cp "$ROOT"/tests/tools/{package.json,package-lock.json,s3rver-for-tests.js} "$HERE/s3-entrypoint.sh" "$s3_context/"
build panoramax-local/s3 "$s3_context" "$HERE/s3.Dockerfile"
build panoramax-local/connect "$HERE" "$HERE/connect.Dockerfile"
