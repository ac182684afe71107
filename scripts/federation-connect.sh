#!/usr/bin/env bash
# Makes two running instances federation peers through their admin APIs: A's admin adds B by B's gRPC URL (B learns
# A's key from the Hello and lists A as pending), then both admins confirm the pinned keys. Safe to run again.
# Usage: federation-connect.sh A_URL B_URL B_GRPC_URL
#   e.g. federation-connect.sh http://127.0.0.1:5100 http://127.0.0.1:5110 http://127.0.0.1:5111
# Environment: PANORAMAX_ADMIN_PASSWORD (required), PANORAMAX_ADMIN_NAME (default admin). Needs curl and jq.
set -euo pipefail
A="${1%/}"; B="${2%/}"; B_GRPC="$3"
PASSWORD="${PANORAMAX_ADMIN_PASSWORD:?set PANORAMAX_ADMIN_PASSWORD}"
NAME="${PANORAMAX_ADMIN_NAME:-admin}"
JARS="$(mktemp -d)"; trap 'rm -rf "$JARS"' EXIT

login() { # login URL JAR
  curl -sf -c "$2" -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg n "$NAME" --arg p "$PASSWORD" '{name: $n, password: $p}')" "$1/api/auth/local/login" >/dev/null \
    || { echo "federation-connect: cannot log in as $NAME on $1" >&2; exit 1; }
}
admin() { # admin URL JAR METHOD PATH [JSON]
  curl -s -b "$2" -H 'Content-Type: application/json' -X "$3" ${5:+-d "$5"} "$1$4"
}
name_of() { curl -sf "$1/api/configuration" | jq -r '.name.label // .name'; }

login "$A" "$JARS/a"; login "$B" "$JARS/b"
a_name="$(name_of "$A")"; b_name="$(name_of "$B")"
added="$(admin "$A" "$JARS/a" POST /api/admin/peers "$(jq -nc --arg u "$B_GRPC" '{url: $u}')")"
b_id="$(echo "$added" | jq -r '.id // empty' 2>/dev/null || true)"
if [ -z "$b_id" ]; then
  # Already a peer (a second run): find it by name.
  b_id="$(admin "$A" "$JARS/a" GET /api/admin/peers | jq -r --arg n "$b_name" '.peers[] | select(.name == $n) | .id' | head -1)"
fi
[ -n "$b_id" ] || { echo "federation-connect: $a_name could not add $b_name: $added" >&2; exit 1; }
for a_id in $(admin "$B" "$JARS/b" GET /api/admin/peers | jq -r --arg n "$a_name" '.peers[] | select(.name == $n) | .id'); do
  admin "$B" "$JARS/b" POST "/api/admin/peers/$a_id/confirm" >/dev/null
done
admin "$A" "$JARS/a" POST "/api/admin/peers/$b_id/confirm" >/dev/null
echo "federation-connect: $a_name and $b_name are peers"
