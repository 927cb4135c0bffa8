"""The summary of a red warning over N enterprises (`emergency.dashboard.service.summary`), on
SQLite and PostgreSQL, against the floor of a bare GROUP BY of the same rows in the same run:

- floor: `SELECT town, count(*), count(acknowledged_at), count(confirmed_at)` over the notice's
  enterprises joined to their towns, grouped by town (the least any breakdown can read); and, as a
  second floor, that plus a bare `GROUP BY status` of the notice's messages (the summary must read
  them too: `reached`, the deliveries by status, the times from hand-over, reminders and calls);
- summary: everything the API answers (counts overall and by town, industry and grade; deliveries
  by status; units; escalation; times: medians and 90th percentiles, overall and by town);
- its parts, to see where the time goes; the board's whole answer (summary, ladder, curve,
  charts); and `/api/v1/warnings/{id}/summary` end to end.

The warning is drafted and approved as in production; then its state is made mid-warning in a few
set-based UPDATEs: 98 % of the notice messages delivered (2 % failed), 80 % of the enterprises
acknowledged and 60 % confirmed, spread over the first hour.

    .venv/bin/python bench/summary.py [--enterprises 100000] [--postgres ADMIN_URL]

Each figure is the median of 5 runs after one warm-up."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from console_reads import median  # noqa: E402
from lists_import import OUT, _import, fresh_database, generate  # noqa: E402


def approve_red(sessions, context, now) -> int:
    from accounts.permissions import Actor
    from emergency.warnings import service

    with sessions() as session, session.begin():
        request = service.draft(session=session, rules=context.rules, config=context.config, area="大兴区", level="red",
                                start=now + timedelta(hours=12), end=now + timedelta(days=3), reason="bench",
                                actor=Actor("duty", "duty_officer"), now=now)
        warning_id = request.warning_id
        service.approve(session=session, rules=context.rules, config=context.config, warning_id=warning_id,
                        actor=Actor("chief", "commander"), now=now)
    return warning_id


def mid_warning(sessions, activation: int, now) -> None:
    """Deliveries handed over and mostly delivered; receipts and confirmations over the first hour."""
    from sqlalchemy import text

    with sessions() as session, session.begin():
        stamp = {"now": now.replace(tzinfo=None) if session.get_bind().dialect.name == "sqlite" else now}
        session.execute(text("UPDATE deliveries SET status = CASE WHEN id % 50 = 0 THEN 'failed' ELSE 'delivered' END, "
                             "sent_at = CASE WHEN id % 50 = 0 THEN NULL ELSE :now END, finished_at = :now"), stamp)
        for k in range(10):
            at = now + timedelta(minutes=6 * k + 3)
            value = at.replace(tzinfo=None) if session.get_bind().dialect.name == "sqlite" else at
            session.execute(text("UPDATE activation_enterprises SET acknowledged_at = :at, acknowledged_via = 'web' "
                                 "WHERE activation_id = :a AND enterprise_id % 10 = :k AND enterprise_id % 5 <> 0"),
                            {"at": value, "a": activation, "k": k})
            session.execute(text("UPDATE activation_enterprises SET confirmed_at = :at "
                                 "WHERE activation_id = :a AND enterprise_id % 10 = :k AND enterprise_id % 5 <> 0 "
                                 "AND enterprise_id % 4 <> 0"), {"at": value, "a": activation, "k": k})


def measure(url: str, path: Path) -> dict:
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from accounts import service as accounts
    from accounts.models import Role
    from accounts.permissions import Actor, system
    from config.db import make_engine, make_sessionmaker, utcnow
    from config.settings import Settings
    from emergency.context import Context
    from emergency.dashboard import service
    from emergency.dashboard.board import board
    from emergency.warnings.models import Warning
    from emergency.web.app import create_app
    from emergency.web.i18n import Translator

    _import(path, url)
    settings = Settings(database_url=url, secret_key="bench")
    context, zone = Context(settings), settings.tz
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    with sessions() as session, session.begin():
        password = accounts.add_user(session=session, actor=system(), username="bench", role=Role.VIEWER, area=None,
                                     display_name="bench", now=now)[1]
    warning_id = approve_red(sessions, context, now)
    with sessions() as session:
        activation = session.scalar(text("SELECT max(id) FROM activations"))
    mid_warning(sessions, activation, now)
    viewer = Actor("bench", "viewer")
    with sessions() as session:
        warning = session.get(Warning, warning_id)
        latest = service.latest_activation(session, warning)
        doc = service.summary(session, warning, viewer, zone, now)
        figures = {
            "summary": median(lambda: service.summary(session, warning, viewer, zone, now)),
            "floor": median(lambda: session.execute(text(
                "SELECT e.town_id, count(*), count(a.acknowledged_at), count(a.confirmed_at) "
                "FROM activation_enterprises a JOIN enterprises e ON e.id = a.enterprise_id "
                f"WHERE a.activation_id = {activation} GROUP BY e.town_id")).all()),
            "breakdowns": median(lambda: service.breakdowns(session, latest, viewer)),
            "times": median(lambda: service.times(session, latest, viewer)),
            "deliveries": median(lambda: service.deliveries(session, warning, viewer)),
            "messages_floor": median(lambda: session.execute(text(
                "SELECT d.status, count(*) FROM deliveries d JOIN recipients r ON r.id = d.recipient_id "
                f"WHERE r.activation_id = {activation} GROUP BY d.status")).all()),
            "board": median(lambda: board(session, warning, viewer, zone, now, Translator("zh"), dark=False)),
        }
    with TestClient(create_app(settings)) as client:
        token = client.post("/api/v1/tokens", json={"username": "bench", "password": password}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        figures["endpoint"] = median(lambda: client.get(f"/api/v1/warnings/{warning_id}/summary",
                                                        headers=headers).raise_for_status())
    engine.dispose()
    return figures | {"enterprises": doc["enterprises"], "confirmed": doc["confirmed"],
                      "median_confirm_min": doc["times"]["confirmed"]["median"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("EMERGENCY_BENCH_POSTGRES_URL"))
    parser.add_argument("--measure"), parser.add_argument("--file")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, Path(args.file))))
        return
    OUT.mkdir(exist_ok=True)
    path = OUT / f"lists-{args.enterprises}.xlsx"
    if not path.exists():
        print(f"generating {path} …", file=sys.stderr)
        generate(path, args.enterprises)
    print("| database | enterprises | summary s | floor: bare GROUP BY s | × | + messages by status s | × | "
          "breakdowns s | times s | deliveries s | board s | API answer s |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, admin in [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else []):
        url = fresh_database(kind, admin)
        out = subprocess.run([sys.executable, __file__, "--measure", url, "--file", str(path)],
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr)
        r = json.loads(out.stdout)
        both = r["floor"] + r["messages_floor"]
        print(f"| {kind} | {r['enterprises']:,} | {r['summary']} | {r['floor']} | {r['summary'] / r['floor']:.1f} | "
              f"{both:.4f} | {r['summary'] / both:.1f} | {r['breakdowns']} | {r['times']} | {r['deliveries']} | "
              f"{r['board']} | {r['endpoint']} |", flush=True)


if __name__ == "__main__":
    main()
