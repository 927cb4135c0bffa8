#!/usr/bin/env bash
# The main job: set up, create or migrate the database (SQLite emergency.db by default, or
# EMERGENCY_DATABASE_URL), load the demo district, and show what was loaded.
set -euo pipefail
cd "$(dirname "$0")"
scripts/venv
.venv/bin/emergency init
.venv/bin/emergency demo "$@"
echo
.venv/bin/emergency lists check --level red --area 大兴区
