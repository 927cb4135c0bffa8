#!/usr/bin/env bash
# The main job: set up, create or migrate the database (SQLite emergency.db by default, or
# EMERGENCY_DATABASE_URL), load the demo district with a forecast, then run the web application,
# the dispatch worker and the scheduler until Ctrl-C. With no Twilio or SMTP settings every
# message goes to the built-in simulator (http://127.0.0.1:8000/simulator): nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")"
scripts/venv
E=.venv/bin/emergency
PORT=${PORT:-8000}
export EMERGENCY_PUBLIC_URL=${EMERGENCY_PUBLIC_URL:-http://127.0.0.1:$PORT}
$E init
$E demo "$@"
echo
$E forecast assess --area 大兴区
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
$E serve --port "$PORT" & pids+=($!)
$E notify run & pids+=($!)
$E scheduler & pids+=($!)
sleep 2
cat <<HINT

Running: web application $EMERGENCY_PUBLIC_URL, dispatch worker, scheduler (Ctrl-C stops all three).
Sign in at $EMERGENCY_PUBLIC_URL/ with a login printed above (admin for /simulator; the API at /api/docs),
then, in another terminal:
  .venv/bin/emergency warning draft --level red --area 大兴区 --start "\$(TZ=Asia/Shanghai date -d tomorrow +%F)T00:00" \\
      --end "\$(TZ=Asia/Shanghai date -d '+4 days' +%F)T00:00" --reason "会商：连续三天重污染" --by duty
  .venv/bin/emergency warning approve 1 --by commander
Watch the inboxes fill at /simulator, open a company's link, confirm its measures, reply "1" from a
phone's inbox, and see the counts move:
  .venv/bin/emergency warning show 1
HINT
wait
