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
In the browser, with the logins printed above:
  1. duty       — 首页 shows the forecast's recommendation → 起草预警 → check the reduction → 提交审批
  2. commander  — 首页 → 待我审批 → 批准 (the notices go out at once)
  3. admin      — 消息模拟器: open a company's inbox, follow its link, confirm its measures; reply "1"
                  from a phone; the warning's page counts move by themselves
  4. office     — the warning's 实时看板 (board; ?wall=1 for a wall screen) moves as companies confirm;
                  企业落实情况: filter one town's laggards, 催办 them; 报告: daily report as xlsx / docx
  5. duty       — 变更 (升级 / 降级 / 延长) or 申请解除, signed off again by commander or commander2
  6. inspector  — on a phone (or a narrow window): 开始督查 → an unconfirmed enterprise → mark a
                  measure 未落实, take a photo, 提交; the violation shows on the board, the
                  enterprise's timeline and the assessment's reduction; office: 督查记录, 分派督查
  viewer sees what its role allows. The JSON API: $EMERGENCY_PUBLIC_URL/api/docs
HINT
wait
