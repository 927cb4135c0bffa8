"""The warning commands as a duty officer and a commander run them, and the CAP 1.2 notices,
validated against the official OASIS schema (tests/data/CAP-v1.2.xsd)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
import xmlschema

from tests.factories import records_for_warnings, write_xlsx
from tests.test_cli import run

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "data" / "CAP-v1.2.xsd")
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def day(offset: int) -> str:
    return (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=offset)).strftime("%Y-%m-%dT00:00")


@pytest.fixture
def db(db_url, tmp_path):
    assert run("init", "--db", db_url).exit_code == 0
    for user, role in (("duty", "duty_officer"), ("a", "duty_officer"), ("b", "duty_officer"), ("chief", "commander")):
        assert run("user", "add", user, "--role", role, "--db", db_url).exit_code == 0
    lists = write_xlsx(tmp_path / "lists.xlsx", records_for_warnings())
    assert run("lists", "import", str(lists), "--db", db_url).exit_code == 0
    forecast = tmp_path / "forecast.csv"
    forecast.write_text("area,date,pm25\n" + "".join(f"大兴区,{day(i)[:10]},{v}\n" for i, v in
                                                   ((1, 160), (2, 260), (3, 200))), encoding="utf-8")
    assert run("forecast", "import", str(forecast), "--db", db_url).exit_code == 0
    return db_url


def cli(db, *args):
    return run("warning", *args, "--db", db)


def show(db, warning_id=1) -> dict:
    result = cli(db, "show", str(warning_id), "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_draft_approve_change_lift_and_their_cap_notices(db):
    drafted = cli(db, "draft", "--level", "橙色", "--area", "大兴区", "--start", day(1), "--end", day(4),
                  "--reason", "会商：未来三天重污染", "--by", "duty", "--json")
    assert drafted.exit_code == 0, drafted.stderr
    doc = json.loads(drafted.stdout)
    assert (doc["id"], doc["status"], doc["level"], doc["pending"]["adequacy"]["ok"]) == (1, "draft", "orange", True)
    assert doc["history"][0]["forecast"]["level"] == "red"  # what the forecast recommended, recorded

    same = cli(db, "approve", "1", "--by", "duty")
    assert same.exit_code == 1 and "may not approve or reject warnings" in same.stderr and "Traceback" not in same.stderr
    assert show(db)["status"] == "draft"

    assert cli(db, "approve", "1", "--by", "chief").exit_code == 0
    doc = show(db)
    assert {k: doc[k] for k in ("id", "status", "level", "area", "enterprises", "recipients")} == \
           {"id": 1, "status": "scheduled", "level": "orange", "area": "大兴区", "enterprises": 5, "recipients": 9}
    assert doc["start"].endswith("+08:00") and doc["start"][:16] == day(1)

    assert cli(db, "change", "1", "--level", "red", "--reason", "升级", "--by", "duty").exit_code == 0
    assert cli(db, "approve", "1", "--by", "chief").exit_code == 0
    past = cli(db, "lift", "1", "--at", day(-1), "--reason", "好转", "--by", "duty")
    assert past.exit_code == 1 and "已经过去" in past.stderr
    now = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    assert cli(db, "lift", "1", "--at", now, "--reason", "好转", "--by", "duty").exit_code == 0
    assert cli(db, "approve", "1", "--by", "chief").exit_code == 0
    doc = show(db)
    assert doc["status"] == "lifted" and [h["kind"] for h in doc["history"]] == ["issue", "change", "lift"]
    assert [h["activation"]["changed"] for h in doc["history"]] == [5, 4, 5]

    notices = []
    for seq in (1, 2, 3):
        result = run("warning", "cap", "1", "--seq", str(seq), "--db", db)
        assert result.exit_code == 0, result.stderr
        SCHEMA.validate(result.stdout)  # raises on any schema violation
        notices.append(ET.fromstring(result.stdout))
    assert [n.findtext(f"{CAP}msgType") for n in notices] == ["Alert", "Update", "Cancel"]
    ids = [(n.findtext(f"{CAP}sender"), n.findtext(f"{CAP}identifier"), n.findtext(f"{CAP}sent")) for n in notices]
    assert notices[0].find(f"{CAP}references") is None
    assert notices[2].findtext(f"{CAP}references") == " ".join(",".join(i) for i in ids[:2])
    assert notices[1].find(f"{CAP}info").findtext(f"{CAP}severity") == "Extreme"  # red
    assert notices[2].find(f"{CAP}info").findtext(f"{CAP}responseType") == "AllClear"


def test_a_second_draft_is_refused_with_the_existing_id_and_nothing_written(db):
    args = ("draft", "--level", "yellow", "--area", "大兴区", "--start", day(1), "--end", day(2), "--reason", "r")
    assert cli(db, *args, "--by", "a").exit_code == 0
    second = cli(db, *args, "--by", "b")
    assert second.exit_code == 1 and "already under warning 1" in second.stderr
    listed = json.loads(cli(db, "list", "--json").stdout)
    assert [w["id"] for w in listed] == [1]


def test_bad_input_exits_with_a_message_not_a_traceback(db):
    bad_time = cli(db, "draft", "--level", "red", "--area", "大兴区", "--start", "tomorrow", "--end", day(2),
                   "--reason", "r", "--by", "a")
    assert bad_time.exit_code == 2 and "ISO 8601" in bad_time.stderr
    unknown = cli(db, "approve", "99", "--by", "chief")
    assert unknown.exit_code == 1 and "no warning 99" in unknown.stderr
    nothing = run("warning", "cap", "99", "--db", db)
    assert nothing.exit_code == 1
    level = cli(db, "draft", "--level", "blue", "--area", "大兴区", "--start", day(1), "--end", day(2),
                "--reason", "r", "--by", "a")
    assert level.exit_code == 1 and "no level 'blue'" in level.stderr


def test_cap_output_that_breaks_the_schema_is_caught():
    """The schema check itself must bite: a notice without <scope> is invalid."""
    broken = ('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier><sender>s</sender>'
              '<sent>2026-12-01T00:00:00+08:00</sent><status>Actual</status><msgType>Alert</msgType></alert>')
    assert not SCHEMA.is_valid(broken)


def test_the_demo_brings_a_forecast_that_calls_for_red_and_a_warning_can_follow(db_url):
    assert run("init", "--db", db_url).exit_code == 0
    assert run("demo", "--enterprises", "30", "--db", db_url).exit_code == 0
    assessed = json.loads(run("forecast", "assess", "--area", "大兴区", "--json", "--db", db_url).stdout)
    assert assessed[0]["level"] == "red" and assessed[0]["days"][0]["date"] == day(1)[:10]
    assert cli(db_url, "draft", "--level", "red", "--area", "大兴区", "--start", day(1), "--end", day(4),
               "--reason", "会商", "--by", "duty").exit_code == 0
    assert cli(db_url, "approve", "1", "--by", "commander").exit_code == 0
    assert show(db_url)["enterprises"] == 30
