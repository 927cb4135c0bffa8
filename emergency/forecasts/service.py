"""Questions asked of the stored forecasts: the latest one for an area, and the level it recommends."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rulesets import RuleSet
from emergency.forecasts.models import Forecast
from emergency.forecasts.triggers import Day, Recommendation, evaluate
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


def assess_area(session: Session, rules: RuleSet, area: Area) -> Assessment:
    """The level the latest forecast for the area recommends; raises NoForecast."""
    rows = latest(session, area.id)
    if not rows:
        raise NoForecast(f"no forecast stored for {area.name}: run `emergency forecast import FILE.csv` first")
    days = [Day(f.date, f.aqi, tuple(p for p in f.primary.split(",") if p)) for f in rows]
    issued = max(f.issued_at for f in rows)
    return Assessment(area.name, rows[0].import_id, issued.isoformat(), rows, evaluate(rules, days))


def assess(*, session: Session, rules: RuleSet, area: str | None = None) -> list[Assessment]:
    """One assessment per area that has a forecast, or for the named area only.

    Raises LookupError (NoForecast, or UnknownArea for an unknown area name)."""
    if area is not None:
        return [assess_area(session, rules, find_area(session, area))]
    areas = session.scalars(select(Area).where(Area.id.in_(select(Forecast.area_id).distinct())).order_by(Area.name))
    return [assess_area(session, rules, a) for a in areas]
