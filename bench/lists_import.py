"""Import benchmark: a workbook of N enterprises (2 contacts each, 2 measures per level) imported
into SQLite and PostgreSQL, against the floor of a bare read of the same file.

    .venv/bin/python bench/lists_import.py [--enterprises 100000] [--postgres URL]

Each step runs in its own process, so that its peak memory (max RSS) is its own. The workbook is
generated once into bench/out/ and reused. PostgreSQL: an admin URL (a database is created per
run); default EMERGENCY_BENCH_POSTGRES_URL, else that step is skipped."""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"


def generate(path: Path, enterprises: int) -> float:
    from config import rulesets
    from emergency.demo import records
    from lists.export import write_workbook
    from lists.workbook import SHEETS

    started = time.perf_counter()
    data = records(enterprises=enterprises, seed=1)
    data["contacts"] = [c for c in data["contacts"] if c["order"] in (1, 2)]  # exactly 2 per enterprise
    rows = {spec.key: [[r.get(c.key) for c in spec.columns] for r in data[spec.key]] for spec in SHEETS}
    write_workbook(path, rows, rulesets.load("national-2024"))
    return time.perf_counter() - started


def step(name: str, path: Path, url: str | None) -> dict:
    """One measured step, in this process."""
    started = time.perf_counter()
    rows = 0
    if name == "read-calamine":
        from python_calamine import CalamineWorkbook
        book = CalamineWorkbook.from_path(str(path))
        for sheet in book.sheet_names:
            rows += len(book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)) - 1
    elif name == "read-openpyxl":
        from openpyxl import load_workbook
        book = load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            rows += sum(1 for _ in sheet.iter_rows(values_only=True)) - 1
    else:
        rows = _import(path, url)
    seconds = time.perf_counter() - started
    return {"step": name, "seconds": round(seconds, 2), "rows": rows,
            "rows_per_second": round(rows / seconds), "peak_rss_mb": _peak_mb()}


def _import(path: Path, url: str) -> int:
    from config import rulesets
    from config.db import make_engine, make_sessionmaker
    from lists.importer import import_workbook

    engine = make_engine(url)
    with make_sessionmaker(engine)() as session, session.begin():
        result = import_workbook(session=session, path=path, actor="bench", rules=rulesets.load("national-2024"),
                                 grade_scheme="2026")
    assert result.written and not result.plan.errors, result.plan.errors[:3]
    print(f"  versions created {result.versions_created}, unchanged {result.unchanged}", file=sys.stderr)
    return len(result.plan.lists) + result.plan.contact_count() + result.plan.measure_count()


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def fresh_database(kind: str, admin_url: str | None) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from config.db import make_engine
    from emergency.database import upgrade

    if kind == "sqlite":
        db = OUT / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{db}"
    else:
        admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        name = f"emergency_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def run_step(name: str, path: Path, url: str | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, "--step", name, "--file", str(path), "--url", url or ""],
                         check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("EMERGENCY_BENCH_POSTGRES_URL"))
    parser.add_argument("--step"), parser.add_argument("--file"), parser.add_argument("--url")
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, Path(args.file), args.url or None)))
        return
    OUT.mkdir(exist_ok=True)
    path = OUT / f"lists-{args.enterprises}.xlsx"
    if not path.exists():
        print(f"generating {path} …", file=sys.stderr)
        print(f"  generated in {generate(path, args.enterprises):.1f} s", file=sys.stderr)
    print(f"workbook {path.name}: {path.stat().st_size / 2**20:.1f} MiB; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}", file=sys.stderr)
    results = [run_step("read-calamine", path), run_step("read-openpyxl", path)]
    targets = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    for kind, admin in targets:
        url = fresh_database(kind, admin)
        results.append(run_step(f"import-{kind}", path, url))
        results.append(run_step(f"reimport-{kind} (unchanged)", path, url))
    floor = results[0]["seconds"]
    print("\n| step | seconds | rows/s | × floor | peak RSS MB |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['step']} | {r['seconds']} | {r['rows_per_second']:,} | {r['seconds'] / floor:.2f} | {r['peak_rss_mb']} |")


if __name__ == "__main__":
    main()
