"""Escalation: the ladder frozen onto each notice, carried out by a short idempotent sweep.

Reminders and calls count, enterprise by enterprise, from when that enterprise's notice was handed
to the provider (never from the approval: with a long queue, a reminder would otherwise overtake
the notice); each enterprise remembers the last such rung it got. Reports to the town offices and
the command center count from when the whole notice had been handed over; `due_steps` (pure) says
which have come due and the notice's step counter moves in the same transaction, so that a restart
repeats nothing and loses nothing. Each rung re-reads who is still unconfirmed when it runs."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, true, update
from sqlalchemy.orm import Session

from alerts.models import Delivery
from alerts.models import Status as DeliveryStatus
from config.events import EventKind, record
from config.settings import AppConfig
from emergency.notices.schedule import deliveries
from emergency.warnings.models import ActivatedEnterprise, Activation, Kind, Recipient, Status, Warning
from lists.models import Area, Enterprise, Unit, UnitKind

LISTED = 200  # enterprises named in a town's message; the count says how many more


def due_steps(ladder: list[dict], done: int, since: datetime, now: datetime) -> list[tuple[int, dict]]:
    """The rungs (index, step) not yet carried out whose time has come, in order."""
    return [(i, step) for i, step in enumerate(ladder)
            if i >= done and since + timedelta(minutes=step["after"]) <= now]


def sweep(*, session: Session, config: AppConfig, now: datetime) -> list[dict]:
    """Carry out every due rung of every current notice; returns what was done."""
    latest = select(func.max(Activation.id)).group_by(Activation.warning_id)
    query = (select(Activation).join(Warning, Warning.id == Activation.warning_id)
             .where(Warning.status.in_((Status.SCHEDULED, Status.ACTIVE)), Activation.kind != Kind.LIFT,
                    Activation.id.in_(latest))
             .order_by(Activation.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Activation, skip_locked=True)  # two schedulers never do a rung twice
    done = []
    for activation in session.scalars(query).all():
        ladder = activation.ladder or []
        for index, step in enumerate(ladder):
            if step["action"] in PER_ENTERPRISE and (count := _per_enterprise(session, activation, step, now)):
                done.append(_log(session, activation, index, step, count, now))
        handed = handed_over(session, activation)
        if handed is None:
            continue
        for index, step in due_steps(ladder, activation.escalation_step, handed, now):
            activation.escalation_step = index + 1
            if step["action"] not in PER_ENTERPRISE:
                count = ACTIONS[step["action"]](session, activation, step, config, now)
                done.append(_log(session, activation, index, step, count, now))
    session.flush()
    return done


def _log(session: Session, activation: Activation, index: int, step: dict, count: int, now: datetime) -> dict:
    entry = {"activation": activation.id, "step": index + 1, "action": step["action"], "after": step["after"],
             "unconfirmed": count}
    record(session, kind=EventKind.ESCALATED, actor="scheduler", subject_type="warning",
           subject_id=activation.warning_id, at=now, detail=entry)
    return entry


def notice_sent(activation: Activation):
    """Per enterprise of the notice, when its first notice delivery was handed to a provider."""
    return (select(Recipient.enterprise_id, func.min(Delivery.sent_at).label("at"))
            .join(Delivery, Delivery.recipient_id == Recipient.id)
            .where(Recipient.activation_id == activation.id, Recipient.enterprise_id.is_not(None),
                   Delivery.purpose == "notice", Delivery.sent_at.is_not(None))
            .group_by(Recipient.enterprise_id))


def handed_over(session: Session, activation: Activation) -> datetime | None:
    """When every notice delivery of the activation had been handed over or had ended; None while
    some are still queued or being sent."""
    waiting, last = session.execute(
        select(func.count(Delivery.id).filter(Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING))),
               func.max(func.coalesce(Delivery.sent_at, Delivery.finished_at)))
        .join(Recipient, Recipient.id == Delivery.recipient_id)
        .where(Recipient.activation_id == activation.id, Delivery.purpose == "notice")).one()
    if waiting:
        return None
    return last or activation.created_at


def _per_enterprise(session: Session, activation: Activation, step: dict, now: datetime) -> int:
    """Remind (or call) the enterprises still unconfirmed whose notice went out `after` minutes ago
    and that have not had this rung; returns how many."""
    channel, purpose = PER_ENTERPRISE[step["action"]]
    sent = notice_sent(activation).subquery()
    late = select(sent.c.enterprise_id).where(sent.c.at <= now - timedelta(minutes=step["after"]))
    due = and_(ActivatedEnterprise.activation_id == activation.id, ActivatedEnterprise.changed == true(),
               ActivatedEnterprise.confirmed_at.is_(None), ActivatedEnterprise.escalated_after < step["after"],
               ActivatedEnterprise.enterprise_id.in_(late))
    deliveries(session, channel=channel, purpose=purpose, now=now,
               where=and_(Recipient.activation_id == activation.id,
                          Recipient.enterprise_id.in_(select(ActivatedEnterprise.enterprise_id).where(due))))
    return session.execute(update(ActivatedEnterprise).where(due).values(escalated_after=step["after"])
                           .execution_options(synchronize_session=False)).rowcount or 0


def _town(session: Session, activation: Activation, step: dict, config: AppConfig, now: datetime) -> int:
    """Each supervising town/street office gets its own unconfirmed enterprises."""
    by_town = _unconfirmed_by_town(session, activation)
    offices = session.execute(select(Recipient.id, Unit.area_id).join(Unit, Unit.id == Recipient.unit_id)
                              .where(Recipient.activation_id == activation.id, Unit.kind == UnitKind.TOWN)).all()
    for recipient_id, town_id in offices:
        listed = by_town.get(town_id, [])
        if not listed:
            continue
        params = {"count": len(listed), "after": step["after"], "enterprises": listed[:LISTED]}
        for channel in config.notify.channels.get("unit", []):
            deliveries(session, channel=channel, purpose="town", now=now, params=params,
                       where=Recipient.id == recipient_id)
    return sum(len(v) for v in by_town.values())


def _command(session: Session, activation: Activation, step: dict, config: AppConfig, now: datetime) -> int:
    """The command center hears how many are unconfirmed, town by town."""
    by_town = _unconfirmed_by_town(session, activation)
    names = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(list(by_town)))).all())
    count = sum(len(v) for v in by_town.values())
    if count == 0:
        return 0
    towns = sorted(({"name": names.get(t, "?"), "count": len(v)} for t, v in by_town.items()), key=lambda t: -t["count"])
    params = {"count": count, "total": activation.changed, "after": step["after"], "towns": towns}
    for channel in config.notify.channels.get("unit", []):
        deliveries(session, channel=channel, purpose="command", now=now, params=params,
                   where=and_(Recipient.activation_id == activation.id, Recipient.role == UnitKind.COMMAND))
    return count


def _unconfirmed_by_town(session: Session, activation: Activation) -> dict[int, list[dict]]:
    """Unconfirmed enterprises of the notice per town, each with its first contact (one query)."""
    first = (select(Recipient.enterprise_id, func.min(Recipient.position).label("position"))
             .where(Recipient.activation_id == activation.id, Recipient.enterprise_id.is_not(None))
             .group_by(Recipient.enterprise_id).subquery())
    rows = session.execute(
        select(Enterprise.town_id, Enterprise.name, Recipient.name, Recipient.mobile)
        .join(ActivatedEnterprise, ActivatedEnterprise.enterprise_id == Enterprise.id)
        .outerjoin(first, first.c.enterprise_id == Enterprise.id)
        .outerjoin(Recipient, and_(Recipient.activation_id == activation.id, Recipient.enterprise_id == Enterprise.id,
                                   Recipient.position == first.c.position))
        .where(ActivatedEnterprise.activation_id == activation.id, ActivatedEnterprise.changed == true(),
               ActivatedEnterprise.confirmed_at.is_(None))
        .order_by(Enterprise.town_id, Enterprise.name)).all()
    found: dict[int, list[dict]] = defaultdict(list)
    for town_id, name, contact, mobile in rows:
        found[town_id].append({"name": name, "contact": contact, "mobile": mobile})
    return found


PER_ENTERPRISE = {"remind": ("sms", "reminder"), "call": ("voice", "call")}
ACTIONS = {"town": _town, "command": _command}
