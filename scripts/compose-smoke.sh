#!/usr/bin/env bash
# Runs docker-compose.federation.yml for real and checks it end to end: builds the server image from the Dockerfile,
# starts the three instances and the aggregator (each with its database and S3 store), waits for the "connect"
# service to peer them, uploads a picture on alpha and waits until charlie (relayed by bravo) and the aggregator
# serve it with its files on alpha. Then `down -v`. Exits non-zero on the first failed check. Not part of
# scripts/test.sh (it needs Docker and takes minutes).
#
# By default the images this machine cannot pull (Docker Hub, mcr.microsoft.com, MinIO) are replaced by local
# stand-ins built by docker/local/build.sh (Debian/Ubuntu packages, npm's s3rver for MinIO, the host's .NET);
# PANORAMAX_SMOKE_OFFICIAL=1 uses the compose file's own images instead, as users run it.
# Environment: PANORAMAX_SHARED_DIR (blurring models and the test picture, default ../shared),
# PANORAMAX_SMOKE_KEEP=1 (leave the containers running), PANORAMAX_SMOKE_TIMEOUT (seconds per wait, default 600).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHARED="$(cd "${PANORAMAX_SHARED_DIR:-$ROOT/../shared}" && pwd)"
TIMEOUT="${PANORAMAX_SMOKE_TIMEOUT:-600}"
PICTURE="$SHARED/data/a-exif-samples-arezzo/DSCN0010.jpg"
export PANORAMAX_MODELS="$SHARED/models" PANORAMAX_ADMIN_PASSWORD="compose-smoke-admin"
NAMES=(alpha bravo charlie aggregator)
PORTS=(8100 8110 8120 8130)
started=$(date +%s)
jar=""

say() { echo "compose-smoke: $*"; }
fail() { echo "compose-smoke: FAILED: $*" >&2; exit 1; }
for tool in docker curl jq; do command -v "$tool" >/dev/null || fail "$tool is missing"; done
docker info >/dev/null 2>&1 || fail "no Docker daemon answers (start dockerd)"
[ -f "$PICTURE" ] && [ -d "$PANORAMAX_MODELS" ] || fail "no test picture or models under $SHARED"
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
COMPOSE+=(-p panoramax-smoke -f "$ROOT/docker-compose.federation.yml")
for port in "${PORTS[@]}"; do
  ! curl -s -o /dev/null "http://localhost:$port/" || fail "port $port is in use (the compose file publishes 8100-8130)"
done

build_args=()
if [ "${PANORAMAX_SMOKE_OFFICIAL:-0}" != 1 ]; then
  bash "$ROOT/docker/local/build.sh"
  export PANORAMAX_POSTGIS_IMAGE=panoramax-local/postgis:15-3 PANORAMAX_S3_IMAGE=panoramax-local/s3 \
    PANORAMAX_CONNECT_IMAGE=panoramax-local/connect
  build_args=(--build-arg SDK_IMAGE=panoramax-local/dotnet-sdk:10.0 --build-arg RUNTIME_IMAGE=panoramax-local/dotnet-aspnet:10.0)
fi

finish() {
  local rc=$?
  trap - EXIT
  rm -f "${jar:-}"
  if [ "$rc" -ne 0 ]; then
    "${COMPOSE[@]}" ps >&2 || true
    "${COMPOSE[@]}" logs --no-color --tail 30 >&2 || true
  fi
  if [ "${PANORAMAX_SMOKE_KEEP:-0}" = 1 ]; then
    say "left running (${COMPOSE[*]} down -v stops it)"
  else
    "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  say "wall time $(($(date +%s) - started)) s"
  exit "$rc"
}
trap finish EXIT

