"""Receipt (已收到) and confirmation (已落实) of a notice, by whatever way it comes: the personal
link, an SMS reply, a keypress on the call. Each records who, when and by which channel, and
moves the enterprise's (or unit's) state on its activation; each is idempotent. A unit confirms
its duties with one button (emergency.notices.units)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import service as alerts
from alerts.models import Acknowledgment, Delivery
from alerts.models import Status as DeliveryStatus
from config.events import EventKind, record
from emergency.notices.models import MeasureConfirmation
from emergency.warnings.models import OPEN, ActivatedEnterprise, ActivatedUnit, Activation, Kind, Recipient, Warning
from lists.models import Measure

REPLIES = {"1", "１", "确认", "收到", "確認", "已收到", "ok", "yes", "y"}
# A lift notice's link stays readable for a day after the lift; every other link dies with the warning.
LIFT_GRACE = timedelta(hours=24)


class LinkError(LookupError):
    """The link cannot be used; `zh`/`en` say why."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass
class Notice:
    """One recipient's view of one notice."""

    recipient: Recipient
    activation: Activation
    warning: Warning
    state: ActivatedEnterprise | None  # for an enterprise's contact
    unit_state: ActivatedUnit | None = None  # for a unit

    @property
    def open(self) -> bool:
        return self.warning.status in OPEN

    @property
    def actor(self) -> str:
        """Who acted, as the event log names them."""
        return f"recipient:{self.recipient.id} {self.recipient.name}"


def notice(session: Session, recipient_id: int, now: datetime) -> Notice:
    """The notice a link names. Raises LinkError when it has expired or is not there."""
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise LinkError("链接无效", "this link is not valid")
    activation = session.get(Activation, recipient.activation_id)
    warning = session.get(Warning, activation.warning_id)
    ended = warning.lifted_at or warning.end_at
    limit = ended + LIFT_GRACE if activation.kind == Kind.LIFT else ended
    if warning.status not in OPEN and now >= limit:
        raise LinkError("该预警已结束，链接已失效", "the warning is over: this link has expired")
    state = unit_state = None
    if recipient.enterprise_id is not None:
        state = session.get(ActivatedEnterprise, (activation.id, recipient.enterprise_id), with_for_update=True)
    if recipient.unit_id is not None:
        unit_state = session.get(ActivatedUnit, (activation.id, recipient.unit_id), with_for_update=True)
    return Notice(recipient, activation, warning, state, unit_state)


def measures(session: Session, n: Notice) -> list[Measure]:
    """The enterprise's measures at the notice's level, from the list version its warning pinned."""
    if n.state is None or n.activation.kind == Kind.LIFT:
        return []
    return list(session.scalars(select(Measure).where(Measure.list_version_id == n.state.list_version_id,
                                                      Measure.level == n.activation.level).order_by(Measure.position)))


def confirmations(session: Session, n: Notice) -> dict[int | None, MeasureConfirmation]:
    if n.state is None:
        return {}
    rows = session.scalars(select(MeasureConfirmation).where(
        MeasureConfirmation.activation_id == n.activation.id,
        MeasureConfirmation.enterprise_id == n.recipient.enterprise_id).order_by(MeasureConfirmation.id))
    found: dict[int | None, MeasureConfirmation] = {}
    for row in rows:
        found.setdefault(row.measure_id, row)
    return found


def receipt(session: Session, n: Notice, *, channel: str, now: datetime, delivery_id: int | None = None) -> bool:
    """Record receipt; returns True the first time for the enterprise (or unit) on this notice."""
    first = not session.scalar(select(Acknowledgment.id).where(Acknowledgment.recipient_id.in_(_same_party(n))).limit(1))
    alerts.acknowledge(session, recipient_id=n.recipient.id, delivery_id=delivery_id, channel=channel, now=now)
    for state in (n.state, n.unit_state):
        if state is not None and state.acknowledged_at is None:
            state.acknowledged_at, state.acknowledged_via = now, channel
            if n.activation.kind == Kind.LIFT:
                state.confirmed_at = now  # nothing to put in place: receipt is all a lift asks
    if first:
        record(session, kind=EventKind.NOTICE_ACKNOWLEDGED, actor=n.actor, subject_type="warning",
               subject_id=n.warning.id, at=now, detail={"activation": n.activation.id, "recipient": n.recipient.id,
                                                        "enterprise": n.recipient.enterprise_id,
                                                        "unit": n.recipient.unit_id, "channel": channel})
    session.flush()
    return first


def confirm(session: Session, n: Notice, *, measure_id: int | None, note: str | None, channel: str,
            now: datetime) -> bool:
    """Confirm one measure in place (None: the notice, for an enterprise without measures at the
    level). Returns True when this made the enterprise fully confirmed. Raises LinkError."""
    if n.state is None or n.activation.kind == Kind.LIFT:
        raise LinkError("此通知无需确认措施", "this notice has no measures to confirm")
    if not n.open:
        raise LinkError("该预警已结束", "the warning is over")
    own = {m.id for m in measures(session, n)}
    if (measure_id is None and own) or (measure_id is not None and measure_id not in own):
        raise LinkError("该措施不属于本企业本级别的清单", "that measure is not on this enterprise's list at this level")
    receipt(session, n, channel=channel, now=now)
    done = confirmations(session, n)
    if measure_id not in done:
        session.add(MeasureConfirmation(activation_id=n.activation.id, enterprise_id=n.recipient.enterprise_id,
                                        measure_id=measure_id, recipient_id=n.recipient.id, channel=channel,
                                        note=(note or "").strip()[:1000] or None, at=now))
        record(session, kind=EventKind.MEASURE_CONFIRMED, actor=n.actor, subject_type="warning",
               subject_id=n.warning.id, at=now, detail={"activation": n.activation.id, "measure": measure_id,
                                                        "enterprise": n.recipient.enterprise_id, "channel": channel})
        done[measure_id] = None
    complete = (set(done) >= own) if own else None in done
    if complete and n.state.confirmed_at is None:
        n.state.confirmed_at = now
        record(session, kind=EventKind.NOTICE_CONFIRMED, actor=n.actor, subject_type="warning",
               subject_id=n.warning.id, at=now, detail={"activation": n.activation.id,
                                                        "enterprise": n.recipient.enterprise_id})
        session.flush()
        return True
    session.flush()
    return False


def latest_sent_to(session: Session, address: str, channel: str = "sms") -> Delivery | None:
    """The latest notice or reminder handed over to this address whose warning is still open."""
    return session.scalars(
        select(Delivery).join(Recipient, Recipient.id == Delivery.recipient_id)
        .join(Activation, Activation.id == Recipient.activation_id)
        .join(Warning, Warning.id == Activation.warning_id)
        .where(Delivery.address == address, Delivery.channel == channel,
               Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.DELIVERED)), Warning.status.in_(OPEN))
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc()).limit(1)).first()


def is_acknowledgment(body: str) -> bool:
    return body.strip().strip("。.!！").lower() in REPLIES


def _same_party(n: Notice):
    """Recipients of this notice who speak for the same enterprise or unit."""
    party = (Recipient.enterprise_id == n.recipient.enterprise_id if n.recipient.enterprise_id is not None
             else Recipient.unit_id == n.recipient.unit_id)
    return select(Recipient.id).where(Recipient.activation_id == n.activation.id, party)
