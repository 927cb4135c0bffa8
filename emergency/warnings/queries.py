"""Reading warnings within a user's scope: the list, one warning, its timeline, its enterprises.

Read-only: nothing here writes (statuses are derived from the clock, see documents.shown_status)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Action, Actor
from alerts.models import Delivery
from areas.models import Area
from config.events import Event
from emergency.dashboard.service import tallies
from emergency.notices import units
from emergency.notices.models import MeasureConfirmation
from emergency.warnings.models import OPEN, ActivatedEnterprise, Activation, Kind, Recipient, Request, RequestStatus, Warning
from emergency.warnings.service import Invalid, NotFound
from lists.models import Contact, Enterprise, ListVersion, Measure
from lists.service import in_area

STATUS_FILTERS = ("unconfirmed", "unacknowledged", "confirmed")


def in_scope(actor: Actor):
    """A clause on Warning: warnings for the actor's area, inside it, or for an area that contains it."""
    if actor.area_path is None:
        return None
    lineage = [int(i) for i in actor.area_path.strip("/").split("/") if i]
    inside = select(Area.id).where(Area.path.startswith(actor.area_path))
    return or_(Warning.area_id.in_(inside), Warning.area_id.in_(lineage))


def listing(session: Session, actor: Actor, *, everything: bool) -> list[Warning]:
    query = select(Warning).order_by(Warning.id.desc())
    if not everything:
        query = query.where(Warning.status.in_(OPEN))
    if (scope := in_scope(actor)) is not None:
        query = query.where(scope)
    return list(session.scalars(query))


def one(session: Session, warning_id: int, actor: Actor) -> Warning:
    """The warning; NotFound when there is none or it lies outside the actor's scope."""
    query = select(Warning).where(Warning.id == warning_id)
    if (scope := in_scope(actor)) is not None:
        query = query.where(scope)
    warning = session.scalars(query).first()
    if warning is None:
        raise NotFound(f"没有编号为 {warning_id} 的预警", f"there is no warning {warning_id}", code="not_found")
    return warning


def events(session: Session, warning: Warning, zone: ZoneInfo) -> list[dict]:
    """The warning's timeline from the event log, oldest first."""
    rows = session.scalars(select(Event).where(Event.subject_type == "warning", Event.subject_id == warning.id)
                           .order_by(Event.at, Event.id))
    return [{"at": e.at.astimezone(zone).isoformat(), "kind": e.kind, "actor": e.actor, "actor_id": e.actor_id,
             "detail": e.detail} for e in rows]


def enterprises(session: Session, warning: Warning, actor: Actor, zone: ZoneInfo, *, status: str | None = None,
                town: str | None = None, industry: str | None = None, grade: str | None = None, q: str | None = None,
                page: int = 1, per_page: int = 50) -> dict:
    """The enterprises of the warning's latest notice (within the actor's area) with receipt,
    confirmation, measures confirmed, contacts, deliveries, and the warning's inspections of each
    and how many found a violation; filtered and paged. One query per part of the page, never one
    per enterprise."""
    latest = session.scalar(select(func.max(Activation.id)).where(Activation.warning_id == warning.id))
    if latest is None:
        return {"total": 0, "page": page, "per_page": per_page, "items": []}
    state = ActivatedEnterprise
    town_area = Area
    base = (select(state, Enterprise, ListVersion.grade, town_area.name.label("town"))
            .join(Enterprise, Enterprise.id == state.enterprise_id)
            .join(ListVersion, ListVersion.id == state.list_version_id)
            .join(town_area, town_area.id == Enterprise.town_id)
            .where(state.activation_id == latest))
    if actor.area_path is not None:
        base = base.where(in_area(actor.area_path))
    if status == "unconfirmed":
        base = base.where(state.confirmed_at.is_(None))
    elif status == "unacknowledged":
        base = base.where(state.acknowledged_at.is_(None))
    elif status == "confirmed":
        base = base.where(state.confirmed_at.is_not(None))
    for column, value in ((town_area.name, town), (Enterprise.industry, industry), (ListVersion.grade, grade)):
        if value:
            base = base.where(column == value)
    if q:
        base = base.where(or_(Enterprise.name.contains(q, autoescape=True), Enterprise.credit_code == q.upper()))
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.execute(base.order_by(Enterprise.id).offset((page - 1) * per_page).limit(per_page)).all()
    ids = [e.id for _, e, _, _ in rows]
    level = session.scalar(select(Activation.level).where(Activation.id == latest))
    return {"total": total, "page": page, "per_page": per_page,
            "items": _items(session, rows, ids, latest, level, warning, zone)}


