"""The rule-set evaluator: each trigger of both shipped standards just above and just below its
thresholds, "and" against "or", gaps, ozone/dust days, and a rule set of one's own."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from config import rulesets
from config.settings import ConfigError
from emergency.forecasts.triggers import Day, evaluate

NATIONAL = rulesets.load("national-2024")
LEGACY = rulesets.load("legacy-2017")


def days(*aqis: int, start: date = date(2016, 12, 16), primary: tuple[str, ...] = ("pm25",)) -> list[Day]:
    return [Day(start + timedelta(days=i), a, primary) for i, a in enumerate(aqis)]


@pytest.mark.parametrize(("aqis", "expected"), [
    ((200,), None), ((201,), "yellow"),  # yellow: > 200 on 1 day
    ((150, 151), None), ((151, 150), None), ((151, 151), "yellow"),  # or > 150 for 2 days
    ((201, 200), "yellow"), ((201, 201), "orange"),  # orange: > 200 for 2 days
    ((151, 151, 150), "yellow"), ((151, 151, 151), "orange"),  # or > 150 for 3 days
    ((201, 201, 300), "orange"), ((201, 201, 301), "red"),  # red: > 200 for 3 days and one > 300
    ((301, 301, 200), "orange"),  # a 300+ pair without the third day over 200 is orange
    ((100, 201, 250, 301, 120), "red"),
])
def test_national_2024_each_trigger_just_above_and_below(aqis, expected):
    assert evaluate(NATIONAL, days(*aqis)).level == expected


@pytest.mark.parametrize(("aqis", "expected"), [
    ((200,), None), ((201,), "blue"),
    ((201, 200), "blue"), ((201, 201), "yellow"),
    ((201, 201, 201), "yellow"), ((201, 201, 301), "orange"), ((300, 300, 300), "yellow"),
    ((201, 201, 301, 301), "red"), ((201, 201, 301, 300), "orange"),
    ((499,), "blue"), ((500,), "red"),  # or AQI ≥ 500 on one day
])
def test_legacy_2017_each_trigger_just_above_and_below(aqis, expected):
    assert evaluate(LEGACY, days(*aqis)).level == expected


def test_the_result_says_which_rule_and_which_days():
    result = evaluate(NATIONAL, days(120, 220, 250, 320, 90))
    assert result.level == "red"
    assert result.rule == ("national-2024 red/红色: AQI > 200 for 3 consecutive days and AQI > 300 on at least 1 of them")
    assert result.days == [date(2016, 12, 17), date(2016, 12, 18), date(2016, 12, 19)]
    yellow = evaluate(NATIONAL, days(160, 170))
    assert yellow.rule == "national-2024 yellow/黄色 (alternative 2 of 2): AQI > 150 for 2 consecutive days"


def test_a_gap_in_the_dates_breaks_a_run():
    split = days(250, 250, start=date(2017, 1, 1)) + days(350, start=date(2017, 1, 4))
    assert evaluate(NATIONAL, split).level == "orange"
    assert evaluate(NATIONAL, split + days(240, start=date(2017, 1, 3))).level == "red"


def test_the_longest_run_counts_for_the_within_condition():
    # 2017 red: > 200 for 4 days (or more) with > 300 on 2 of them, anywhere in the run.
    assert evaluate(LEGACY, days(310, 250, 250, 250, 320)).level == "red"


def test_ozone_and_dust_days_bring_health_advice_not_a_warning():
    ozone = days(260, 260, primary=("o3_8h",))
    result = evaluate(NATIONAL, ozone)
    assert result.level is None and len(result.advisory) == 2
    mixed = days(260, 260, primary=("pm10", "pm25"))
    assert evaluate(NATIONAL, mixed).level == "orange"
    unknown = days(260, 260, primary=())  # AQI given without concentrations
    assert evaluate(NATIONAL, unknown).level == "orange"


def write_rules(tmp_path, triggers: str, name: str = "own"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f"""
name = "own"
[[levels]]
key = "red"
zh = "红色"
required = 0.3
triggers = [{triggers}]
""", encoding="utf-8")
    return rulesets.load(str(path))


def test_and_requires_every_within_condition_or_takes_any_alternative(tmp_path):
    both = write_rules(tmp_path, "{ days = 2, above = 200, within = [{ count = 1, above = 300 }, { count = 1, from = 400 }] }")
    assert evaluate(both, days(201, 301)).level is None  # only one of the two "and" conditions
    assert evaluate(both, days(201, 400)).level == "red"  # 400 is > 300 and ≥ 400
    either = write_rules(tmp_path, "{ days = 2, above = 300 }, { days = 1, from = 400 }", name="either")
    assert evaluate(either, days(301, 301)).level == "red"
    assert evaluate(either, days(400)).level == "red"
    assert evaluate(either, days(301, 399)).level == "red"
    assert evaluate(either, days(301, 250, 399)).level is None


def test_a_trigger_without_a_threshold_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="exactly one of 'above' or 'from'"):
        write_rules(tmp_path, "{ days = 2 }")
