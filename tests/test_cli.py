"""The `emergency` command as users run it: exit codes, JSON on stdout, nothing half-written."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from config.db import make_engine
from emergency.cli import main
from lists.models import Enterprise
from tests.factories import make_records, write_xlsx


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def db(db_url):
    assert run("init", "--db", db_url).exit_code == 0
    return db_url


def enterprise_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Enterprise))
    finally:
        engine.dispose()


def test_init_is_safe_to_run_twice(db_url):
    first, second = run("init", "--db", db_url), run("init", "--db", db_url)
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "migrated empty" in first.stderr and "already up to date" in second.stderr


def test_commands_before_init_say_what_to_do(db_url):
    result = run("lists", "check", "--level", "red", "--db", db_url)
    assert result.exit_code == 1 and "emergency init" in result.stderr


def test_import_json_reports_counts_and_writes(db, tmp_path):
    result = run("lists", "import", str(write_xlsx(tmp_path / "ok.xlsx", make_records(3))), "--json", "--db", db)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("enterprises", "contacts", "measures", "units", "errors")} == \
           {"enterprises": 3, "contacts": 3, "measures": 9, "units": 2, "errors": []}
    assert enterprise_count(db) == 3


def test_rejected_import_exits_1_lists_errors_as_json_and_writes_nothing(db, tmp_path):
    records = make_records(3)
    records["enterprises"][2]["so2_base"] = -5
    result = run("lists", "import", str(write_xlsx(tmp_path / "bad.xlsx", records)), "--json", "--db", db)
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["sheet"], e["row"], e["column"]) for e in errors] == [("企业", 4, "SO2基数")]
    assert enterprise_count(db) == 0


def test_rejected_import_in_text_mode_prints_every_error_in_both_languages(db, tmp_path):
    records = make_records(2)
    records["enterprises"][0]["lat"] = 99
    records["contacts"][1]["email"] = "nope"
    result = run("lists", "import", str(write_xlsx(tmp_path / "bad.xlsx", records)), "--db", db)
    assert result.exit_code == 1 and result.stdout == ""
    assert "企业 第2行 [纬度]" in result.stderr and "联系人 第3行 [邮箱]" in result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr


def test_a_failure_while_writing_leaves_nothing_behind(db, tmp_path, monkeypatch):
    import lists.importer

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(lists.importer, "_contacts", fail)  # after enterprises and versions were written
    with pytest.raises(RuntimeError):
        run("lists", "import", str(write_xlsx(tmp_path / "ok.xlsx", make_records(3))), "--db", db)
    assert enterprise_count(db) == 0


def test_dry_run_writes_nothing(db, tmp_path):
    result = run("lists", "import", str(write_xlsx(tmp_path / "ok.xlsx", make_records(3))), "--dry-run", "--db", db)
    assert result.exit_code == 0 and "dry run" in result.stdout
    assert enterprise_count(db) == 0


@pytest.mark.parametrize("args,words", [
    (("lists", "import", "/nonexistent/x.xlsx"), "file not found"),
    (("lists", "check", "--level", "purple"), "unknown level 'purple'"),
    (("lists", "check", "--level", "red", "--area", "朝阳区"), "unknown area"),
])
def test_bad_requests_exit_1_with_a_message_and_no_traceback(db, args, words):
    result = run(*args, "--db", db)
    assert result.exit_code == 1 and words in result.stderr and "Traceback" not in result.stderr


def test_usage_error_exits_2(db):
    assert run("lists", "check", "--db", db).exit_code == 2


def test_bad_configuration_file_is_reported(db, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("rules = [not toml")
    result = run("lists", "check", "--level", "red", "--db", db, env={"EMERGENCY_CONFIG": str(bad)})
    assert result.exit_code == 1 and "not valid TOML" in result.stderr


def test_demo_meets_the_required_ratio_at_every_level(db):
    result = run("demo", "--db", db)
    assert result.exit_code == 0
    assert "staff login" in result.stderr and "commander" in result.stderr
    for level in ("yellow", "orange", "red"):
        report = json.loads(run("lists", "check", "--level", level, "--json", "--db", db).stdout)
        assert report["enterprises"] == 200 and report["ok"], report


def test_demo_with_the_same_seed_gives_the_same_data(databases, tmp_path):
    exports = []
    for name in ("a", "b", "c"):
        url = databases.new_url()
        run("init", "--db", url)
        seed = "5" if name != "c" else "6"
        assert run("demo", "--enterprises", "40", "--seed", seed, "--db", url).exit_code == 0
        run("lists", "export", str(tmp_path / f"{name}.xlsx"), "--db", url)
        book = load_workbook(tmp_path / f"{name}.xlsx", read_only=True)
        exports.append({s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets})
    assert exports[0] == exports[1]
    assert exports[0]["企业"] != exports[2]["企业"]
    assert len(exports[0]["企业"]) == 41


def test_demo_twice_changes_no_list(db):
    run("demo", "--enterprises", "20", "--db", db)
    again = run("demo", "--enterprises", "20", "--json", "--db", db)
    assert again.exit_code == 0 and json.loads(again.stdout)["enterprises"] == 20
    assert enterprise_count(db) == 20


HEAVY = ("pandas", "twilio", "fastapi", "openpyxl")
HELP_PROBE = """
import sys, click
from emergency.cli import main, COMMANDS
name = sys.argv[1]
paths = [[name]]
command = main.get_command(None, name)
if isinstance(command, click.Group):
    paths += [[name, sub] for sub in command.list_commands(None)]
for path in paths:
    try:
        main.main([*path, "--help"], standalone_mode=False)
    except SystemExit:
        pass
print("LOADED", [m for m in %r if m in sys.modules])
""" % (HEAVY,)


@pytest.mark.parametrize("name", ["--help", "init", "demo", "lists", "forecast", "warning", "notify", "scheduler",
                                  "serve", "user", "area"])
def test_help_loads_none_of_the_heavy_libraries(name):
    import subprocess
    import sys

    from emergency.cli import COMMANDS

    assert name == "--help" or name in COMMANDS
    probe = HELP_PROBE if name != "--help" else HELP_PROBE.replace("paths = [[name]]", "paths = [[]]").replace(
        "command = main.get_command(None, name)", "command = None")
    done = subprocess.run([sys.executable, "-c", probe, name], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout, done.stdout[-300:]
