#!/usr/bin/env bash
# The test suite, on SQLite and on PostgreSQL. Without EMERGENCY_TEST_POSTGRES_URL it starts a
# throwaway PostgreSQL (installing it with apt-get when it is missing and we are root).
set -euo pipefail
cd "$(dirname "$0")"
scripts/venv
if [ -z "${EMERGENCY_TEST_POSTGRES_URL:-}" ]; then
  if ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || [ "$(id -u)" = 0 ]; then
    eval "$(scripts/throwaway-postgres start)"
  else
    echo "note: PostgreSQL not available: its half of the suite is skipped (CI runs it)" >&2
  fi
fi
exec .venv/bin/pytest "$@"
