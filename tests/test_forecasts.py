"""Forecast CSV import (all or nothing, superseding), assessment, and the Beijing replay."""
from __future__ import annotations

from areas.service import add as add_area
from tests.factories import who

import json
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from config import rulesets
from emergency.forecasts import replay
from emergency.forecasts.importer import import_forecast
from emergency.forecasts.models import Forecast
from emergency.forecasts.service import assess
from tests.test_cli import run

ZONE = ZoneInfo("Asia/Shanghai")
RULES = rulesets.load("national-2024")


@pytest.fixture
def areas(session):
    district = add_area(session, name="大兴区", kind="district")
    add_area(session, name="黄村镇", kind="town", parent=district)
    return session


def load(session, tmp_path, text: str, name="f.csv", now=datetime(2026, 12, 1, tzinfo=timezone.utc)):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_forecast(session=session, path=path, actor=who("tester"), zone=ZONE, now=now)


def test_aqi_given_is_kept_and_otherwise_computed_from_concentrations(areas, tmp_path):
    result = load(areas, tmp_path, "area,date,aqi,pm25,pm10\n大兴区,2026-12-02,210,150,\n大兴区,2026-12-03,,250,100\n")
    assert not result.errors
    rows = areas.scalars(select(Forecast).order_by(Forecast.date)).all()
    assert [(r.aqi, r.aqi_given, r.primary, r.pm25) for r in rows] == [(210, True, "pm25", 150.0), (300, False, "pm25", 250.0)]


def test_bad_rows_reject_the_whole_file_with_row_and_column(areas, tmp_path):
    text = ("area,date,aqi,pm25\n大兴区,2026-12-02,180,\n朝阳区,2026-12-03,200,\n大兴区,12/04/2026,200,\n"
            "大兴区,2026-12-05,,-3\n大兴区,2026-12-06,501,\n大兴区,2026-12-07,,\n大兴区,2026-12-02,190,\n")
    result = load(areas, tmp_path, text)
    where = [(e.row, e.column) for e in result.errors]
    assert where == [(3, "area"), (4, "date"), (5, "pm25"), (6, "aqi"), (7, "aqi"), (8, "date")]
    assert "unknown area" in result.errors[0].message and "at most 500" in result.errors[3].message
    assert areas.scalar(select(func.count()).select_from(Forecast)) == 0


def test_missing_or_unknown_columns_are_named(areas, tmp_path):
    assert "missing columns: date" in load(areas, tmp_path, "area,aqi\n大兴区,100\n").errors[0].message
    assert "unknown columns: pm2.5" in load(areas, tmp_path, "area,date,pm2.5\n大兴区,2026-12-01,100\n").errors[0].message


def test_a_later_forecast_supersedes_and_both_are_kept(areas, tmp_path):
    load(areas, tmp_path, "area,date,aqi,issued_at\n大兴区,2026-12-02,260,2026-12-01T08:00\n"
                          "大兴区,2026-12-03,260,2026-12-01T08:00\n", name="a.csv")
    first = assess(session=areas, rules=RULES, area="大兴区")[0]
    assert first.level == "orange"
    load(areas, tmp_path, "area,date,aqi,issued_at\n大兴区,2026-12-02,120,2026-12-01T16:00\n", name="b.csv")
    latest = assess(session=areas, rules=RULES, area="大兴区")[0]
    assert latest.level is None and [d["aqi"] for d in latest.to_json()["days"]] == [120]
    assert areas.scalar(select(func.count()).select_from(Forecast)) == 3


def test_assessment_json_has_the_days_primary_pollutants_and_the_rule(areas, tmp_path):
    load(areas, tmp_path, "area,date,pm25\n大兴区,2026-12-02,160\n大兴区,2026-12-03,260\n大兴区,2026-12-04,200\n")
    doc = assess(session=areas, rules=RULES)[0].to_json()
    assert doc["level"] == "red" and doc["area"] == "大兴区"
    assert [(d["date"], d["aqi"], d["primary"]) for d in doc["days"]] == [
        ("2026-12-02", 210, ["pm25"]), ("2026-12-03", 310, ["pm25"]), ("2026-12-04", 250, ["pm25"])]
    assert doc["rule"].startswith("national-2024 red") and doc["trigger_days"] == ["2026-12-02", "2026-12-03", "2026-12-04"]
    assert assess(session=areas, rules=rulesets.load("legacy-2017"))[0].level == "orange"


def test_beijing_replay_finds_the_red_warnings_of_december_2015_and_2016():
    """Beijing issued red warnings on 19–22 Dec 2015 and 16–21 Dec 2016; replayed as a perfect
    forecast, the real observations must put those days under red in both standards."""
    days = replay.with_aqi(replay.daily_means(replay.DEFAULT_DATA, date(2015, 12, 1), date(2017, 1, 10)))
    assert len(days) == 407  # 1 Dec 2015 – 10 Jan 2017, 2016 a leap year
    for name in ("national-2024", "legacy-2017"):
        rules = rulesets.load(name)
        reds = [e for e in replay.episodes(rules, replay.replay(rules, days, 5)) if e.level == "red"]
        for real_start, real_end in ((date(2015, 12, 19), date(2015, 12, 22)), (date(2016, 12, 16), date(2016, 12, 21))):
            assert any(e.start <= real_end and e.end >= real_start for e in reds), (name, real_start)
    quiet = [d for d in days if date(2016, 8, 1) <= d.date <= date(2016, 8, 31)]
    assert replay.episodes(RULES, replay.replay(RULES, quiet, 5)) == []


def test_replay_command_prints_episodes_as_json_and_writes_an_importable_csv(tmp_path):
    out = tmp_path / "beijing.csv"
    result = run("forecast", "replay", "--from", "2016-12-14", "--to", "2016-12-23", "--json", "--csv", str(out))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["days"] == 10 and any(e["level"] == "red" for e in doc["episodes"])
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header == "area,date,pm25,pm10,so2,no2,co,o3_8h"


@pytest.mark.parametrize("value, says", [("inf", "not a finite number"), ("nan", "not a finite number"),
                                         ("-inf", "not a finite number"), ("1e308", "must be at most 2000"),
                                         ("-3", "must not be negative")])
def test_non_finite_and_absurd_concentrations_are_located_errors(areas, tmp_path, value, says):
    result = load(areas, tmp_path, f"area,date,pm25\n大兴区,2026-12-02,{value}\n")
    assert [(e.row, e.column) for e in result.errors] == [(2, "pm25")] and says in result.errors[0].message
    assert result.import_id is None
