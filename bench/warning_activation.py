"""Activation benchmark: a red warning over N enterprises (the lists benchmark's workbook), drafted
and approved on SQLite and PostgreSQL (activation and the pending deliveries), against the floor of
bare bulk inserts of the same number of rows in the same database and run.

    .venv/bin/python bench/warning_activation.py [--enterprises 100000] [--postgres URL]

Floors: "bulk insert" writes that many rows from Python (COPY on PostgreSQL, executemany on
SQLite); "insert-select" copies the rows the activation wrote within the database, the least any
set-based activation can cost. PostgreSQL: an admin URL, default EMERGENCY_BENCH_POSTGRES_URL."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from accounts.permissions import Actor  # noqa: E402
from lists_import import OUT, _import, _peak_mb, fresh_database, generate  # noqa: E402


def timed(func):
    started = time.perf_counter()
    result = func()
    return result, round(time.perf_counter() - started, 3)


def measure(url: str, path: Path) -> dict:
    from sqlalchemy import MetaData, text

    from config import rulesets
    from config.db import bulk_insert, make_engine, make_sessionmaker
    from config.settings import AppConfig
    from emergency.warnings import service
    from emergency.warnings.models import Recipient

    _, import_seconds = timed(lambda: _import(path, url))
    engine = make_engine(url)
    sessions, rules, config = make_sessionmaker(engine), rulesets.load("national-2024"), AppConfig()
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with sessions() as session, session.begin():
        request, draft_seconds = timed(lambda: service.draft(
            session=session, rules=rules, config=config, area="大兴区", level="red", start=now + timedelta(hours=12),
            end=now + timedelta(days=3), reason="bench", actor=Actor("duty", "duty_officer"), now=now))
    with sessions() as session, session.begin():
        activation, approve_seconds = timed(lambda: service.approve(
            session=session, rules=rules, config=config, warning_id=request.warning_id, actor=Actor("chief", "commander"), now=now))
    with sessions() as session:
        deliveries = session.scalar(text("SELECT count(*) FROM deliveries"))
    # Approval writes the activation's enterprises and recipients and, since notifications, one
    # pending delivery per recipient and channel: the floor writes as many rows.
    rows = activation.enterprises + activation.recipients + deliveries
    columns = ("activation_id", "enterprise_id", "unit_id", "position", "name", "role", "mobile", "email")
    with sessions() as session, session.begin():
        session.execute(text("CREATE TABLE bench_floor AS SELECT * FROM recipients WHERE 1 = 0"))
    with sessions() as session, session.begin():
        floor = ((activation.id, i, None, 1, "联系人", "env_officer", "+8610000000000", "x@example.com") for i in range(rows))
        _, bulk_seconds = timed(lambda: bulk_insert(
            session, Recipient.__table__.to_metadata(MetaData(), name="bench_floor"), columns, floor))
    with sessions() as session, session.begin():
        session.execute(text("DELETE FROM bench_floor"))
    with sessions() as session, session.begin():
        _, select_seconds = timed(lambda: (
            session.execute(text("INSERT INTO bench_floor SELECT * FROM recipients")),
            session.execute(text("INSERT INTO bench_floor (id, activation_id, enterprise_id, position, name, role) "
                                 "SELECT -enterprise_id, activation_id, enterprise_id, 0, '', '' "
                                 "FROM activation_enterprises"))))
    engine.dispose()
    return {"import_seconds": round(import_seconds, 1), "draft_seconds": draft_seconds,
            "approve_seconds": approve_seconds, "enterprises": activation.enterprises,
            "recipients": activation.recipients, "deliveries": deliveries, "rows_written": rows, "floor_bulk_insert_seconds": bulk_seconds,
            "floor_insert_select_seconds": select_seconds, "peak_rss_mb": _peak_mb()}


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
    print("| database | enterprises | rows written | draft (adequacy) s | approve (activation) s | "
          "floor: bulk insert s | floor: insert-select s | × bulk floor |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, admin in [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else []):
        url = fresh_database(kind, admin)
        out = subprocess.run([sys.executable, __file__, "--measure", url, "--file", str(path)], check=True,
                             capture_output=True, text=True)
        r = json.loads(out.stdout)
        print(f"| {kind} | {r['enterprises']:,} | {r['rows_written']:,} | {r['draft_seconds']} | {r['approve_seconds']} | "
              f"{r['floor_bulk_insert_seconds']} | {r['floor_insert_select_seconds']} | "
              f"{r['approve_seconds'] / r['floor_bulk_insert_seconds']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
