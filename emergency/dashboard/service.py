"""The command center's figures for one warning: the summary of the spec (counts overall and by
town, industry and grade; deliveries; units; escalation; inspections) and the times from notice
to receipt and to confirmation. Read-only and set-based: a fixed number of queries whatever the
number of enterprises, never one per enterprise.

Counts are of the enterprises of the warning's latest notice (the ActivatedEnterprise rows of its
highest activation id that is not a lift) within the reader's area; `reached` means a delivery of
that notice was delivered, or the enterprise acknowledged it (a receipt proves it arrived).
Inspections are of the whole warning (every notice's), of the enterprises within the reader's area:
`visits` inspections, `violations` those that found a violation, and the enterprises visited and
found violating."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Subquery, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from alerts import service as alerts
from alerts.models import Delivery
from alerts.models import Status as DeliveryStatus
from areas.service import subtree
from config.events import Event, EventKind
from emergency.dashboard.times import empty_times, times
from emergency.inspections.models import Inspection, Result
from emergency.warnings.documents import shown_status
from emergency.warnings.models import ActivatedEnterprise, ActivatedUnit, Activation, Kind, Recipient, Warning
from lists.models import Area, Enterprise, ListVersion, Unit
from lists.service import in_area

FIGURES = ("enterprises", "self_chosen", "reached", "acknowledged", "confirmed", "reminded", "called",
           "reported_to_town")
ROW_FIGURES = ("enterprises", "reached", "acknowledged", "confirmed")  # of each row by town, industry, grade
ESCALATION = ("reminded", "called", "reported_to_town")
INSPECTIONS = ("visits", "violations", "enterprises_visited", "enterprises_violating")
NOT_SENT = (DeliveryStatus.CANCELLED,)  # a reminder cancelled before it went out reminded no one


def facts(activation_ids) -> Subquery:
    """Per enterprise of each of these notices, from its messages: `delivered` (one was), `reminded`
    and `called` (a reminder or call was queued or sent). One grouped pass over the notices' messages,
    joined to the enterprises after: a correlated EXISTS per enterprise made SQLite walk every
    delivered message once per enterprise (quadratic)."""
    def any_of(condition):
        return func.max(case((condition, 1), else_=0))

    told = Delivery.status.not_in(NOT_SENT)
    return (select(Recipient.activation_id, Recipient.enterprise_id,
                   any_of(Delivery.status == DeliveryStatus.DELIVERED).label("delivered"),
                   any_of(and_(Delivery.purpose == "reminder", told)).label("reminded"),
                   any_of(and_(Delivery.purpose == "call", told)).label("called"))
            .join(Delivery, Delivery.recipient_id == Recipient.id)
            .where(Recipient.activation_id.in_(activation_ids), Recipient.enterprise_id.is_not(None))
            .group_by(Recipient.activation_id, Recipient.enterprise_id).subquery())


def tallies(*keys, activations: list[int], where=(), town_report: datetime | None = None) -> Select:
    """SELECT of the keys then the FIGURES over the enterprises of these notices, grouped by the keys
    (join Enterprise or ListVersion for keys of theirs). `reached`: a message delivered, or a receipt
    (it proves one arrived); `reported_to_town`: told by the notice and still unconfirmed when the
    ladder reported to the towns at `town_report`."""
    state, messages = ActivatedEnterprise, facts(activations)
    late = (and_(state.changed == true(), or_(state.confirmed_at.is_(None), state.confirmed_at > town_report))
            if town_report is not None else false())
    return (select(*keys, func.count(), func.count().filter(state.self_chosen == true()),
                   func.count().filter(or_(state.acknowledged_at.is_not(None), messages.c.delivered == 1)),
                   func.count(state.acknowledged_at), func.count(state.confirmed_at),
                   func.count().filter(messages.c.reminded == 1), func.count().filter(messages.c.called == 1),
                   func.count().filter(late))
            .select_from(state)
            .outerjoin(messages, and_(messages.c.activation_id == state.activation_id,
                                      messages.c.enterprise_id == state.enterprise_id))
            .where(state.activation_id.in_(activations), *where).group_by(*keys))


def latest_activation(session: Session, warning: Warning) -> Activation | None:
    """The latest notice that asked for measures: after a lift, the one in force until then (the lift
    notice asks for receipt only, and its "confirmations" are receipts of the lift)."""
    return session.scalars(select(Activation).where(Activation.warning_id == warning.id, Activation.kind != Kind.LIFT)
                           .order_by(Activation.id.desc()).limit(1)).first()


def scope(actor: Actor) -> list:
    """WHERE clauses on Enterprise for the actor's area (none for the whole country)."""
    return [] if actor.area_path is None else [in_area(actor.area_path)]


def summary(session: Session, warning: Warning, actor: Actor, zone: ZoneInfo, now: datetime) -> dict:
    """The spec's summary JSON of the warning's latest notice within the actor's area, plus "times"."""
    activation = latest_activation(session, warning)
    doc = {"warning": warning.id, "level": activation.level if activation else warning.level,
           "status": shown_status(warning, now), "as_of": now.astimezone(zone).isoformat(), "drill": warning.drill,
           **dict.fromkeys(ROW_FIGURES, 0), "self_chosen": 0, "deliveries": deliveries(session, warning, actor),
           "units": units(session, activation, actor), "by_town": [], "by_industry": [], "by_grade": [],
           "inspections": dict.fromkeys(INSPECTIONS, 0),
           "escalation": {"reminded": 0, "called": 0, "reported_to_town": 0}, "times": empty_times()}
    if activation is None:
        return doc
    doc |= breakdowns(session, activation, actor)
    doc["times"] = times(session, activation, actor)
    doc["inspections"] = inspections(session, warning.id, scope(actor))
    return doc


