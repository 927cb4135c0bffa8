"""Questions asked of the stored forecasts: the latest one for an area, and the level it recommends."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.rulesets import RuleSet, Trigger
from emergency.forecasts.models import Forecast, ForecastImport
from emergency.forecasts.triggers import Day, Recommendation, evaluate, trigger_run
from lists.models import Area
from lists.service import find_area


class NoForecast(LookupError):
    """No forecast is stored for the area."""


@dataclass
class Assessment:
    area: str
    import_id: int
    issued_at: str
    forecasts: list[Forecast]
    recommendation: Recommendation

    @property
    def level(self) -> str | None:
        return self.recommendation.level

    def to_json(self) -> dict:
        days = [{"date": f.date.isoformat(), "aqi": f.aqi, "primary": [p for p in f.primary.split(",") if p],
                 "forecast_id": f.id} for f in self.forecasts]
        return {"area": self.area, "level": self.level, "days": days, "rule": self.recommendation.rule,
                "issued_at": self.issued_at, "forecast_import": self.import_id, **self.recommendation.to_json()}


def latest(session: Session, area_id: int) -> list[Forecast]:
    """The rows of the forecast issued last for the area (ties: the one imported last), by date."""
    newest = session.execute(select(Forecast.import_id).where(Forecast.area_id == area_id)
                             .order_by(Forecast.issued_at.desc(), Forecast.import_id.desc()).limit(1)).scalar()
    if newest is None:
        return []
    return list(session.scalars(select(Forecast).where(Forecast.area_id == area_id, Forecast.import_id == newest)
                                .order_by(Forecast.date)))


def days_of(rows: list[Forecast]) -> list[Day]:
    return [Day(f.date, f.aqi, tuple(p for p in f.primary.split(",") if p)) for f in rows]


def assess_area(session: Session, rules: RuleSet, area: Area) -> Assessment:
    """The level the latest forecast for the area recommends; raises NoForecast."""
    rows = latest(session, area.id)
    if not rows:
        raise NoForecast(f"no forecast stored for {area.name}: run `emergency forecast import FILE.csv` first")
    issued = max(f.issued_at for f in rows)
    return Assessment(area.name, rows[0].import_id, issued.isoformat(), rows, evaluate(rules, days_of(rows)))


def forecast_areas(session: Session) -> list[Area]:
    """The areas that have a forecast, by name."""
    return list(session.scalars(select(Area).where(Area.id.in_(select(Forecast.area_id).distinct()))
                                .order_by(Area.name)))


def assess(*, session: Session, rules: RuleSet, area: str | None = None) -> list[Assessment]:
    """One assessment per area that has a forecast, or for the named area only.

    Raises LookupError (NoForecast, or UnknownArea for an unknown area name)."""
    if area is not None:
        return [assess_area(session, rules, find_area(session, area))]
    return [assess_area(session, rules, a) for a in forecast_areas(session)]


def assess_for(*, session: Session, rules: RuleSet, actor: Actor) -> list[Assessment]:
    """One assessment per area with a forecast that concerns the actor: their area, inside it, or
    containing it (a town's user sees the district's forecast), as a warning there would."""
    return [assess_area(session, rules, a) for a in forecast_areas(session) if actor.sees_warning(a.path)]


def fired_trigger(rules: RuleSet, assessment: Assessment) -> Trigger | None:
    """The alternative of the recommended level that held: the recommendation names it in English
    words only, and the console words it in the reader's language."""
    if assessment.level is None:
        return None
    days = days_of(assessment.forecasts)
    return next((t for t in rules.level(assessment.level).triggers if trigger_run(rules, t, days) is not None), None)


# HJ 633-2012, table 2: the upper AQI of each category; above the last, "severe".
CATEGORIES = ((50, "excellent"), (100, "good"), (150, "light"), (200, "moderate"), (300, "heavy"))


def category(value: int) -> str:
    """The AQI category's key (excellent … severe)."""
    return next((key for top, key in CATEGORIES if value <= top), "severe")


def area_names(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(ids))).all()) if ids else {}


def import_by(session: Session, import_id: int, username: str) -> ForecastImport | None:
    """The forecast import of that id if this user made it (for telling them it was stored)."""
    batch = session.get(ForecastImport, import_id)
    return batch if batch is not None and batch.actor == username else None


def trigger_named(rules: RuleSet, level: str | None, rule: str | None) -> Trigger | None:
    """The trigger a stored recommendation names (its `rule` ends with the trigger's words), so that
    a page can word it in the reader's language; None when the rule set has changed since."""
    if not level or not rule or level not in rules.keys:
        return None
    return next((t for t in rules.level(level).triggers if rule.endswith(t.text)), None)
