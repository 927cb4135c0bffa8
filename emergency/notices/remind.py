"""Reminding by hand (催办): the command center's office presses "remind now" for chosen enterprises
of a warning, or for every one a filter shows (a town, a status, an industry…).

The reminder takes the normal delivery path (`schedule.deliveries`: one INSERT … SELECT of pending
SMS deliveries of purpose "reminder" to the recipients of the latest notice), so that the dispatcher
renders, paces, caps and records it like any other message, and cancels it if the enterprise
confirms before it goes out. Everything is set-based: a few counting queries and one insert,
whatever the number of enterprises.

Pressing twice queues once: a number with a message still on its way (its notice or a reminder,
queued or being sent) or reminded in the last QUIET minutes is skipped. Numbers that have already
had the provider's daily allowance (`notify.per_recipient_per_day` in 24 h, which the dispatcher
enforces at send time) and numbers a provider flagged as invalid are skipped too: such a message
would only be refused. The answer counts each kind of skip, so that the office knows who was not
reminded and why, and one event on the warning records who asked for what."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from accounts.permissions import Action, Actor
from alerts.models import Delivery, FlaggedAddress
from alerts.models import Status as DeliveryStatus
from areas.models import Area
from config.events import EventKind, record
from emergency.notices.schedule import deliveries
from emergency.warnings import queries
from emergency.warnings.documents import shown_status
from emergency.warnings.models import ActivatedEnterprise, Activation, Kind, Recipient, Status, Warning
from emergency.warnings.service import Invalid, Refused
from lists.models import Enterprise, ListVersion
from lists.service import in_area

# The ladder's first reminder comes 30 minutes after the notice; pressing again sooner would only
# repeat it, eat into the provider's daily allowance per number, and providers refuse a third
# identical text to a number within 24 h.
QUIET = timedelta(minutes=30)
MAX_CODES = 5000  # a longer choice is a filter: remind the whole town or status instead
ON_ITS_WAY = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class Selection:
    """Which enterprises of a warning's latest notice: the filters of its enterprises list
    (`queries.enterprises`, the same clauses) and, optionally, chosen credit codes."""

    status: str | None = None
    town: str | None = None
    industry: str | None = None
    grade: str | None = None
    q: str | None = None
    credit_codes: tuple[str, ...] | None = None

    def enterprises(self, activation_id: int, actor: Actor):
        """SELECT (enterprise_id, credit_code, confirmed_at, changed) of the notice's enterprises
        in the actor's area that match."""
        state = ActivatedEnterprise
        query = (select(state.enterprise_id, Enterprise.credit_code, state.confirmed_at, state.changed)
                 .join(Enterprise, Enterprise.id == state.enterprise_id)
                 .join(ListVersion, ListVersion.id == state.list_version_id)
                 .join(Area, Area.id == Enterprise.town_id)
                 .where(state.activation_id == activation_id))
        return query.where(*self._clauses(actor))

    def _clauses(self, actor: Actor) -> list:
        state = ActivatedEnterprise
        found = [in_area(actor.area_path)] if actor.area_path is not None else []
        found += {"unconfirmed": [state.confirmed_at.is_(None)], "unacknowledged": [state.acknowledged_at.is_(None)],
                  "confirmed": [state.confirmed_at.is_not(None)]}.get(self.status or "", [])
        found += [column == value for column, value in ((Area.name, self.town), (Enterprise.industry, self.industry),
                                                        (ListVersion.grade, self.grade)) if value]
        if self.q:
            found.append(or_(Enterprise.name.contains(self.q, autoescape=True), Enterprise.credit_code == self.q.upper()))
        if self.credit_codes is not None:
            found.append(Enterprise.credit_code.in_(self.credit_codes))
        return found

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v is not None}


def selection(*, credit_codes=None, status: str | None = None, town: str | None = None, industry: str | None = None,
              grade: str | None = None, q: str | None = None) -> Selection:
    """A Selection from user input (blank means no filter). Raises Invalid for an empty or too long
    choice of credit codes, or an unknown status."""
    if status and status not in queries.STATUS_FILTERS:
        raise Invalid(f"未知的状态筛选：{status}", f"unknown status filter {status!r}", code="invalid_status",
                      field="status")
    codes = None
    if credit_codes is not None:
        codes = tuple(dict.fromkeys(c.strip().upper() for c in credit_codes if c and c.strip()))
        if not codes:
            raise Invalid("请先选择要催办的企业", "choose the enterprises to remind first", code="nothing_chosen",
                          field="credit_codes")
        if len(codes) > MAX_CODES:
            raise Invalid(f"一次最多选择 {MAX_CODES} 家企业，请改用筛选条件", f"at most {MAX_CODES} enterprises at once: "
                          "use a filter instead", code="too_many", field="credit_codes")
    blank = lambda v: (v or "").strip() or None  # noqa: E731
    return Selection(status=blank(status), town=blank(town), industry=blank(industry), grade=blank(grade), q=blank(q),
                     credit_codes=codes)


