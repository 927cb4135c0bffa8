"""Fault run: a red warning's SMS sent by several real `emergency notify run` workers (and the real
scheduler, with a one-minute reminder) through the real twilio client to a local Twilio-speaking
server that misbehaves, while one worker is killed with SIGKILL and PostgreSQL is stopped and
started again. Counts what was lost, what went out twice and why, what is `unknown`, and whether
any reminder overtook its notice.

    .venv/bin/python bench/faults.py [--enterprises 2000] [--workers 3] [--postgres ADMIN_URL] [--pg-port 54330]

PostgreSQL: an admin URL of a server this script may stop and start (scripts/throwaway-postgres,
default EMERGENCY_BENCH_POSTGRES_URL); it is restarted with `PGPORT_THROWAWAY=PORT
scripts/throwaway-postgres stop|start`. The provider: 10 % answer 503, 5 % hang before taking the
message (the client times out: never taken), 5 % take it and answer too late (the client times out:
taken, but the worker cannot know). Prints one JSON document; BENCHMARKS.md has the figures."""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from lists_import import OUT, _import, fresh_database, generate  # noqa: E402

SID, TOKEN = "AC" + "f" * 32, "bench-token"
TIMEOUT, HANG = 2.0, 3.0  # the client's timeout and how long a hanging answer takes
EMERGENCY = str(ROOT / ".venv" / "bin" / "emergency")
CONFIG = """
[notify]
channels = { enterprise = ["sms"], unit = ["sms"] }
rate = { sms = 500.0, voice = 50.0, email = 50.0 }
per_recipient_per_day = 100000
concurrency = 16
claim_timeout_seconds = 15
backoff_seconds = 1
max_attempts = 8

[[escalation.red]]
after = 1
action = "remind"
"""


def chaos(conn, seed: int) -> None:
    """The misbehaving provider, in a process of its own; on "dump" it answers with what it took."""
    from tests.fake_twilio import Behaviour, FakeTwilio

    fake, rng, lock = FakeTwilio(SID, TOKEN), random.Random(seed), threading.Lock()

    def decide(form) -> Behaviour:
        with lock:
            r = rng.random()
        if r < 0.10:
            return Behaviour(503, 20503)
        if r < 0.15:
            return Behaviour(delay=HANG)
        if r < 0.20:
            return Behaviour(hang_after_accept=HANG)
        return Behaviour()

    fake.decide = decide
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    conn.send(fake.url)
    while conn.recv() == "dump":
        taken = Counter()
        with fake.lock:
            for record in fake.records.values():
                query = parse_qs(urlparse(record.callback or "").query)
                if "d" in query:
                    taken[int(query["d"][0])] += 1
        conn.send(dict(taken))


def environment(url: str, api: str, config: Path) -> dict:
    return os.environ | {"EMERGENCY_DATABASE_URL": url, "EMERGENCY_CONFIG": str(config), "PYTHONUNBUFFERED": "1",
                         "EMERGENCY_TWILIO__ACCOUNT_SID": SID, "EMERGENCY_TWILIO__AUTH_TOKEN": TOKEN,
                         "EMERGENCY_TWILIO__FROM": "+15005550006", "EMERGENCY_TWILIO__API_BASE": api,
                         "EMERGENCY_TWILIO__TIMEOUT": str(TIMEOUT), "EMERGENCY_PUBLIC_URL": "http://127.0.0.1:9",
                         "EMERGENCY_SECRET_KEY": "bench"}


def postgres(action: str, port: int) -> None:
    subprocess.run([str(ROOT / "scripts" / "throwaway-postgres"), action], check=True, capture_output=True,
                   env=os.environ | {"PGPORT_THROWAWAY": str(port), "PG_DURABLE": "1"})


def counts(sessions) -> dict:
    """Deliveries by status; "notice:…" for first notices; "unchecked" = unknown not yet reconciled."""
    from sqlalchemy import func, select

    from alerts.models import Delivery

    with sessions() as session:
        found = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        found |= {f"notice:{k}": v for k, v in session.execute(
            select(Delivery.status, func.count()).where(Delivery.purpose == "notice").group_by(Delivery.status)).all()}
        found["unchecked"] = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status == "unknown", Delivery.provider_status.is_(None)))
        return found