def _items(session: Session, rows, ids: list[int], activation_id: int, level: str, warning: Warning,
           zone: ZoneInfo) -> list[dict]:
    from emergency.inspections.queries import per_enterprise  # it imports this module

    versions = [s.list_version_id for s, *_ in rows]
    measures = dict(session.execute(select(Measure.list_version_id, func.count()).where(
        Measure.list_version_id.in_(versions), Measure.level == level).group_by(Measure.list_version_id)).all())
    confirmed = dict(session.execute(select(MeasureConfirmation.enterprise_id,
                                            func.count(func.distinct(MeasureConfirmation.measure_id))).where(
        MeasureConfirmation.activation_id == activation_id, MeasureConfirmation.enterprise_id.in_(ids))
        .group_by(MeasureConfirmation.enterprise_id)).all())
    contacts: dict[int, list] = {}
    for enterprise_id, name, mobile in session.execute(select(Contact.enterprise_id, Contact.name, Contact.mobile)
                                                       .where(Contact.enterprise_id.in_(ids)).order_by(Contact.position)):
        contacts.setdefault(enterprise_id, []).append({"name": name, "mobile": mobile})
    deliveries: dict[int, dict] = {}
    for enterprise_id, status, count in session.execute(
            select(Recipient.enterprise_id, Delivery.status, func.count())
            .join(Delivery, Delivery.recipient_id == Recipient.id)
            .join(Activation, Activation.id == Recipient.activation_id)
            .where(Activation.warning_id == warning.id, Recipient.enterprise_id.in_(ids))
            .group_by(Recipient.enterprise_id, Delivery.status)):
        deliveries.setdefault(enterprise_id, {})[status] = count
    inspected = per_enterprise(session, warning.id, ids) if ids else {}
    unvisited = {"visits": 0, "violations": 0}
    when = lambda t: t.astimezone(zone).isoformat() if t else None  # noqa: E731
    return [{"credit_code": e.credit_code, "name": e.name, "town": town, "industry": e.industry, "grade": grade,
             "self_chosen": s.self_chosen, "acknowledged_at": when(s.acknowledged_at), "confirmed_at": when(s.confirmed_at),
             "measures_confirmed": confirmed.get(e.id, 0), "measures": measures.get(s.list_version_id, 0),
             "contacts": contacts.get(e.id, []), "deliveries": deliveries.get(e.id, {}),
             "inspections": inspected.get(e.id, unvisited)["visits"],
             "violations": inspected.get(e.id, unvisited)["violations"]}
            for s, e, grade, town in rows]


