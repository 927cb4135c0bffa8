"""Who is to visit what during a warning, and what has been visited: per town of the notice in
force (enterprises, assigned, visited, violations, to visit), per enterprise (its assignment and
visits, for the office choosing whom to send where) and per inspector. Within the user's area;
one query per part, never one per enterprise."""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from accounts.models import Role, User
from accounts.permissions import Actor
from emergency.inspections.models import Assignment, Inspection, Result
from emergency.inspections.service import latest_notice
from emergency.warnings.models import ActivatedEnterprise, Warning
from lists.models import GRADES, Area, Enterprise, ListVersion
from lists.service import in_area

STATES = ("unconfirmed", "confirmed")
ASSIGNED = ("unassigned", "assigned")


def _visits(warning: Warning):
    """Per enterprise: its visits and violation visits in this warning."""
    return (select(Inspection.enterprise_id, func.count().label("visits"),
                   func.count().filter(Inspection.result == Result.VIOLATION).label("violations"),
                   func.max(Inspection.at).label("last_at"))
            .where(Inspection.warning_id == warning.id).group_by(Inspection.enterprise_id).subquery())


def _notice_enterprises(session: Session, warning: Warning, actor: Actor, visits, *columns):
    """SELECT columns over the enterprises of the notice in force in the actor's area, with their
    town (Area), pinned version (ListVersion), assignment and `visits` (see _visits) joined; None
    when the warning has no notice yet."""
    notice = latest_notice(session, warning)
    if notice is None:
        return None
    query = (select(*columns).select_from(ActivatedEnterprise)
             .join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id)
             .join(ListVersion, ListVersion.id == ActivatedEnterprise.list_version_id)
             .join(Area, Area.id == Enterprise.town_id)
             .outerjoin(Assignment, and_(Assignment.warning_id == warning.id, Assignment.enterprise_id == Enterprise.id))
             .outerjoin(visits, visits.c.enterprise_id == Enterprise.id)
             .where(ActivatedEnterprise.activation_id == notice.id))
    if actor.area_path is not None:
        query = query.where(in_area(actor.area_path))
    return query


def by_town(session: Session, warning: Warning, actor: Actor) -> dict:
    """`{"towns": [{town, enterprises, assigned, visited, visits, violations, to_visit, share}], "total": {…}}`."""
    v = _visits(warning)
    query = _notice_enterprises(session, warning, actor, v, Area.name, func.count(), func.count(Assignment.id),
                                func.count(v.c.enterprise_id), func.coalesce(func.sum(v.c.visits), 0),
                                func.coalesce(func.sum(v.c.violations), 0),
                                func.count(v.c.enterprise_id).filter(v.c.violations > 0))
    rows = [] if query is None else session.execute(query.group_by(Area.id, Area.name).order_by(Area.name)).all()
    towns = [_figures(town=name, enterprises=n, assigned=a, visited=v, visits=int(visits), violations=int(bad),
                      violators=violators) for name, n, a, v, visits, bad, violators in rows]
    total = _figures(town=None, **{k: sum(t[k] for t in towns) for k in
                                   ("enterprises", "assigned", "visited", "visits", "violations", "violators")})
    return {"towns": towns, "total": total}


def _figures(**figures) -> dict:
    figures["to_visit"] = figures["enterprises"] - figures["visited"]
    figures["share"] = figures["visited"] / figures["enterprises"] if figures["enterprises"] else None
    return figures


