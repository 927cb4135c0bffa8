"""The daily report and the assessment of a red warning over N enterprises, on SQLite and
PostgreSQL: the document (JSON), its reduction part alone, the workbook and the Word document.

The warning is the one bench/summary.py makes (approved as in production, then mid-warning: 98 % of
the notices delivered, 80 % acknowledged, 60 % confirmed over the first hour).

    .venv/bin/python bench/reports.py [--enterprises 100000] [--postgres ADMIN_URL]

Each figure is the median of 5 runs after one warm-up."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from console_reads import median  # noqa: E402
from lists_import import OUT, _import, fresh_database, generate  # noqa: E402
from summary import approve_red, mid_warning  # noqa: E402


def measure(url: str, path: Path) -> dict:
    from sqlalchemy import select

    from accounts.permissions import Actor
    from config.db import make_engine, make_sessionmaker, utcnow
    from config.settings import Settings
    from emergency.context import Context
    from emergency.reports import formats, service
    from emergency.reports.reduction import reduction
    from emergency.warnings.models import Activation, Warning
    from lists.models import Area

    _import(path, url)
    settings = Settings(database_url=url, secret_key="bench")
    context, zone = Context(settings), settings.tz
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    warning_id = approve_red(sessions, context, now)
    with sessions() as session:
        activation = session.scalar(select(Activation).where(Activation.warning_id == warning_id))
        activation_id = activation.id
    mid_warning(sessions, activation_id, now)
    viewer = Actor("bench", "viewer")
    with sessions() as session:
        warning = session.get(Warning, warning_id)
        activation = session.get(Activation, activation_id)
        place = session.get(Area, warning.area_id)

        def make(kind: str) -> dict:
            return service.report(session=session, warning=warning, actor=viewer, config=context.config, zone=zone,
                                  now=utcnow(), kind=kind)

        daily = make("daily")
        figures = {
            "daily": median(lambda: make("daily")),
            "assessment": median(lambda: make("assessment")),
            "reduction": median(lambda: reduction(session, activation, rules=warning.rules, config=context.config,
                                                  place=place, scope=None)),
            "xlsx": median(lambda: formats.render(daily, "xlsx")),
            "docx": median(lambda: formats.render(daily, "docx")),
        }
    engine.dispose()
    return figures | {"enterprises": daily["summary"]["enterprises"],
                      "confirmed": daily["reduction"][0]["confirmed_enterprises"]}


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
    print("| database | enterprises | daily report (JSON) s | assessment s | reduction alone s | xlsx s | docx s |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    for kind, admin in [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else []):
        url = fresh_database(kind, admin)
        out = subprocess.run([sys.executable, __file__, "--measure", url, "--file", str(path)], check=True,
                             capture_output=True, text=True)
        r = json.loads(out.stdout)
        print(f"| {kind} | {r['enterprises']:,} | {r['daily']} | {r['assessment']} | {r['reduction']} | {r['xlsx']} | "
              f"{r['docx']} |", flush=True)


if __name__ == "__main__":
    main()
