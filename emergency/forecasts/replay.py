"""Replaying real observations as a perfect forecast: Beijing 2013–2017 (../shared/data/beijing-prsa).

Hourly station data become daily city means (24-hour means; O3 the daily maximum 8-hour mean),
then an AQI per day (HJ 633-2012). For each day D, the forecast issued the day before covers D and
the following days up to the horizon; the rule set's recommendation on it is the level that
would have been in force on D. Consecutive days under a warning make an episode."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from config.rulesets import RuleSet
from emergency.forecasts import aqi
from emergency.forecasts.triggers import Day, evaluate

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "beijing-prsa"
COLUMNS = {"PM2.5": "pm25", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "CO": "co", "O3": "o3"}


def daily_means(directory: Path, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Daily city means of every station file in the directory, indexed by date (CO in mg/m³).

    Raises FileNotFoundError when the directory holds no PRSA_Data_*.csv file."""
    files = sorted(Path(directory).glob("PRSA_Data_*.csv"))
    if not files:
        raise FileNotFoundError(f"no PRSA_Data_*.csv file in {directory}")
    stations = []
    for path in files:
        hourly = pd.read_csv(path, usecols=["year", "month", "day", "hour", *COLUMNS]).rename(columns=COLUMNS)
        hourly.index = pd.to_datetime(hourly[["year", "month", "day", "hour"]])
        daily = hourly[["pm25", "pm10", "so2", "no2", "co"]].resample("D").mean()
        # O3: the largest 8-hour running mean of the day (at least 6 of the 8 hours present).
        daily["o3_8h"] = hourly["o3"].rolling(8, min_periods=6).mean().resample("D").max()
        stations.append(daily)
    city = pd.concat(stations).groupby(level=0).mean()
    city["co"] = city["co"] / 1000.0
    city.index = city.index.date
    keep = [(start is None or d >= start) and (end is None or d <= end) for d in city.index]
    return city[keep].round(1)


def with_aqi(city: pd.DataFrame) -> list[Day]:
    days = []
    for day, row in city.iterrows():
        values = {p: (None if pd.isna(row[p]) else float(row[p])) for p in aqi.POLLUTANTS}
        if all(v is None for v in values.values()):
            continue
        result = aqi.compute(values, o3_1h=values["o3_8h"])
        days.append(Day(day, result.aqi, result.primary))
    return days


@dataclass
class Episode:
    start: date
    end: date
    level: str
    rule: str
    peak_aqi: int
    levels: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": (self.end - self.start).days + 1,
                "level": self.level, "rule": self.rule, "peak_aqi": self.peak_aqi}


def replay(rules: RuleSet, days: list[Day], horizon: int) -> list[tuple[Day, str | None, str | None]]:
    """For each day: the highest level in force on it, from perfect forecasts of `horizon` days
    issued on each of the days before it (a day is under a level when it is in the run of days
    that met the level's trigger)."""
    by_date = {d.date: d for d in days}
    recommended = {}
    for start in by_date:
        window = [by_date[start + timedelta(days=i)] for i in range(horizon) if start + timedelta(days=i) in by_date]
        recommended[start] = evaluate(rules, window)
    result = []
    for day in days:
        best: tuple[str, str] | None = None
        for back in range(horizon):
            rec = recommended.get(day.date - timedelta(days=back))
            if rec and rec.level and day.date in rec.days and (best is None or rules.rank(rec.level) > rules.rank(best[0])):
                best = (rec.level, rec.rule)
        result.append((day, *(best or (None, None))))
    return result


def episodes(rules: RuleSet, daily: list[tuple[Day, str | None, str | None]]) -> list[Episode]:
    """Consecutive days under a warning, each with its highest level and the rule behind it."""
    found: list[Episode] = []
    for day, level, rule in daily:
        if level is None:
            continue
        last = found[-1] if found else None
        if last and last.end + timedelta(days=1) == day.date:
            last.end, last.peak_aqi = day.date, max(last.peak_aqi, day.aqi)
            if rules.rank(level) > rules.rank(last.level):
                last.level, last.rule = level, rule
        else:
            found.append(Episode(day.date, day.date, level, rule, day.aqi))
    return found
