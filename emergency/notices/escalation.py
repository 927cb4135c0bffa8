"""Escalation: the ladder frozen onto each notice, carried out by a short idempotent sweep.

`due_steps` (pure) says which rungs have come due; `sweep` carries them out, writing deliveries
and moving the notice's step counter in the same transaction, so that a restart repeats nothing
and loses nothing. Each rung re-reads who is still unconfirmed when it runs."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from config.events import EventKind, record
from config.settings import AppConfig
from emergency.notices.schedule import deliveries, unconfirmed_enterprise_recipients
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
        for index, step in due_steps(activation.ladder or [], activation.escalation_step, activation.created_at, now):
            count = ACTIONS[step["action"]](session, activation, step, config, now)
            activation.escalation_step = index + 1
            entry = {"activation": activation.id, "step": index + 1, "action": step["action"], "after": step["after"],
                     "unconfirmed": count}
            record(session, kind=EventKind.ESCALATED, actor="scheduler", subject_type="warning",
                   subject_id=activation.warning_id, at=now, detail=entry)
            done.append(entry)
    session.flush()
    return done


def _remind(session: Session, activation: Activation, step: dict, config: AppConfig, now: datetime) -> int:
    return _to_enterprises(session, activation, "sms", "reminder", now)


def _call(session: Session, activation: Activation, step: dict, config: AppConfig, now: datetime) -> int:
    return _to_enterprises(session, activation, "voice", "call", now)


def _to_enterprises(session: Session, activation: Activation, channel: str, purpose: str, now: datetime) -> int:
    deliveries(session, channel=channel, purpose=purpose, now=now,
               where=and_(Recipient.activation_id == activation.id, unconfirmed_enterprise_recipients(activation)))
    return _unconfirmed_count(session, activation)


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


def _unconfirmed_count(session: Session, activation: Activation) -> int:
    return session.scalar(select(func.count()).select_from(ActivatedEnterprise).where(
        ActivatedEnterprise.activation_id == activation.id,
                                                     ActivatedEnterprise.changed == true(),
                                                     ActivatedEnterprise.confirmed_at.is_(None)))


ACTIONS = {"remind": _remind, "call": _call, "town": _town, "command": _command}
