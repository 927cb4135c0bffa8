"""HJ 633-2012: every breakpoint of every pollutant, and the edges."""
from __future__ import annotations

import pytest

from emergency.forecasts import aqi

CASES = [(pollutant, c, step) for pollutant, points in aqi.BREAKPOINTS.items()
         for c, step in zip(points, aqi.IAQI_STEPS)]


@pytest.mark.parametrize(("pollutant", "concentration", "expected"), CASES)
def test_each_breakpoint_gives_its_iaqi_exactly(pollutant, concentration, expected):
    assert aqi.iaqi(pollutant, concentration) == expected


@pytest.mark.parametrize(("pollutant", "points"), list(aqi.BREAKPOINTS.items()))
def test_just_above_a_breakpoint_rounds_up_to_the_next_integer(pollutant, points):
    for lower, upper, step in zip(points, points[1:], aqi.IAQI_STEPS):
        assert aqi.iaqi(pollutant, lower + (upper - lower) / 1000) == step + 1


@pytest.mark.parametrize(("pollutant", "value", "expected"), [
    ("pm25", 0, 0), ("pm25", 55, 75), ("pm25", 200, 250), ("pm25", 120, 158),  # 157.14… rounds up
    ("pm10", 600.1, 500), ("pm25", 1000, 500), ("so2", 3000, 500), ("co", 1.5, 38), ("co", 60, 500),
    ("o3_8h", 130, 75), ("o3_8h", 800, 300), ("no2", 100, 110),
])
def test_values_between_and_beyond_the_breakpoints(pollutant, value, expected):
    assert aqi.iaqi(pollutant, value) == expected


def test_ozone_above_800_uses_the_one_hour_value_and_requires_it():
    assert aqi.iaqi("o3_8h", 900, o3_1h=900) == 350
    with pytest.raises(ValueError, match="1-hour"):
        aqi.iaqi("o3_8h", 801)


@pytest.mark.parametrize("bad", [-0.1, float("nan")])
def test_negative_or_missing_concentration_is_refused(bad):
    with pytest.raises(ValueError, match="pm25"):
        aqi.iaqi("pm25", bad)


def test_aqi_is_the_largest_iaqi_and_names_every_pollutant_at_it():
    result = aqi.compute({"pm25": 150, "pm10": 350, "so2": 10, "no2": None})
    assert result.aqi == 200
    assert result.primary == ("pm10", "pm25")
    assert result.iaqi == {"pm25": 200, "pm10": 200, "so2": 10}


def test_no_primary_pollutant_at_or_below_50():
    assert aqi.compute({"pm25": 35, "no2": 40}).primary == ()
    assert aqi.compute({"pm25": 35.1}).primary == ("pm25",)


def test_nothing_given_is_an_error():
    with pytest.raises(ValueError):
        aqi.compute({"pm25": None})