def enterprises(session: Session, warning: Warning, actor: Actor, *, town: str | None = None, grade: str | None = None,
                state: str | None = None, assigned: str | None = None, q: str | None = None, page: int = 1,
                per_page: int = 100) -> dict:
    """The notice's enterprises with their assignment and visits, filtered and paged:
    `{"total", "page", "per_page", "items": [{credit_code, name, town, grade, confirmed, inspector,
    inspector_name, assigned_by, assigned_at, visits, violations, last_at}]}`."""
    assignee, v = aliased(User), _visits(warning)
    query = _notice_enterprises(
        session, warning, actor, v, Enterprise.credit_code, Enterprise.name, Area.name.label("town"), ListVersion.grade,
        ActivatedEnterprise.confirmed_at, assignee.username, assignee.display_name, Assignment.assigned_by,
        Assignment.assigned_at, func.coalesce(v.c.visits, 0), func.coalesce(v.c.violations, 0), v.c.last_at)
    if query is None:
        return {"total": 0, "page": page, "per_page": per_page, "items": []}
    query = query.outerjoin(assignee, assignee.id == Assignment.inspector_id)
    for column, value in ((Area.name, town), (ListVersion.grade, grade)):
        if value:
            query = query.where(column == value)
    if state == "unconfirmed":
        query = query.where(ActivatedEnterprise.confirmed_at.is_(None))
    elif state == "confirmed":
        query = query.where(ActivatedEnterprise.confirmed_at.is_not(None))
    if assigned == "unassigned":
        query = query.where(Assignment.id.is_(None))
    elif assigned == "assigned":
        query = query.where(Assignment.id.is_not(None))
    if q:
        query = query.where(Enterprise.name.contains(q, autoescape=True) | (Enterprise.credit_code == q.strip().upper()))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Area.name, Enterprise.name, Enterprise.id)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    keys = ("credit_code", "name", "town", "grade", "confirmed_at", "inspector", "inspector_name", "assigned_by",
            "assigned_at", "visits", "violations", "last_at")
    return {"total": total, "page": page, "per_page": per_page, "items": [dict(zip(keys, row)) for row in rows]}


def choices(session: Session, warning: Warning, actor: Actor) -> dict[str, list[str]]:
    """The towns and grades of the notice's enterprises in the actor's area (the filters' options)."""
    query = _notice_enterprises(session, warning, actor, _visits(warning), Area.name, ListVersion.grade)
    if query is None:
        return {"towns": [], "grades": []}
    rows = session.execute(query.distinct()).all()
    grades = {g for _, g in rows if g}
    return {"towns": sorted({t for t, _ in rows}),
            "grades": sorted(grades, key=lambda g: GRADES.index(g) if g in GRADES else len(GRADES))}


def inspectors(session: Session, warning: Warning, actor: Actor) -> list[dict]:
    """The active inspectors the office may send (their area lies in the user's, or holds it), with
    their area and how many of the notice's enterprises they are assigned and have visited:
    `[{username, name, area, assigned, visited}]`."""
    found = session.execute(select(User.id, User.username, User.display_name, Area.name, Area.path)
                            .outerjoin(Area, Area.id == User.area_id)
                            .where(User.role == Role.INSPECTOR, User.active).order_by(Area.name, User.username)).all()
    mine = [row for row in found if row.path is None or actor.covers(row.path) or (actor.area_path or "").startswith(row.path)]
    v = _visits(warning)
    query = _notice_enterprises(session, warning, actor, v, Assignment.inspector_id, func.count(),
                                func.count(v.c.enterprise_id))
    counts = {} if query is None else {i: (n, v) for i, n, v in session.execute(
        query.where(Assignment.id.is_not(None)).group_by(Assignment.inspector_id))}
    return [{"username": row.username, "name": row.display_name, "area": row.name,
             "assigned": counts.get(row.id, (0, 0))[0], "visited": counts.get(row.id, (0, 0))[1]} for row in mine]


def inspectors_seen(session: Session, warning: Warning, actor: Actor) -> list[str]:
    """The inspectors who recorded visits in this warning in the user's area (the review's filter)."""
    query = (select(Inspection.inspector).join(Enterprise, Enterprise.id == Inspection.enterprise_id)
             .where(Inspection.warning_id == warning.id))
    if actor.area_path is not None:
        query = query.where(in_area(actor.area_path))
    return list(session.scalars(query.distinct().order_by(Inspection.inspector)))
