"""Questions asked of the stored lists: what they cut at a level, and whether it is enough."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.rulesets import RuleSet
from config.settings import POLLUTANTS, AppConfig
from areas import service as areas
from areas.service import AmbiguousArea, UnknownArea  # noqa: F401  (callers catch them from here)
from lists.models import Area, AreaKind, Enterprise, ListVersion, Measure


@dataclass
class PollutantCheck:
    baseline: float  # the base the ratio is taken against (kg/day)
    base: str  # "lists": sum of the listed enterprises' baselines; "inventory": the configured total
    cut: float
    ratio: float | None  # None when the base is zero: nothing to cut
    required: float
    ok: bool


@dataclass
class Adequacy:
    level: str
    area: str | None
    rules: str
    enterprises: int
    traded: bool  # SO2 and NOx judged together, as the rule set allows
    pollutants: dict[str, PollutantCheck]

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.pollutants.values())

    def to_json(self) -> dict:
        return {"level": self.level, "area": self.area, "rules": self.rules, "enterprises": self.enterprises,
                "traded": self.traded, "ok": self.ok,
                "pollutants": {k: asdict(v) for k, v in self.pollutants.items()}}


def find_area(session: Session, name: str) -> Area:
    """The area of that name, code or name path; raises UnknownArea or AmbiguousArea (both LookupError)."""
    return areas.find(session, name)


def area_filter(session: Session, area: str | Area | None):
    """A WHERE clause on enterprises for the area (and everything inside it); raises LookupError.

    A town or district compares the enterprise's own column (as fast as before the tree had depth:
    an IN over the subtree made PostgreSQL and SQLite fetch 100,000 rows by index, see BENCHMARKS.md);
    a city or province lists its districts."""
    if area is None:
        return None
    place = area if isinstance(area, Area) else find_area(session, area)
    if place.kind == AreaKind.TOWN:
        return Enterprise.town_id == place.id
    if place.kind == AreaKind.DISTRICT:
        return Enterprise.district_id == place.id
    districts = session.scalars(select(Area.id).where(Area.path.startswith(place.path), Area.kind == AreaKind.DISTRICT))
    return Enterprise.district_id.in_(list(districts))


def in_area(path: str):
    """Enterprises whose town/street lies in the area of that path (every enterprise has a town)."""
    return Enterprise.town_id.in_(areas.subtree(path=path))


def adequacy(*, session: Session, rules: RuleSet, config: AppConfig, level: str, area: str | Area | None = None) -> Adequacy:
    """Per pollutant, the cut the current lists bring at the level against the required ratio.

    Raises KeyError for a level the rule set does not have, UnknownArea for an unknown area."""
    lvl = rules.level(level)
    place = area if isinstance(area, Area) or area is None else find_area(session, area)
    area = place.name if place is not None else None
    where = area_filter(session, place)
    bases = select(func.count(), *(func.coalesce(func.sum(getattr(ListVersion, f"{p}_base")), 0.0) for p in POLLUTANTS)
                   ).select_from(Enterprise).join(ListVersion, ListVersion.id == Enterprise.current_version_id)
    cuts = select(*(func.coalesce(func.sum(getattr(Measure, f"{p}_cut")), 0.0) for p in POLLUTANTS)
                  ).select_from(Enterprise).join(Measure, Measure.list_version_id == Enterprise.current_version_id
                  ).where(Measure.level == lvl.key)
    if where is not None:
        bases, cuts = bases.where(where), cuts.where(where)
    count, *baseline = session.execute(bases).one()
    cut = session.execute(cuts).one()
    overrides = config.areas.get(area) if area else None
    required = overrides.required.get(lvl.key, lvl.required) if overrides else lvl.required
    inventory = overrides.inventory if overrides else {}
    checks, ratios = {}, {}
    for i, p in enumerate(POLLUTANTS):
        base = inventory.get(p, float(baseline[i]))
        ratios[p] = ratio = float(cut[i]) / base if base > 0 else None
        # kg/day to the gram; the verdict is taken on the unrounded figures.
        checks[p] = PollutantCheck(round(base, 3), "inventory" if p in inventory else "lists", round(float(cut[i]), 3),
                                   None if ratio is None else round(ratio, 6), required,
                                   ok=ratio is None or ratio >= required - 1e-12)
    if rules.trade_so2_nox:
        # Trading: SO2 and NOx together must reach twice the ratio (their ratios summed).
        together = sum(ratios[p] or 0.0 for p in ("so2", "nox")) >= 2 * required - 1e-12
        checks["so2"].ok = checks["nox"].ok = together
    return Adequacy(lvl.key, area, rules.name, count, rules.trade_so2_nox, checks)