# wait_for WHAT COMMAND...: retries COMMAND every 2 s until it succeeds or TIMEOUT passes.
wait_for() {
  local what="$1" deadline=$(($(date +%s) + TIMEOUT)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${TIMEOUT}s waiting for $what"
    sleep 2
  done
}

say "building the server image from the Dockerfile"
# Every instance uses the same image (panoramax-cs): building one service builds it for all.
"${COMPOSE[@]}" build "${build_args[@]}" alpha
say "starting: ${COMPOSE[*]} up -d"
"${COMPOSE[@]}" up -d

for i in "${!NAMES[@]}"; do
  url="http://localhost:${PORTS[$i]}"
  wait_for "${NAMES[$i]} health" curl -sf "$url/api/health"
  curl -sf "$url/" | grep -qi '<html' || fail "${NAMES[$i]}'s viewer ($url/) does not answer with a page"
  say "${NAMES[$i]} answers: viewer $url/ and $url/api/health"
done

connect="$("${COMPOSE[@]}" ps -q connect)"
[ -n "$connect" ] || fail "the connect service was not created"
connect_exited() { [ "$(docker inspect -f '{{.State.Status}}' "$connect")" = exited ]; }
wait_for "the connect service" connect_exited
"${COMPOSE[@]}" logs --no-color connect | grep 'are peers' | sed 's/^/  /'
[ "$(docker inspect -f '{{.State.ExitCode}}' "$connect")" = 0 ] || fail "the connect service failed"
[ "$("${COMPOSE[@]}" logs --no-color connect | grep -c 'are peers')" = 5 ] || fail "the connect service did not make 5 peerings"
say "connect peered alpha — bravo — charlie and the aggregator with each"

alpha=http://localhost:8100
jar="$(mktemp)"
curl -sf -c "$jar" -H 'Content-Type: application/json' \
  -d "$(jq -nc --arg p "$PANORAMAX_ADMIN_PASSWORD" '{name: "admin", password: $p}')" "$alpha/api/auth/local/login" >/dev/null \
  || fail "cannot log in on alpha"
set_id="$(curl -sf -b "$jar" -H 'Content-Type: application/json' -d '{"title": "Compose smoke", "estimated_nb_files": 1}' \
  "$alpha/api/upload_sets" | jq -r .id)"
status="$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -F "file=@$PICTURE;type=image/jpeg" "$alpha/api/upload_sets/$set_id/files")"
[ "$status" = 202 ] || fail "upload on alpha answered $status"
say "uploaded $(basename "$PICTURE") on alpha (upload set $set_id)"
set_ready() { curl -sf -b "$jar" "$alpha/api/upload_sets/$set_id" | jq -e '.ready == true'; }
wait_for "alpha to blur and publish the upload" set_ready
sequence="$(curl -sf -b "$jar" "$alpha/api/upload_sets/$set_id" | jq -r '.associated_collections[0].id')"
picture="$(curl -sf "$alpha/api/collections/$sequence/items" | jq -r '.features[0].id')"
[ -n "$picture" ] && [ "$picture" != null ] || fail "alpha lists no picture in collection $sequence"
say "alpha published picture $picture in collection $sequence"

for i in 2 3; do
  url="http://localhost:${PORTS[$i]}"
  found() { curl -sf "$url/api/search?ids=$picture" | jq -e '.features | length == 1'; }
  wait_for "${NAMES[$i]} to serve alpha's picture" found
  hd="$(curl -sf "$url/api/search?ids=$picture" | jq -r '.features[0].assets.hd.href')"
  case "$hd" in "$alpha/api/pictures/$picture/"*) ;; *) fail "${NAMES[$i]} links the picture to $hd, not to alpha";; esac
  type="$(curl -sf -o /dev/null -w '%{content_type}' "$hd")" || fail "$hd does not answer"
  [ "${type%%;*}" = image/jpeg ] || fail "$hd answers $type"
  say "${NAMES[$i]} serves alpha's picture; its HD file $hd answers image/jpeg"
done
say "OK: 4 instances up, peered by the connect service, an upload on alpha reached charlie (through bravo) and the aggregator"