def at_time(value: datetime, zone: ZoneInfo, field: str) -> datetime:
    """A request's time: without an offset it is read in the configured zone. Raises Invalid for a
    time no warning can have (before 2000 or after 2200: a typo, and beyond what the calendar converts)."""
    if not 2000 <= value.year <= 2200:
        raise Invalid(f"{field} 时间不合理：{value.isoformat()}", f"{field} {value.isoformat()} is not a plausible time",
                      code="implausible_time", field=field)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def progress_by_warning(session: Session, warning_ids: list[int]) -> dict[int, dict]:
    """For each warning, its latest notice that asked for measures (a lift asks for receipt only: the
    board counts the same notice): its enterprises — how many, reached (a message delivered or a
    receipt), acknowledged, confirmed —, its units (how many acknowledged and confirmed their duties);
    and the warning's failed deliveries. One query per figure, all warnings at once."""
    if not warning_ids:
        return {}
    latest = dict(session.execute(select(Activation.warning_id, func.max(Activation.id))
                                  .where(Activation.warning_id.in_(warning_ids), Activation.kind != Kind.LIFT)
                                  .group_by(Activation.warning_id)).all())
    found = {w: {"activation": latest.get(w), "enterprises": 0, "reached": 0, "acknowledged": 0, "confirmed": 0,
                 "failed": 0, "recipients": 0, "units": 0, "units_acknowledged": 0, "units_confirmed": 0}
             for w in warning_ids}
    by_activation = {a: w for w, a in latest.items()}
    if not by_activation:
        return found
    state = ActivatedEnterprise
    for activation_id, total, _, reached, acknowledged, confirmed, *_ in session.execute(
            tallies(state.activation_id, activations=list(by_activation))):
        found[by_activation[activation_id]] |= {"enterprises": total, "acknowledged": acknowledged,
                                                "confirmed": confirmed, "reached": reached}
    for warning_id, failed in session.execute(
            select(Activation.warning_id, func.count()).join(Recipient, Recipient.activation_id == Activation.id)
            .join(Delivery, Delivery.recipient_id == Recipient.id)
            .where(Activation.warning_id.in_(warning_ids), Delivery.status == "failed").group_by(Activation.warning_id)):
        found[warning_id]["failed"] = failed
    for activation_id, recipients in session.execute(select(Activation.id, Activation.recipients)
                                                     .where(Activation.id.in_(by_activation))):
        found[by_activation[activation_id]]["recipients"] = recipients
    for activation_id, figures in units.counts(session, list(by_activation)).items():
        found[by_activation[activation_id]] |= {f"units_{k}" if k != "units" else k: v for k, v in figures.items()}
    return found


def awaiting(session: Session, actor: Actor) -> list[tuple[Warning, Request]]:
    """Pending requests in the actor's scope, oldest first: for a commander those to sign off (never
    their own), for anyone else their own requests waiting for a commander."""
    query = (select(Warning, Request).join(Request, Request.warning_id == Warning.id)
             .where(Request.status == RequestStatus.PENDING).order_by(Request.requested_at))
    if (scope := in_scope(actor)) is not None:
        query = query.where(scope)
    mine = Request.requested_by_id == actor.user_id if actor.user_id is not None else Request.requested_by == actor.username
    query = query.where(~mine) if actor.may(Action.APPROVE) else query.where(mine)
    return [tuple(row) for row in session.execute(query)]


def timeline(session: Session, warning: Warning, kinds: tuple[str, ...], *, limit: int) -> list:
    """The warning's events of these kinds, oldest first (at most `limit`, the latest ones)."""
    rows = session.scalars(select(Event).where(Event.subject_type == "warning", Event.subject_id == warning.id,
                                               Event.kind.in_(kinds)).order_by(Event.at.desc(), Event.id.desc())
                           .limit(limit)).all()
    return rows[::-1]


def change_effect(session: Session, warning: Warning, level: str, end: datetime) -> dict:
    """What a change to `level` (and `end`) would ask anew: the enterprises of the latest notice whose
    measures differ between the two levels (all of them when the end moves), of how many."""
    from emergency.warnings.activation import _differs as differs

    latest = session.scalars(select(Activation).where(Activation.warning_id == warning.id)
                             .order_by(Activation.id.desc()).limit(1)).first()
    if latest is None:
        return {"enterprises": 0, "changed": 0, "from": warning.level, "to": level}
    state = ActivatedEnterprise
    query = select(func.count()).where(state.activation_id == latest.id)
    total = session.scalar(query)
    if end != latest.ends_at:
        changed = total
    else:
        changed = session.scalar(query.where(or_(differs(state.list_version_id, latest.level, level),
                                                 differs(state.list_version_id, level, latest.level))))
    return {"enterprises": total, "changed": changed, "from": latest.level, "to": level}