def wait_until(sessions, condition, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if condition(counts(sessions)):
                return time.monotonic() - started
        except Exception:  # noqa: BLE001 — the database may be down
            pass
        time.sleep(0.5)
    raise SystemExit(f"not done after {limit} s: {counts(sessions)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("EMERGENCY_BENCH_POSTGRES_URL"))
    parser.add_argument("--pg-port", type=int, default=54330)
    parser.add_argument("--outage", type=float, default=10.0, help="seconds PostgreSQL stays down")
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("give --postgres ADMIN_URL (a throwaway server this script may restart)")
    from config.db import make_engine, make_sessionmaker, utcnow
    from config.settings import Settings
    from emergency.warnings import service
    from accounts.permissions import Actor
    from config import rulesets

    OUT.mkdir(exist_ok=True)
    workbook = OUT / f"lists-{args.enterprises}.xlsx"
    if not workbook.exists():
        generate(workbook, args.enterprises)
    url = fresh_database("postgresql", args.postgres)
    _import(workbook, url)
    config = OUT / "faults.toml"
    config.write_text(CONFIG)
    here, there = mp.Pipe()
    provider = mp.Process(target=chaos, args=(there, 7), daemon=True)
    provider.start()
    api = here.recv()
    env = environment(url, api, config)
    settings = Settings(database_url=url, config=config, secret_key="bench")
    sessions = make_sessionmaker(make_engine(url, pool_pre_ping=True))
    now = utcnow()
    with sessions() as session, session.begin():
        request = service.draft(session=session, rules=rulesets.load("national-2024"), config=settings.app, area="大兴区",
                                level="red", start=now + timedelta(hours=12), end=now + timedelta(days=3),
                                reason="fault run", actor=Actor("duty", "duty_officer"), now=now)
        service.approve(session=session, rules=rulesets.load("national-2024"), config=settings.app,
                        warning_id=request.warning_id, actor=Actor("chief", "commander"), now=now)
    notices = counts(sessions)["pending"]
    started = time.monotonic()
    workers = [subprocess.Popen([EMERGENCY, "notify", "run", "--name", f"w{i}"], env=env, stderr=subprocess.DEVNULL)
               for i in range(args.workers)]
    scheduler = subprocess.Popen([EMERGENCY, "scheduler"], env=env, stderr=subprocess.DEVNULL)
    wait_until(sessions, lambda c: c.get("pending", 0) < notices * 0.75, 600)
    workers[0].send_signal(signal.SIGKILL)  # mid-send: whatever it had in flight may go out twice
    killed_at = time.monotonic() - started
    wait_until(sessions, lambda c: c.get("pending", 0) < notices * 0.5, 600)
    postgres("stop", args.pg_port)
    down_at = time.monotonic() - started
    time.sleep(args.outage)
    postgres("start", args.pg_port)
    up = time.monotonic()
    drained = wait_until(sessions, lambda c: not c.get("notice:pending") and not c.get("notice:sending"), 900)
    notices_done = time.monotonic() - started
    time.sleep(80)  # every reminder is due a minute after its notice; then the scheduler stops
    alive = [w.poll() is None for w in workers[1:]] + [scheduler.poll() is None]
    scheduler.send_signal(signal.SIGTERM)
    scheduler.wait(timeout=60)
    wait_until(sessions, lambda c: not c.get("pending") and not c.get("sending") and not c.get("unchecked"), 600)
    total_seconds = time.monotonic() - started
    here.send("dump")
    taken = here.recv()
    here.send("stop")
    for process in workers[1:]:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    result = report(sessions, taken, notices, args, killed_at, down_at, drained, up, alive, total_seconds)
    result["notices_all_out_s"] = round(notices_done, 1)
    result["notice_sends_per_second_per_worker"] = round(notices / notices_done / args.workers, 1)
    print(json.dumps(result, indent=2))


def report(sessions, taken: dict, notices: int, args, killed_at, down_at, drained, up, alive, total_seconds) -> dict:
    from sqlalchemy import select

    from alerts.models import Delivery
    from config.events import Event, EventKind
    from emergency.warnings.models import Recipient

    with sessions() as session:
        rows = session.execute(select(Delivery.id, Delivery.purpose, Delivery.status, Delivery.sent_at,
                                      Recipient.enterprise_id, Delivery.address)
                               .join(Recipient, Recipient.id == Delivery.recipient_id)).all()
        recovered: dict[int, str] = {}
        for detail in session.scalars(select(Event.detail).where(Event.kind == EventKind.DELIVERIES_RECOVERED)):
            for worker, ids in detail["by_worker"].items():
                for i in ids:
                    recovered[i] = worker
    by_status = Counter(r.status for r in rows)
    final = {"sent", "delivered"}
    lost = [r.id for r in rows if r.status in final and not taken.get(r.id)]
    lost += [r.id for r in rows if r.status in ("pending", "sending")]
    twice = {i: n for i, n in taken.items() if n > 1}
    unknown = [r for r in rows if r.status == "unknown"]
    notice_at = {}
    for r in rows:
        if r.purpose == "notice" and r.sent_at is not None:
            key = (r.enterprise_id, r.address)
            notice_at[key] = min(notice_at.get(key, r.sent_at), r.sent_at)
    early = [r.id for r in rows if r.purpose == "reminder" and r.sent_at is not None
             and (r.enterprise_id, r.address) in notice_at and r.sent_at < notice_at[(r.enterprise_id, r.address)]]
    no_notice = [r.id for r in rows if r.purpose == "reminder" and r.sent_at is not None
                 and (r.enterprise_id, r.address) not in notice_at]
    sent = sum(1 for r in rows if r.sent_at is not None)
    return {
        "enterprises": args.enterprises, "workers": args.workers, "notice_deliveries": notices,
        "deliveries": len(rows), "by_status": dict(by_status), "provider_took": sum(taken.values()),
        "lost": len(lost), "sent_twice": len(twice),
        "sent_twice_by_cause": dict(Counter(f"taken back from {recovered[i]}" if i in recovered else "other"
                                            for i in twice)),
        "taken_back": dict(Counter(recovered.values())),
        "unknown": len(unknown), "unknown_and_not_taken": sum(1 for r in unknown if not taken.get(r.id)),
        "unknown_and_taken": sum(1 for r in unknown if taken.get(r.id)),
        "reminders": sum(1 for r in rows if r.purpose == "reminder"),
        "reminder_before_its_notice": len(early), "reminder_without_a_sent_notice": len(no_notice),
        "killed_at_s": round(killed_at, 1), "database_down_at_s": round(down_at, 1), "outage_s": args.outage,
        "drained_after_restart_s": round(drained, 1),
        "survivors_running": alive, "total_s": round(total_seconds, 1),
        "sends_per_second_per_worker": round(sent / total_seconds / args.workers, 1),
    }


if __name__ == "__main__":
    main()
