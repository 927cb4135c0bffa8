"""Deliveries written when a notice goes out (in the approval's transaction) and when an
escalation step comes due: set-based INSERT … SELECT over the recipients, never a loop."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, and_, literal, null, select

from alerts import service as alerts
from alerts.models import Status
from config.db import UTCDateTime
from config.settings import AppConfig
from emergency.warnings.models import Activation, Kind, Recipient

ADDRESS = {"sms": Recipient.mobile, "voice": Recipient.mobile, "email": Recipient.email}
# Which go first when the queue is long: every first notice before any report to a town office or
# the command center, and those before reminders and calls.
PRIORITY = {"notice": 0, "town": 1, "command": 1, "violation": 1, "reminder": 2, "call": 2}


def notice(session, *, activation: Activation, config: AppConfig, now: datetime) -> None:
    """One pending delivery per recipient of the notice and configured channel; freezes the ladder."""
    if activation.kind != Kind.LIFT:
        activation.ladder = [step.model_dump() for step in config.escalation.get(activation.level, [])]
    for who, channels in config.notify.channels.items():
        column = Recipient.enterprise_id if who == "enterprise" else Recipient.unit_id
        for channel in channels:
            deliveries(session, channel=channel, purpose="notice", now=now,
                       where=and_(Recipient.activation_id == activation.id, column.is_not(None)))


def deliveries(session, *, channel: str, purpose: str, now: datetime, where, params=None) -> None:
    """Pending deliveries of one purpose over one channel to the recipients matching `where`."""
    address = ADDRESS[channel]
    rows = (select(Recipient.id, literal(channel), address, literal(purpose),
                   # no CAST: SQLite gives JSON numeric affinity and would turn the text into 0
                   literal(params, JSON) if params is not None else null(),
                   literal(Status.PENDING.value), literal(0), literal(now, UTCDateTime), literal(now, UTCDateTime),
                   literal(PRIORITY.get(purpose, 2)))
            .where(where, address.is_not(None)))
    alerts.schedule(session, rows)
