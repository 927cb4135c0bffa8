"""What changed between two versions of an enterprise's list.

Only the list is versioned (grade, guarantee, baseline, measures); name, town and industry live on
the enterprise itself and are always the latest imported. Measures carry no identity across
versions, so they are matched by level and target (the n-th measure of the same target at a level
matches the n-th): a matched pair that differs is "changed", the rest "added" or "removed"."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor, OutOfScope
from emergency.enterprises.service import MEASURE_COLUMNS
from emergency.warnings.service import Invalid
from lists.models import Enterprise, ListVersion, Measure
from lists.service import in_area

LIST_FIELDS = ("grade", "grade_scheme", "guarantee", "so2_base", "nox_base", "pm_base", "vocs_base")
MEASURE_FIELDS = tuple(c for c in MEASURE_COLUMNS if c not in ("position", "target"))


def compare(session: Session, actor: Actor, credit_code: str, old: int, new: int) -> dict:
    """{"old", "new", "fields": [{"field", "old", "new"}], "added", "removed", "changed"}: measures as
    dicts with their level, changed ones as {"old", "new", "fields"}. Raises OutOfScope for an
    enterprise the actor may not see, Invalid for a version it does not have."""
    enterprise_id = _enterprise_id(session, actor, credit_code)
    versions = {v.version: v for v in session.scalars(
        select(ListVersion).where(ListVersion.enterprise_id == enterprise_id, ListVersion.version.in_((old, new))))}
    for number, field in ((old, "from"), (new, "to")):
        if number not in versions:
            raise Invalid(f"该企业没有第 {number} 版清单", f"this enterprise has no list version {number}", field=field)
    before, after = versions[old], versions[new]
    fields = [{"field": f, "old": getattr(before, f), "new": getattr(after, f)}
              for f in LIST_FIELDS if getattr(before, f) != getattr(after, f)]
    return {"old": old, "new": new, "fields": fields, **_measures(_keyed(session, before.id), _keyed(session, after.id))}


def _enterprise_id(session: Session, actor: Actor, credit_code: str) -> int:
    query = select(Enterprise.id).where(Enterprise.credit_code == credit_code.strip().upper())
    if actor.area_path is not None:
        query = query.where(in_area(actor.area_path))
    found = session.scalar(query)
    if found is None:
        raise OutOfScope(f"没有统一社会信用代码为 {credit_code} 的企业", f"there is no enterprise {credit_code}")
    return found


def _keyed(session: Session, version_id: int) -> dict[tuple, dict]:
    """The version's measures by (level, target, n-th of that target at that level)."""
    seen: Counter = Counter()
    keyed = {}
    for m in session.scalars(select(Measure).where(Measure.list_version_id == version_id)
                             .order_by(Measure.level, Measure.position)):
        seen[m.level, m.target] += 1
        keyed[m.level, m.target, seen[m.level, m.target]] = {"level": m.level, **{c: getattr(m, c) for c in MEASURE_COLUMNS}}
    return keyed


def _measures(before: dict[tuple, dict], after: dict[tuple, dict]) -> dict[str, list]:
    changed = []
    for key in before.keys() & after.keys():
        differing = [f for f in MEASURE_FIELDS if before[key][f] != after[key][f]]
        if differing:
            changed.append({"old": before[key], "new": after[key], "fields": differing})
    return {"added": sorted((after[k] for k in after.keys() - before.keys()), key=_order),
            "removed": sorted((before[k] for k in before.keys() - after.keys()), key=_order),
            "changed": sorted(changed, key=lambda c: _order(c["new"]))}


def _order(measure: dict) -> tuple:
    return measure["level"], measure["position"], measure["target"]
