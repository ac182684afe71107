#!/usr/bin/env bash
# Starts a small federation on loopback as local processes (no Docker needed), the topology of
# docker-compose.federation.yml: three instances peered as a chain alpha — bravo — charlie (charlie sees alpha's
# pictures relayed by bravo) and an aggregator (meta-catalogue, Role=aggregator) following all three. Each has its own
# embedded PostgreSQL+PostGIS, files and keys under var/network/<name>. Prints the URLs; Ctrl-C stops everything.
#
# Environment: PANORAMAX_NETWORK_PORT (first HTTP port, default 5100; instance i uses PORT+10*i for HTTP and +1 for
# gRPC), PANORAMAX_NETWORK_ADMIN_PASSWORD (admin password of every instance on first start, default network-admin),
# PANORAMAX_NETWORK_SYNC (sync interval, default 00:00:15; pokes make propagation immediate anyway),
# PANORAMAX_NETWORK_DIR (data folders, default var/network), PANORAMAX_NETWORK_SKIP_BUILD=1 (the Release build is
# already there, e.g. in tests), PANORAMAX_SHARED_DIR (where the blurring models are, default ../shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${PANORAMAX_NETWORK_SKIP_BUILD:-0}" != 1 ]; then
  bash "$ROOT/scripts/setup.sh"
  dotnet build src/Panoramax.Server -c Release -v quiet -nologo
fi

NAMES=(alpha bravo charlie aggregator)
ROLES=(instance instance instance aggregator)
DATA="${PANORAMAX_NETWORK_DIR:-$ROOT/var/network}"
SHARED="${PANORAMAX_SHARED_DIR:-$ROOT/../shared}"
BASE="${PANORAMAX_NETWORK_PORT:-5100}"
PASSWORD="${PANORAMAX_NETWORK_ADMIN_PASSWORD:-network-admin}"
SYNC="${PANORAMAX_NETWORK_SYNC:-00:00:15}"
MODELS=()
if [ -z "${Panoramax__Blurring__ModelDirectory:-}" ] && [ -d "$SHARED/models" ]; then
  MODELS=("--Panoramax:Blurring:ModelDirectory=$(cd "$SHARED/models" && pwd)")
fi

http_port() { echo $((BASE + 10 * $1)); }
grpc_port() { echo $((BASE + 10 * $1 + 1)); }
url() { echo "http://127.0.0.1:$(http_port "$1")"; }

pids=()
stop_all() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop_all EXIT INT TERM

for i in "${!NAMES[@]}"; do
  name="${NAMES[$i]}"
  dir="$DATA/$name"
  mkdir -p "$dir"
  dotnet src/Panoramax.Server/bin/Release/net10.0/panoramax.dll \
    "--urls=$(url "$i")" \
    "--Panoramax:PublicUrl=$(url "$i")/" \
    "--Panoramax:Federation:GrpcUrl=http://127.0.0.1:$(grpc_port "$i")" \
    "--Panoramax:Federation:SyncInterval=$SYNC" \
    "--Panoramax:DataDirectory=$dir" \
    "--Panoramax:Instance:Name=$name" \
    "--Panoramax:Role=${ROLES[$i]}" \
    "--Panoramax:Admin:InitialPassword=$PASSWORD" \
    "${MODELS[@]}" >"$dir/server.log" 2>&1 &
  pids+=($!)
done

for i in "${!NAMES[@]}"; do
  for _ in $(seq 1 180); do
    curl -sf "$(url "$i")/api/health" >/dev/null && break
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "network: ${NAMES[$i]} stopped while starting; its log:" >&2
      tail -30 "$DATA/${NAMES[$i]}/server.log" >&2
      exit 1
    fi
    sleep 1
  done
done

export PANORAMAX_ADMIN_PASSWORD="$PASSWORD"
bash "$ROOT/scripts/federation-connect.sh" "$(url 1)" "$(url 0)" "http://127.0.0.1:$(grpc_port 0)"   # bravo — alpha
bash "$ROOT/scripts/federation-connect.sh" "$(url 2)" "$(url 1)" "http://127.0.0.1:$(grpc_port 1)"   # charlie — bravo
for i in 0 1 2; do                                                                                     # aggregator — each
  bash "$ROOT/scripts/federation-connect.sh" "$(url 3)" "$(url "$i")" "http://127.0.0.1:$(grpc_port "$i")"
done

echo
echo "Federation on loopback (admin / $PASSWORD on each; logs under $DATA/<name>/server.log):"
for i in "${!NAMES[@]}"; do
  printf '  %-8s viewer %s/   API %s/api   gRPC http://127.0.0.1:%s\n' "${NAMES[$i]}" "$(url "$i")" "$(url "$i")" "$(grpc_port "$i")"
done
echo "  peers: alpha — bravo — charlie (charlie gets alpha's pictures through bravo); the aggregator follows all three."
echo "network: ready. Ctrl-C stops all."
wait -n "${pids[@]}" || true
echo "network: an instance stopped; stopping the others" >&2
