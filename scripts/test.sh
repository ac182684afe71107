#!/usr/bin/env bash
# Installs what is missing, builds everything (warnings are errors) and runs every test project.
# Ends with one plain line: "Total: N passed, N failed, N skipped"; exits non-zero on any failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh --tests || exit 1
SHARED="${PANORAMAX_SHARED_DIR:-$ROOT/../shared}"
if [ -f "$SHARED/stac-validate/setup.sh" ]; then bash "$SHARED/stac-validate/setup.sh"; fi

RESULTS="$ROOT/artifacts/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"

cleanup_clusters() {
  # Clusters of killed or crashed test processes: stop them, then remove every test folder.
  local pidfile
  for pidfile in $(find /tmp/panoramax-tests -name postmaster.pid 2>/dev/null); do
    local dir; dir="$(dirname "$pidfile")"
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1
    else pg_ctl -D "$dir" -m immediate stop >/dev/null 2>&1; fi
  done
  rm -rf /tmp/panoramax-tests
}
trap cleanup_clusters EXIT

if ! dotnet build Panoramax.sln -c Release -nologo -v quiet; then
  echo "Build failed."
  echo "Total: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

passed=0; failed=0; skipped=0; crashed=0
for proj in tests/*/*.csproj; do
  name="$(basename "$proj" .csproj)"
  echo "== $name"
  dotnet test "$proj" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$RESULTS" -- RunConfiguration.TreatNoTestsAsError=false
  trx="$RESULTS/$name.trx"
  if [ ! -f "$trx" ]; then
    echo "$name: no results (the test host crashed or did not start)"
    crashed=$((crashed + 1)); continue
  fi
  counters="$(grep -o '<Counters [^>]*>' "$trx")"
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  p=$(get passed); f=$(get failed); e=$(get error); t=$(get total); x=$(get executed)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0})); skipped=$((skipped + ${t:-0} - ${x:-0}))
done

failed=$((failed + crashed))
echo "Total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
