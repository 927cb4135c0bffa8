"""An inspector's day: the warnings open for inspection in their scope, and for one of them the
enterprises of its notice in their area in the order worth visiting — assigned to them first, then
by a score of what makes a visit urgent, then nearest when the phone gave a location, then by name.
One query for the page (and one to count it), never one per enterprise."""
from __future__ import annotations

from datetime import datetime
from math import cos, radians, sqrt

from sqlalchemy import and_, case, func, null, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from emergency.inspections.models import Assignment, Inspection, Result
from emergency.inspections.service import WINDOW, enterprise_in_scope, latest_notice, open_for_inspection
from emergency.notices.models import MeasureConfirmation
from emergency.warnings.documents import shown_status
from emergency.warnings.models import ActivatedEnterprise, Activation, Status, Warning
from emergency.warnings.queries import in_scope
from emergency.warnings.service import NotFound
from lists.models import Area, Contact, Enterprise, ListVersion, Measure
from lists.service import in_area

# Weights of the urgency score. Not confirming is the strongest sign; a visit already made in this
# warning weighs almost as much the other way (the next enterprise matters more than a second look).
UNCONFIRMED, LOW_GRADE, VIOLATED_BEFORE, NOT_VISITED = 4, 2, 2, 3
LOW_GRADES = ("C", "D")
KM_PER_DEGREE = 111.2


def open_warnings(session: Session, actor: Actor, now: datetime) -> list[Warning]:
    """Warnings an inspection may be recorded for: in force first, real before drills, newest first."""
    query = select(Warning).where(Warning.status.in_((Status.SCHEDULED, Status.ACTIVE, Status.LIFTED, Status.EXPIRED)),
                                  Warning.end_at >= now - WINDOW).order_by(Warning.id.desc())
    if (scope := in_scope(actor)) is not None:
        query = query.where(scope)
    found = [w for w in session.scalars(query) if open_for_inspection(w, now)]
    return sorted(found, key=lambda w: (shown_status(w, now) != Status.ACTIVE, w.drill))  # stable: newest first


