"""Air quality index per HJ 633-2012 (环境空气质量指数（AQI）技术规定), from daily concentrations.

Pure functions: IAQI per pollutant by linear interpolation between the standard's breakpoints,
rounded up; AQI the largest IAQI; primary pollutants those at the AQI when it exceeds 50."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

IAQI_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)

# Table 1 of HJ 633-2012, 24-hour means (µg/m³; CO in mg/m³), and the 8-hour O3 mean, which
# the standard tabulates only up to IAQI 300 (800 µg/m³); above that the 1-hour value is used.
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "so2": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "no2": (0, 40, 80, 180, 280, 565, 750, 940),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "co": (0, 2, 4, 14, 24, 36, 48, 60),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "pm25": (0, 35, 75, 115, 150, 250, 350, 500),
}
O3_1H = (0, 160, 200, 300, 400, 800, 1000, 1200)
POLLUTANTS = tuple(BREAKPOINTS)
NAMES = {"so2": "SO2", "no2": "NO2", "pm10": "PM10", "co": "CO", "o3_8h": "O3", "pm25": "PM2.5"}


@dataclass(frozen=True)
class AQI:
    aqi: int
    primary: tuple[str, ...]  # pollutant keys; empty when AQI <= 50
    iaqi: dict[str, int]


def _interpolate(value: float, points: tuple[float, ...]) -> int:
    c = Fraction(Decimal(str(value)))
    if c >= points[-1]:
        return IAQI_STEPS[len(points) - 1]  # the top of the table; 500 for all but O3 8h
    for i in range(1, len(points)):
        if c <= points[i]:
            lo, hi = Fraction(Decimal(str(points[i - 1]))), Fraction(Decimal(str(points[i])))
            exact = (IAQI_STEPS[i] - IAQI_STEPS[i - 1]) / (hi - lo) * (c - lo) + IAQI_STEPS[i - 1]
            return math.ceil(exact)
    raise AssertionError("unreachable")


def iaqi(pollutant: str, value: float, *, o3_1h: float | None = None) -> int:
    """The individual AQI of one concentration; raises ValueError for a negative value, or for an
    8-hour O3 above 800 µg/m³ without the 1-hour value the standard then requires."""
    if pollutant not in BREAKPOINTS:
        raise ValueError(f"unknown pollutant {pollutant!r}; known: {', '.join(POLLUTANTS)}")
    if value is None or value < 0 or math.isnan(value):
        raise ValueError(f"{pollutant}: concentration must be a number ≥ 0, got {value!r}")
    if pollutant == "o3_8h" and value > 800:
        if o3_1h is None:
            raise ValueError("o3_8h above 800 µg/m³: HJ 633-2012 then uses the 1-hour O3 value, which is missing")
        return _interpolate(o3_1h, O3_1H)
    return _interpolate(value, BREAKPOINTS[pollutant])


def compute(concentrations: dict[str, float | None], *, o3_1h: float | None = None) -> AQI:
    """The AQI of the given concentrations (missing ones left out); raises ValueError when none is given."""
    values = {k: iaqi(k, v, o3_1h=o3_1h) for k, v in concentrations.items() if v is not None}
    if not values:
        raise ValueError("no concentration given")
    top = max(values.values())
    primary = tuple(k for k in POLLUTANTS if values.get(k) == top) if top > 50 else ()
    return AQI(top, primary, values)
