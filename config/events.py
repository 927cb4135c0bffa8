"""The append-only event log: every state change writes one row (who, when, what, detail).

It is the audit trail and the timeline the command center reads. Rows are never updated or
deleted by the application."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.db import Base, UTCDateTime, utcnow


class EventKind(StrEnum):
    LISTS_IMPORTED = "lists.imported"
    DEMO_LOADED = "demo.loaded"
    USER_CREATED = "user.created"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_SIGNED_IN = "user.signed_in"
    USER_SIGNED_OUT = "user.signed_out"
    USER_SIGN_IN_FAILED = "user.sign_in_failed"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_CHANGED = "user.changed"  # role or area
    AREA_ADDED = "area.added"
    FORECAST_IMPORTED = "forecast.imported"
    WARNING_DRAFTED = "warning.drafted"
    WARNING_CHANGE_REQUESTED = "warning.change_requested"
    WARNING_LIFT_REQUESTED = "warning.lift_requested"
    WARNING_APPROVED = "warning.approved"
    WARNING_REQUEST_WITHDRAWN = "warning.request_withdrawn"
    WARNING_STARTED = "warning.started"
    WARNING_EXPIRED = "warning.expired"
    WARNING_LIFTED = "warning.lifted"
    DELIVERIES_FAILED = "deliveries.failed"
    DELIVERIES_RECOVERED = "deliveries.recovered"
    ADDRESS_FLAGGED = "address.flagged"
    NOTICE_ACKNOWLEDGED = "notice.acknowledged"
    MEASURE_CONFIRMED = "notice.measure_confirmed"
    NOTICE_CONFIRMED = "notice.confirmed"
    UNIT_CONFIRMED = "notice.unit_confirmed"  # a unit has passed the notice on and its duties are in hand
    ESCALATED = "notice.escalated"
    AUDIT_FINDING = "audit.finding"
    AUDIT_RESOLVED = "audit.resolved"
    INSPECTION_RECORDED = "inspection.recorded"
    INSPECTION_ASSIGNED = "inspection.assigned"


class Who(Protocol):
    """A person or process acting (accounts.permissions.Actor fits)."""

    username: str
    user_id: int | None
    area_id: int | None


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    actor_id: Mapped[int | None] = mapped_column(index=True)  # the user, when a person acted
    area_id: Mapped[int | None]  # the acting user's area (None: city-level, or the system)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    *,
    kind: EventKind | str,
    actor: str | Who,
    subject_type: str | None = None,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Add an event to the session's transaction; it is written with the change it describes."""
    name, user_id, area_id = (actor, None, None) if isinstance(actor, str) else (actor.username, actor.user_id, actor.area_id)
    event = Event(
        at=at or utcnow(),
        actor=name,
        actor_id=user_id,
        area_id=area_id,
        kind=str(kind),
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail or {},
    )
    session.add(event)
    return event
