#!/usr/bin/env bash
# The main job: set up, create or migrate the database (SQLite emergency.db by default, or
# EMERGENCY_DATABASE_URL), load the demo district with a forecast, and show what was loaded and
# what the forecast recommends.
set -euo pipefail
cd "$(dirname "$0")"
scripts/venv
.venv/bin/emergency init
.venv/bin/emergency demo "$@"
echo
.venv/bin/emergency lists check --level red --area 大兴区
echo
.venv/bin/emergency forecast assess --area 大兴区
cat <<'HINT'

Next (see README "Warnings"): as duty officer, draft the warning the forecast calls for; as
commander, approve it; then look at what it activated:
  .venv/bin/emergency warning draft --level red --area 大兴区 --start "$(TZ=Asia/Shanghai date -d tomorrow +%F)T00:00" \
      --end "$(TZ=Asia/Shanghai date -d '+4 days' +%F)T00:00" --reason "会商：连续三天重污染" --by duty
  .venv/bin/emergency warning approve 1 --by commander
  .venv/bin/emergency warning show 1
HINT
