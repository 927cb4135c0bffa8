"""The emission reduction a notice achieved, pollutant by pollutant: the base of the area, the cut
its activated lists promise, the cut of the enterprises that confirmed every measure, less the cut
of the measures inspectors found violated, each as a ratio against the ratio its level requires.

`violated` is the cut of the measures of the notice (its level, the list versions it pinned) that
an inspection of the warning found not in place (a finding not ok) at an enterprise that confirmed:
each (enterprise, measure) once however many inspections found it, and nothing for an enterprise
that did not confirm (its cut was never counted). `achieved` = confirmed − violated.

Set-based: four aggregate queries per notice over the list versions the notice pinned (never the
current lists: an import during the warning changes nothing here), whatever the number of
enterprises."""
from __future__ import annotations

from sqlalchemy import and_, case, false, func, select
from sqlalchemy.orm import Session

from config import rulesets
from config.settings import POLLUTANTS, AppConfig
from emergency.inspections.models import Finding, Inspection, Result
from emergency.warnings.models import ActivatedEnterprise, Activation
from lists.models import Area, Enterprise, ListVersion, Measure
from lists.service import in_area


def reduction(session: Session, activation: Activation, *, rules: str, config: AppConfig, place: Area,
              scope: str | None) -> dict:
    """Per pollutant, for one notice: base, promised, confirmed, violated and achieved
    cuts (kg/day) with their ratios, the required ratio and whether the achieved cut reaches it.

    `place` names the area whose configured inventory and ratios apply; `scope` (an area path) keeps
    to the enterprises inside it."""
    ruleset = rulesets.load(rules)
    level = ruleset.level(activation.level)
    overrides = config.areas.get(place.name)
    required = overrides.required.get(level.key, level.required) if overrides else level.required
    inventory = overrides.inventory if overrides else {}
    count, confirmed_count, *bases = _bases(session, activation, scope)
    promised, confirmed = _cuts(session, activation, scope)
    violated = _violated(session, activation, scope)
    violating, deducted = _violating(session, activation, scope)
    pollutants = {}
    for i, p in enumerate(POLLUTANTS):
        base = inventory.get(p, bases[i])
        achieved = max(confirmed[i] - violated[i], 0.0)
        pollutants[p] = {"baseline": round(base, 3), "base": "inventory" if p in inventory else "lists",
                         "required": required, "promised": _part(promised[i], base),
                         "confirmed": _part(confirmed[i], base), "violated": _part(violated[i], base),
                         "achieved": _part(achieved, base)}
        pollutants[p]["ok"] = _reaches(achieved, base, required)
    if ruleset.trade_so2_nox:
        # Trading: SO2 and NOx together must reach twice the ratio (their ratios summed).
        together = sum(pollutants[p]["achieved"]["ratio"] or 0.0 for p in ("so2", "nox")) >= 2 * required - 1e-12
        pollutants["so2"]["ok"] = pollutants["nox"]["ok"] = together
    return {"level": level.key, "required": required, "traded": ruleset.trade_so2_nox,
            "enterprises": count, "confirmed_enterprises": confirmed_count,
            "violating_enterprises": violating, "deducted_enterprises": deducted, "pollutants": pollutants}


def _part(cut: float, base: float) -> dict:
    return {"cut": round(cut, 3), "ratio": round(cut / base, 6) if base > 0 else None}


def _reaches(cut: float, base: float, required: float) -> bool:
    return base <= 0 or cut / base >= required - 1e-12


def _scoped(query, scope: str | None):
    if scope is None:
        return query
    return query.join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id).where(in_area(scope))


def _bases(session: Session, activation: Activation, scope: str | None) -> list[float]:
    """Enterprises, those confirmed, and the sum of their pinned baselines per pollutant."""
    query = (select(func.count(), func.count(ActivatedEnterprise.confirmed_at),
                    *(func.coalesce(func.sum(getattr(ListVersion, f"{p}_base")), 0.0) for p in POLLUTANTS))
             .select_from(ActivatedEnterprise)
             .join(ListVersion, ListVersion.id == ActivatedEnterprise.list_version_id)
             .where(ActivatedEnterprise.activation_id == activation.id))
    count, confirmed, *bases = session.execute(_scoped(query, scope)).one()
    return [count, confirmed, *(float(b) for b in bases)]


def _cuts(session: Session, activation: Activation, scope: str | None) -> tuple[list, list]:
    """The cuts of the measures at the notice's level: of all its enterprises, and of the confirmed."""
    cut = lambda p: getattr(Measure, f"{p}_cut")  # noqa: E731
    query = (select(*(func.coalesce(func.sum(cut(p)), 0.0) for p in POLLUTANTS),
                    *(func.coalesce(func.sum(case((ActivatedEnterprise.confirmed_at.is_not(None), cut(p)), else_=0.0)), 0.0) for p in POLLUTANTS))
             .select_from(ActivatedEnterprise)
             .join(Measure, and_(Measure.list_version_id == ActivatedEnterprise.list_version_id,
                                 Measure.level == activation.level))
             .where(ActivatedEnterprise.activation_id == activation.id))
    row = [float(v) for v in session.execute(_scoped(query, scope)).one()]
    return row[:len(POLLUTANTS)], row[len(POLLUTANTS):]


def _violating(session: Session, activation: Activation, scope: str | None) -> tuple[int, int]:
    """The notice's enterprises an inspection of the warning found in violation, and how many of
    them had confirmed (those whose cut a violated measure reduces)."""
    found = (select(Inspection.enterprise_id).where(Inspection.warning_id == activation.warning_id,
                                                    Inspection.result == Result.VIOLATION).distinct().subquery())
    query = (select(func.count(), func.count(ActivatedEnterprise.confirmed_at)).select_from(ActivatedEnterprise)
             .join(found, found.c.enterprise_id == ActivatedEnterprise.enterprise_id)
             .where(ActivatedEnterprise.activation_id == activation.id))
    return tuple(session.execute(_scoped(query, scope)).one())


def _violated(session: Session, activation: Activation, scope: str | None) -> list[float]:
    """The cut of the notice's measures found not in place at enterprises that confirmed (see the
    module's docstring), from the distinct (enterprise, measure) pairs of the warning's findings."""
    found = (select(Inspection.enterprise_id, Finding.measure_id).join(Finding, Finding.inspection_id == Inspection.id)
             .where(Inspection.warning_id == activation.warning_id, Finding.ok == false()).distinct().subquery())
    query = (select(*(func.coalesce(func.sum(getattr(Measure, f"{p}_cut")), 0.0) for p in POLLUTANTS))
             .select_from(ActivatedEnterprise)
             .join(found, found.c.enterprise_id == ActivatedEnterprise.enterprise_id)
             .join(Measure, and_(Measure.id == found.c.measure_id,
                                 Measure.list_version_id == ActivatedEnterprise.list_version_id,
                                 Measure.level == activation.level))
             .where(ActivatedEnterprise.activation_id == activation.id, ActivatedEnterprise.confirmed_at.is_not(None)))
    return [float(v) for v in session.execute(_scoped(query, scope)).one()]
