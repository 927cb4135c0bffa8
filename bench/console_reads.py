"""What the console reads while a red warning over N enterprises is open, on SQLite and PostgreSQL:
the live counts a warning page and the home page poll (`queries.progress_by_warning`), the
`/warnings/{id}/counts` answer end to end, and the draft form's check (`service.preview`: adequacy
and reach), each against a floor measured in the same run and database:

- counts: a bare `SELECT count(*), count(acknowledged_at), count(confirmed_at)` over the
  activation's enterprises (the least any count can read);
- the endpoint: `/healthz` on the same application and client (the least any answer costs);
- the check: bare `SUM`s of the baselines and of the red cuts of the enterprises' current versions.

    .venv/bin/python bench/console_reads.py [--enterprises 100000] [--postgres ADMIN_URL]

Each figure is the median of 5 runs after one warm-up."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from lists_import import OUT, _import, fresh_database, generate  # noqa: E402


def median(func, runs: int = 5) -> float:
    func()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


def measure(url: str, path: Path) -> dict:
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from accounts import service as accounts
    from accounts.models import Role
    from accounts.permissions import Actor, system
    from config.db import make_engine, make_sessionmaker, utcnow
    from config.settings import Settings
    from emergency.context import Context
    from emergency.warnings import queries, service
    from emergency.web.app import create_app

    _import(path, url)
    settings = Settings(database_url=url, secret_key="bench")
    context = Context(settings)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    with sessions() as session, session.begin():
        password = accounts.add_user(session=session, actor=system(), username="bench", role=Role.VIEWER, area=None,
                                     display_name="bench", now=now)[1]
        request = service.draft(session=session, rules=context.rules, config=context.config, area="大兴区", level="red",
                                start=now + timedelta(hours=12), end=now + timedelta(days=3), reason="bench",
                                actor=Actor("duty", "duty_officer"), now=now)
        service.approve(session=session, rules=context.rules, config=context.config, warning_id=request.warning_id,
                        actor=Actor("chief", "commander"), now=now)
    warning_id, viewer = request.warning_id, Actor("bench", "viewer")
    with sessions() as session:
        activation = session.scalar(text("SELECT max(id) FROM activations"))
        enterprises = session.scalar(text(f"SELECT count(*) FROM activation_enterprises WHERE activation_id = {activation}"))
        counts = median(lambda: queries.progress_by_warning(session, [warning_id]))
        counts_floor = median(lambda: session.execute(text(
            "SELECT count(*), count(acknowledged_at), count(confirmed_at) FROM activation_enterprises "
            f"WHERE activation_id = {activation}")).all())
        preview = median(lambda: service.preview(session=session, rules=context.rules, config=context.config,
                                                 area="大兴区", level="red", actor=viewer), runs=3)
        preview_floor = median(lambda: (session.execute(text(
            "SELECT sum(v.so2_base), sum(v.nox_base), sum(v.pm_base), sum(v.vocs_base) FROM enterprises e "
            "JOIN list_versions v ON v.id = e.current_version_id")).all(), session.execute(text(
            "SELECT sum(m.so2_cut), sum(m.nox_cut), sum(m.pm_cut), sum(m.vocs_cut) FROM enterprises e "
            "JOIN measures m ON m.list_version_id = e.current_version_id AND m.level = 'red'")).all()), runs=3)
    with TestClient(create_app(settings)) as client:
        client.post("/api/v1/tokens", json={"username": "bench", "password": password})
        token = client.post("/api/v1/tokens", json={"username": "bench", "password": password}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        endpoint = median(lambda: client.get(f"/warnings/{warning_id}/counts", headers=headers).raise_for_status())
        endpoint_floor = median(lambda: client.get("/healthz").raise_for_status())
    engine.dispose()
    return {"enterprises": enterprises, "counts": counts, "counts_floor": counts_floor, "endpoint": endpoint,
            "endpoint_floor": endpoint_floor, "preview": preview, "preview_floor": preview_floor}


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
    print("| database | enterprises | counts s | floor: bare count s | × | /counts answer s | floor: /healthz s | "
          "draft check s | floor: bare sum s | × |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, admin in [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else []):
        url = fresh_database(kind, admin)
        out = subprocess.run([sys.executable, __file__, "--measure", url, "--file", str(path)], check=True,
                             capture_output=True, text=True)
        r = json.loads(out.stdout)
        print(f"| {kind} | {r['enterprises']:,} | {r['counts']} | {r['counts_floor']} | "
              f"{r['counts'] / r['counts_floor']:.1f} | {r['endpoint']} | {r['endpoint_floor']} | {r['preview']} | "
              f"{r['preview_floor']} | {r['preview'] / r['preview_floor']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
