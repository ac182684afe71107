#!/usr/bin/env bash
# Installs what is missing, builds, and starts an instance on the embedded default:
# private PostgreSQL+PostGIS under var/pg, files under var/storage, viewer at http://127.0.0.1:5000/.
# Extra arguments go to the server (e.g. --urls=http://0.0.0.0:8080).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
dotnet build src/Panoramax.Server -c Release -v quiet -nologo
export Panoramax__DataDirectory="${Panoramax__DataDirectory:-$ROOT/var}"
# Blurring models: the shared folder beside the clone when there is one (see README, "Blurring models").
if [ -z "${Panoramax__Blurring__ModelDirectory:-}" ] && [ -d "$ROOT/../shared/models" ]; then
  export Panoramax__Blurring__ModelDirectory="$(cd "$ROOT/../shared/models" && pwd)"
fi
exec dotnet src/Panoramax.Server/bin/Release/net10.0/panoramax.dll "$@"
