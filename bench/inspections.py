"""What inspections read while a red warning over N enterprises is open, on SQLite and PostgreSQL,
with one inspection for every 20th enterprise (half of them violations, each finding its first
measure not in place), each against a floor measured in the same run and database:

- the visit list (first page, in priority order) for a city-level office user, who scores every
  enterprise of the notice, and the office's coverage by town: against a bare pass over the
  notice's enterprises (`SELECT count(*), count(confirmed_at) … WHERE activation_id = ?`);
- the review list (first page with findings and photos): against a bare `SELECT id … ORDER BY at
  DESC LIMIT 50` of the warning's inspections;
- the violation register's rows (every violation with its measures): against a bare SELECT of the
  violation inspections joined to their enterprises and findings.

    .venv/bin/python bench/inspections.py [--enterprises 100000] [--postgres ADMIN_URL]

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

EVERY = 20  # one enterprise in EVERY is inspected


def measure(url: str, path: Path) -> dict:
    from sqlalchemy import insert, text

    from accounts.permissions import Actor
    from config.db import make_engine, make_sessionmaker, utcnow
    from config.settings import Settings
    from emergency.context import Context
    from emergency.inspections import coverage, queries, register, visits
    from emergency.inspections.models import Finding, Inspection
    from emergency.warnings import service
    from emergency.warnings.models import Warning

    _import(path, url)
    settings = Settings(database_url=url, secret_key="bench")
    context = Context(settings)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    with sessions() as session, session.begin():
        request = service.draft(session=session, rules=context.rules, config=context.config, area="大兴区", level="red",
                                start=now - timedelta(hours=1), end=now + timedelta(days=3), reason="bench",
                                actor=Actor("duty", "duty_officer"), now=now - timedelta(hours=2))
        service.approve(session=session, rules=context.rules, config=context.config, warning_id=request.warning_id,
                        actor=Actor("chief", "commander"), now=now - timedelta(hours=2))
        activation = session.scalar(text("SELECT max(id) FROM activations"))
        first = dict(session.execute(text(
            "SELECT ae.enterprise_id, min(m.id) FROM activation_enterprises ae JOIN measures m "
            f"ON m.list_version_id = ae.list_version_id AND m.level = 'red' WHERE ae.activation_id = {activation} "
            f"AND ae.enterprise_id % {EVERY} = 0 GROUP BY ae.enterprise_id")).all())
        rows = [{"warning_id": request.warning_id, "activation_id": activation, "enterprise_id": e, "inspector": "bench",
                 "at": now - timedelta(minutes=i % 600), "result": "violation" if i % 2 else "compliant",
                 "note": "夜查", "created_at": now} for i, e in enumerate(sorted(first))]
        session.execute(insert(Inspection), rows)
        ids = dict(session.execute(text("SELECT enterprise_id, id FROM inspections WHERE result = 'violation'")).all())
        session.execute(insert(Finding), [{"inspection_id": i, "measure_id": first[e], "ok": False, "note": "未停产"}
                                          for e, i in ids.items()])
    office, zone = Actor("bench", "office"), settings.tz
    with sessions() as session:
        warning = session.get(Warning, request.warning_id)
        enterprises = session.scalar(text(f"SELECT count(*) FROM activation_enterprises WHERE activation_id = {activation}"))
        scan = median(lambda: session.execute(text(
            "SELECT count(*), count(confirmed_at) FROM activation_enterprises "
            f"WHERE activation_id = {activation}")).all())
        figures = {
            "visit_list": median(lambda: visits.visit_list(session, office, warning)),
            "coverage": median(lambda: coverage.by_town(session, warning, office)),
            "scan_floor": scan,
            "review": median(lambda: queries.for_warning(session, office, warning.id, zone)),
            "review_floor": median(lambda: session.execute(text(
                f"SELECT id FROM inspections WHERE warning_id = {warning.id} ORDER BY at DESC LIMIT 50")).all()),
            "register": median(lambda: register.rows(session, warning, office, zone)),
            "register_floor": median(lambda: session.execute(text(
                "SELECT i.id, i.at, e.name, e.credit_code, f.measure_id FROM inspections i "
                "JOIN enterprises e ON e.id = i.enterprise_id JOIN inspection_findings f ON f.inspection_id = i.id "
                f"WHERE i.warning_id = {warning.id} AND i.result = 'violation'")).all()),
        }
    engine.dispose()
    return {"enterprises": enterprises, "inspections": len(rows), "violations": len(ids), **figures}


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
    print("| database | enterprises | inspections (violations) | visit list s | coverage s | floor: bare pass s | × | × "
          "| review page s | floor s | × | register rows s | floor s | × |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, admin in [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else []):
        url = fresh_database(kind, admin)
        out = subprocess.run([sys.executable, __file__, "--measure", url, "--file", str(path)], check=True,
                             capture_output=True, text=True)
        r = json.loads(out.stdout)
        print(f"| {kind} | {r['enterprises']:,} | {r['inspections']:,} ({r['violations']:,}) | {r['visit_list']} | "
              f"{r['coverage']} | {r['scan_floor']} | {r['visit_list'] / r['scan_floor']:.1f} | "
              f"{r['coverage'] / r['scan_floor']:.1f} | {r['review']} | {r['review_floor']} | "
              f"{r['review'] / r['review_floor']:.1f} | {r['register']} | {r['register_floor']} | "
              f"{r['register'] / r['register_floor']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