def visit_list(session: Session, actor: Actor, warning: Warning, *, q: str | None = None, lat: float | None = None,
               lon: float | None = None, page: int = 1, per_page: int = 50) -> dict:
    """`{"total", "page", "per_page", "items"}`: the enterprises of the warning's notice in the
    actor's area, in visiting order. Each item: credit_code, name, town, grade, confirmed, visits
    (this warning), violated (ever), mine (assigned to the actor), km (None without a location)."""
    notice = latest_notice(session, warning)
    if notice is None:
        return {"total": 0, "page": page, "per_page": per_page, "items": []}
    state = ActivatedEnterprise
    visits = (select(Inspection.enterprise_id, func.count().label("n")).where(Inspection.warning_id == warning.id)
              .group_by(Inspection.enterprise_id).subquery())
    violated = (select(Inspection.enterprise_id).where(Inspection.result == Result.VIOLATION)
                .group_by(Inspection.enterprise_id).subquery())
    mine = Assignment.id.is_not(None)
    seen = func.coalesce(visits.c.n, 0)
    score = (case((state.confirmed_at.is_(None), UNCONFIRMED), else_=0)
             + case((ListVersion.grade.in_(LOW_GRADES), LOW_GRADE), else_=0)
             + case((violated.c.enterprise_id.is_not(None), VIOLATED_BEFORE), else_=0)
             + case((seen == 0, NOT_VISITED), else_=0))
    distance = _distance(lat, lon)
    query = (select(Enterprise.credit_code, Enterprise.name, Area.name.label("town"), ListVersion.grade,
                    state.confirmed_at, seen.label("visits"), violated.c.enterprise_id.is_not(None).label("violated"),
                    mine.label("mine"), (null() if distance is None else distance).label("d2"))
             .join(Enterprise, Enterprise.id == state.enterprise_id)
             .join(ListVersion, ListVersion.id == state.list_version_id)
             .join(Area, Area.id == Enterprise.town_id)
             .outerjoin(Assignment, and_(Assignment.warning_id == warning.id, Assignment.enterprise_id == Enterprise.id,
                                         Assignment.inspector_id == actor.user_id))
             .outerjoin(visits, visits.c.enterprise_id == Enterprise.id)
             .outerjoin(violated, violated.c.enterprise_id == Enterprise.id)
             .where(state.activation_id == notice.id))
    if actor.area_path is not None:
        query = query.where(in_area(actor.area_path))
    if q and q.strip():
        query = query.where(or_(Enterprise.name.contains(q.strip(), autoescape=True),
                                Enterprise.credit_code == q.strip().upper()))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    nearest = () if distance is None else (case((distance.is_(None), 1), else_=0), distance)
    rows = session.execute(query.order_by(case((mine, 0), else_=1), score.desc(), *nearest, Enterprise.name,
                                          Enterprise.id)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return {"total": total, "page": page, "per_page": per_page, "items": [_item(row) for row in rows]}


def _distance(lat: float | None, lon: float | None):
    """The squared distance in degrees of latitude (longitude shrunk by the cosine at the phone's
    latitude): plain arithmetic both databases order by; None without a location."""
    if lat is None or lon is None:
        return None
    shrink = cos(radians(lat))
    return ((Enterprise.lat - lat) * (Enterprise.lat - lat)
            + (Enterprise.lon - lon) * shrink * (Enterprise.lon - lon) * shrink)


def _item(row) -> dict:
    return {"credit_code": row.credit_code, "name": row.name, "town": row.town, "grade": row.grade,
            "confirmed": row.confirmed_at is not None, "visits": row.visits, "violated": bool(row.violated),
            "mine": bool(row.mine), "km": sqrt(row.d2) * KM_PER_DEGREE if row.d2 is not None else None}


def enterprise_visit(session: Session, actor: Actor, warning: Warning, credit_code: str) -> dict:
    """What the enterprise page shows: the enterprise, its town, its state in the notice in force
    (grade, confirmation), its contacts, its measures at the notice's level (pinned version) each
    with its confirmation. Raises NotFound outside the actor's area or the warning's notice."""
    enterprise = enterprise_in_scope(session, actor, credit_code)
    notice = latest_notice(session, warning)
    state = session.get(ActivatedEnterprise, (notice.id, enterprise.id)) if notice is not None else None
    if state is None:
        raise NotFound(f"企业 {enterprise.credit_code} 不在第 {warning.id} 号预警的减排清单内",
                       f"enterprise {enterprise.credit_code} is not in warning {warning.id}'s notice",
                       code="not_in_notice")
    contacts = session.scalars(select(Contact).where(Contact.enterprise_id == enterprise.id).order_by(Contact.position))
    return {"enterprise": enterprise, "notice": notice, "state": state,
            "town": session.scalar(select(Area.name).where(Area.id == enterprise.town_id)),
            "grade": session.scalar(select(ListVersion.grade).where(ListVersion.id == state.list_version_id)),
            "contacts": list(contacts), "measures": _measures(session, warning, notice, state)}


def _measures(session: Session, warning: Warning, notice, state: ActivatedEnterprise) -> list[dict]:
    """The pinned measures at the level, each with its latest confirmation in this warning (an
    enterprise a change left unchanged confirmed them under an earlier notice)."""
    measures = list(session.scalars(select(Measure).where(Measure.list_version_id == state.list_version_id,
                                                          Measure.level == notice.level).order_by(Measure.position)))
    confirmed: dict[int, MeasureConfirmation] = {}
    for c in session.scalars(select(MeasureConfirmation)
                             .join(Activation, Activation.id == MeasureConfirmation.activation_id)
                             .where(Activation.warning_id == warning.id,
                                    MeasureConfirmation.enterprise_id == state.enterprise_id,
                                    MeasureConfirmation.measure_id.in_([m.id for m in measures]))
                             .order_by(MeasureConfirmation.at)):
        confirmed[c.measure_id] = c
    return [{"measure": m, "confirmation": confirmed.get(m.id)} for m in measures]


def earlier(session: Session, enterprise_id: int, *, limit: int = 20) -> list[int]:
    """The ids of the enterprise's latest inspections, all warnings, newest first."""
    return list(session.scalars(select(Inspection.id).where(Inspection.enterprise_id == enterprise_id)
                                .order_by(Inspection.at.desc(), Inspection.id.desc()).limit(limit)))