def remind(session: Session, *, warning_id: int, actor: Actor, credit_codes: list[str] | None = None,
           status: str | None = None, town: str | None = None, industry: str | None = None, grade: str | None = None,
           q: str | None = None, per_day: int, now: datetime) -> dict:
    """Queue one reminder SMS per number of the chosen enterprises (credit codes, and the filters:
    blank means all) still unconfirmed; returns what was queued and what was skipped. Raises
    Forbidden (role), NotFound (no such warning in the actor's area), Invalid (an empty or too long
    choice), Refused (the warning is not in force, or is being lifted)."""
    actor.require(Action.REMIND)
    warning = queries.one(session, warning_id, actor)
    chosen = selection(credit_codes=credit_codes, status=status, town=town, industry=industry, grade=grade, q=q)
    notice = current_notice(session, warning, now)
    matched = chosen.enterprises(notice.id, actor).subquery()
    # A notice's recipients are those of the enterprises it changed something for; the others are
    # counted apart (their reminder would belong to a superseded notice, which the renderer cancels).
    waiting = select(matched.c.enterprise_id).where(matched.c.confirmed_at.is_(None), matched.c.changed == true())
    targets = and_(Recipient.activation_id == notice.id, Recipient.enterprise_id.in_(waiting),
                   Recipient.mobile.is_not(None))
    answer = {"warning": warning.id, **_enterprises(session, matched, chosen.credit_codes)}
    queue, numbers = _numbers(session, notice.id, waiting, targets, per_day, now)
    deliveries(session, channel="sms", purpose="reminder", now=now, where=and_(targets, queue),
               params={"by": actor.username, "manual": True})
    reachable = numbers.pop("reachable")
    answer |= numbers | {"no_mobile": answer["matched"] - answer["skipped_confirmed"] - answer["unchanged"] - reachable,
                         "quiet_minutes": int(QUIET.total_seconds() // 60), "per_day": per_day}
    event = record(session, kind=EventKind.ESCALATED, actor=actor, subject_type="warning", subject_id=warning.id,
                   at=now, detail={"action": "remind", "manual": True, "activation": notice.id,
                                   "unconfirmed": answer["matched"] - answer["skipped_confirmed"],  # as the ladder's rungs
                                   "filter": chosen.to_json(), **{k: v for k, v in answer.items() if k != "warning"}})
    session.flush()
    return answer | {"event": event.id}


def _enterprises(session: Session, matched, codes: tuple[str, ...] | None) -> dict:
    """How many enterprises matched, were confirmed already, or unchanged by the latest notice, and
    which chosen credit codes are not among them."""
    total, confirmed, unchanged = session.execute(
        select(func.count(), func.count(matched.c.confirmed_at),
               func.count().filter(matched.c.confirmed_at.is_(None), matched.c.changed == false()))
        .select_from(matched)).one()
    found = set(session.scalars(select(matched.c.credit_code))) if codes else set()
    return {"matched": total, "skipped_confirmed": confirmed, "unchanged": unchanged,
            "not_found": [c for c in codes or () if c not in found]}


def _numbers(session: Session, notice_id: int, waiting, targets, per_day: int, now: datetime) -> tuple:
    """The clause of the recipients to queue, and the counts: numbers skipped as busy, at the cap
    or invalid; messages queued; enterprises reminded and reachable at all."""
    busy, capped = _busy(now), Recipient.mobile.in_(_at_cap(notice_id, waiting, per_day, now))
    flagged = Recipient.mobile.in_(select(FlaggedAddress.address))
    queue = and_(~busy, ~capped, ~flagged)
    numbers = func.count(func.distinct(Recipient.mobile))
    row = session.execute(select(
        numbers.filter(busy).label("skipped_recent"), numbers.filter(~busy, capped).label("at_cap"),
        numbers.filter(~busy, ~capped, flagged).label("invalid"), func.count().filter(queue).label("queued"),
        func.count(func.distinct(Recipient.enterprise_id)).filter(queue).label("enterprises"),
        func.count(func.distinct(Recipient.enterprise_id)).label("reachable")).where(targets)).one()
    return queue, dict(row._mapping)


def current_notice(session: Session, warning: Warning, now: datetime) -> Activation:
    """The warning's latest notice, locked until the transaction ends (two presses at once queue
    once on PostgreSQL; SQLite has a single writer). Raises Refused when there is nothing to remind
    of: a draft, an ended warning, or a lift on its way."""
    if shown_status(warning, now) not in (Status.SCHEDULED, Status.ACTIVE):
        raise Refused("预警不在发布或生效期内，无需催办", "the warning is not issued or in force: there is nothing to remind of",
                      code="not_in_force")
    latest = session.scalars(select(Activation).where(Activation.warning_id == warning.id)
                             .order_by(Activation.id.desc()).limit(1).with_for_update()).first()
    if latest is None or latest.kind == Kind.LIFT:
        raise Refused("预警即将解除，无需催办", "the warning is being lifted: there is nothing to remind of", code="lifting")
    return latest


def _busy(now: datetime):
    """A message to this recipient is still on its way, or it was reminded less than QUIET ago."""
    return exists().where(Delivery.recipient_id == Recipient.id, or_(
        and_(Delivery.status.in_(ON_ITS_WAY), Delivery.purpose.in_(("notice", "reminder"))),
        and_(Delivery.purpose == "reminder", Delivery.created_at >= now - QUIET)))


def _at_cap(notice_id: int, waiting, per_day: int, now: datetime):
    """The numbers among these recipients' that have had `per_day` messages in the last 24 hours,
    counted as the dispatcher counts them (alerts.service.sent_today)."""
    own = aliased(Recipient)
    numbers = select(own.mobile).where(own.activation_id == notice_id, own.enterprise_id.in_(waiting))
    return (select(Delivery.address).where(Delivery.address.in_(numbers), Delivery.sent_at >= now - timedelta(hours=24))
            .group_by(Delivery.address).having(func.count() >= per_day))
