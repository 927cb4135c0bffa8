"""Units (town offices, departments, the command center) on a notice. Their receipt comes the way an
enterprise's does (acknowledge.receipt: the link, an SMS reply, a keypress); their confirmation is
one 已传达 / 确认落实 for all their duties, since a unit passes the notice on and sees to its duties
rather than putting measures in place one by one. A lift asks for receipt only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.events import EventKind, record
from emergency.notices import acknowledge
from emergency.notices.acknowledge import LinkError, Notice
from emergency.warnings.models import ActivatedUnit, Kind

NOTE_LIMIT = 1000


def confirm(session: Session, n: Notice, *, note: str | None, channel: str, now: datetime) -> bool:
    """Record that the unit has passed the notice on and its duties are in hand (by the recipient,
    with an optional note); counts as receipt too. True the first time. Raises LinkError."""
    if n.unit_state is None or n.activation.kind == Kind.LIFT:
        raise LinkError("此通知无需确认职责", "this notice has no duties to confirm")
    if not n.open:
        raise LinkError("该预警已结束", "the warning is over")
    acknowledge.receipt(session, n, channel=channel, now=now)
    state = n.unit_state
    if state.confirmed_at is not None:
        return False
    state.confirmed_at, state.confirmed_by = now, n.recipient.name
    state.note = (note or "").strip()[:NOTE_LIMIT] or None
    record(session, kind=EventKind.UNIT_CONFIRMED, actor=n.actor, subject_type="warning", subject_id=n.warning.id,
           at=now, detail={"activation": n.activation.id, "unit": n.recipient.unit_id, "channel": channel,
                           "note": state.note})
    session.flush()
    return True


def counts(session: Session, activation_ids: list[int]) -> dict[int, dict]:
    """For each activation: {"units": told, "acknowledged": n, "confirmed": n} (zeros when it has none)."""
    found = {i: {"units": 0, "acknowledged": 0, "confirmed": 0} for i in activation_ids}
    if not activation_ids:
        return found
    rows = session.execute(
        select(ActivatedUnit.activation_id, func.count(), func.count(ActivatedUnit.acknowledged_at),
               func.count(ActivatedUnit.confirmed_at))
        .where(ActivatedUnit.activation_id.in_(activation_ids)).group_by(ActivatedUnit.activation_id))
    for activation_id, units, acknowledged, confirmed in rows:
        found[activation_id] = {"units": units, "acknowledged": acknowledged, "confirmed": confirmed}
    return found
