"""Whether a validated workbook stays within the importing user's area: a district's duty officer
imports that district's lists, a town's only that town's. Errors are located like the workbook's."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from areas.models import Area, AreaKind
from lists import workbook
from lists.issues import Issue
from lists.models import Enterprise
from lists.plan import Plan
from lists.service import in_area


def checker(actor: Actor):
    """A check for lists.importer (None for a city-level user, who may import anything)."""
    if actor.area_path is None:
        return None
    return lambda session, plan: outside(session, actor, plan)


def outside(session: Session, actor: Actor, plan: Plan) -> list[Issue]:
    own = session.get(Area, actor.area_id)
    inside = session.execute(select(Area.name, Area.kind).where(Area.path.startswith(actor.area_path))).all()
    if own.kind == AreaKind.TOWN:
        district = session.scalar(select(Area.name).where(Area.id == own.parent_id))
        allowed = lambda d, t: d == district and t == own.name  # noqa: E731
    else:
        districts = {name for name, kind in inside if kind == AreaKind.DISTRICT}
        allowed = lambda d, t: d in districts  # noqa: E731
    where = f"{own.name}"
    issues = [Issue.error(workbook.ENTERPRISES.name, e.row, workbook.ENTERPRISES.column("town").header,
                          f"{e.district}{e.town} 不在您的辖区（{where}）内", f"{e.district} {e.town} is outside your area ({where})")
              for e in plan.enterprises.values() if not allowed(e.district, e.town)]
    for unit in plan.units.values():
        if own.kind == AreaKind.TOWN or not allowed(unit.district, ""):
            issues.append(Issue.error(workbook.UNITS.name, unit.row, workbook.UNITS.column("district").header,
                                      f"单位 {unit.name} 不在您的辖区（{where}）内，请由上级导入",
                                      f"unit {unit.name} is outside your area ({where}): ask a higher level to import it"))
    stored_only = [c for c in {*plan.lists, *plan.contacts} if c not in plan.enterprises]
    if stored_only:
        foreign = session.scalars(select(Enterprise.credit_code).where(Enterprise.credit_code.in_(stored_only),
                                                                        ~in_area(actor.area_path))).all()
        issues += [Issue.error(workbook.ENTERPRISES.name, 0, workbook.ENTERPRISES.column("credit_code").header,
                               f"企业 {code} 不在您的辖区（{where}）内", f"enterprise {code} is outside your area ({where})")
                   for code in foreign]
    return issues