def inspections(session: Session, warning_id: int, where=(), since: datetime | None = None,
                until: datetime | None = None) -> dict[str, int]:
    """The warning's INSPECTIONS figures over the enterprises matching `where` (clauses on
    Enterprise), of visits within [since, until) when given: one query."""
    violation = Inspection.result == Result.VIOLATION
    query = (select(func.count(), func.count().filter(violation), func.count(func.distinct(Inspection.enterprise_id)),
                    func.count(func.distinct(case((violation, Inspection.enterprise_id)))))
             .select_from(Inspection).where(Inspection.warning_id == warning_id))
    if where:
        query = query.join(Enterprise, Enterprise.id == Inspection.enterprise_id).where(*where)
    if since is not None:
        query = query.where(Inspection.at >= since)
    if until is not None:
        query = query.where(Inspection.at < until)
    return dict(zip(INSPECTIONS, session.execute(query).one()))


def breakdowns(session: Session, activation: Activation, actor: Actor) -> dict:
    """The totals, the escalation and the rows by town, industry and grade, from one query grouped
    by all three (a few hundred groups at most, whatever the number of enterprises), added up here."""
    state = ActivatedEnterprise
    rows = session.execute(
        tallies(Enterprise.town_id, Enterprise.industry, ListVersion.grade, activations=[activation.id],
                where=scope(actor), town_report=rung_times(session, activation).get("town"))
        .join(Enterprise, Enterprise.id == state.enterprise_id)
        .join(ListVersion, ListVersion.id == state.list_version_id)).all()
    towns = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_({r[0] for r in rows}))).all())
    totals = dict.fromkeys(FIGURES, 0)
    by: dict[str, dict] = {part: defaultdict(lambda: dict.fromkeys(FIGURES, 0))
                           for part in ("by_town", "by_industry", "by_grade")}
    for town_id, industry, grade, *figures in rows:
        for part, key in (("by_town", towns.get(town_id, "?")), ("by_industry", industry), ("by_grade", grade)):
            _add(by[part][key], figures)
        _add(totals, figures)
    named = {"by_town": "area", "by_industry": "industry", "by_grade": "grade"}
    return ({k: totals[k] for k in (*ROW_FIGURES, "self_chosen")}
            | {"escalation": {k: totals[k] for k in ESCALATION}}
            | {part: [{named[part]: key, **{f: v[f] for f in ROW_FIGURES}}
                      for key, v in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]
               for part, groups in by.items()})


def _add(into: dict, figures) -> None:
    for name, value in zip(FIGURES, figures):
        into[name] += value


def deliveries(session: Session, warning: Warning, actor: Actor) -> dict[str, int]:
    """Every message of the warning (all its notices, reminders, calls, reports) by status, for the
    enterprises and units of the actor's area; the same as the warning page's for the whole area."""
    notices = session.scalars(select(Activation.id).where(Activation.warning_id == warning.id)).all()
    # the notices' ids as a list, not a join: PostgreSQL then estimates the recipients well and hashes
    # them, instead of probing the deliveries once per recipient
    recipients = select(Recipient.id).where(Recipient.activation_id.in_(notices))
    if actor.area_path is not None:
        inside = subtree(path=actor.area_path)
        recipients = recipients.where(or_(
            Recipient.enterprise_id.in_(select(Enterprise.id).where(Enterprise.town_id.in_(inside))),
            Recipient.unit_id.in_(select(Unit.id).where(Unit.area_id.in_(inside)))))
    return alerts.counts(session, recipients)


def units(session: Session, activation: Activation | None, actor: Actor) -> dict[str, int]:
    """Units told of the latest notice (those of the actor's area), how many acknowledged and confirmed."""
    if activation is None:
        return {"total": 0, "acknowledged": 0, "confirmed": 0}
    query = (select(func.count(), func.count(ActivatedUnit.acknowledged_at), func.count(ActivatedUnit.confirmed_at))
             .where(ActivatedUnit.activation_id == activation.id))
    if actor.area_path is not None:
        mine = select(Unit.id).where(Unit.area_id.in_(subtree(path=actor.area_path)))
        query = query.where(ActivatedUnit.unit_id.in_(mine))
    total, acknowledged, confirmed = session.execute(query).one()
    return {"total": total, "acknowledged": acknowledged, "confirmed": confirmed}


def rung_times(session: Session, activation: Activation) -> dict[str, datetime]:
    """When each action of the notice's ladder first ran (from the event log): the reports to the
    towns and the command center run once, reminders and calls in every sweep that finds someone due."""
    rows = session.execute(select(Event.at, Event.detail).where(
        Event.subject_type == "warning", Event.subject_id == activation.warning_id, Event.kind == EventKind.ESCALATED)
        .order_by(Event.at, Event.id)).all()
    found: dict[str, datetime] = {}
    for at, detail in rows:
        if (detail or {}).get("activation") == activation.id:
            found.setdefault(detail.get("action"), at)
    return found
