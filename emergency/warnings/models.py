"""Warnings, the requests that change them (each signed off), and what each approval activated.

A warning's life: draft → scheduled (approved, before its start) → active → lifted, or expired at
its end. Every change — the issue itself, an upgrade, downgrade or extension, the lift — is a
request drafted by one person and approved by another; an approved request is a notice, and its
activation pins what it asked of whom: the list version of each enterprise (its measures at the
level follow from it), the units' duties, and the recipients with their contact details."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from config.db import Base, UTCDateTime


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # approved; waiting for its start
    ACTIVE = "active"
    LIFTED = "lifted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # a draft never approved


OPEN = (Status.DRAFT, Status.SCHEDULED, Status.ACTIVE)


class Kind(StrEnum):
    ISSUE = "issue"
    CHANGE = "change"
    LIFT = "lift"


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class Warning(Base):
    __tablename__ = "warnings"
    __table_args__ = (Index("ix_warnings_area_status", "area_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    rules: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A drill (演练): its messages start with 【演练】, go to the simulator or an allow-list only, its CAP
    # status is Exercise, it never blocks a real warning, and counts and reports keep it apart.
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Request(Base):
    __tablename__ = "warning_requests"
    __table_args__ = (UniqueConstraint("warning_id", "seq", name="uq_warning_requests_warning_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"))
    seq: Mapped[int]  # 1 = the issue; notices are numbered in this order
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))  # the level once approved
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lift_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100))
    # The sign-off rule compares these user ids, never names.
    requested_by_id: Mapped[int | None]
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_by_id: Mapped[int | None]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it was approved although the lists miss the required ratio (required then).
    override_reason: Mapped[str | None] = mapped_column(Text)
    adequacy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The forecast and rule that justified it (guidance forbids warnings for other motives).
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Activation(Base):
    """What one approved request put in force (or, for a lift, ended), and for whom."""

    __tablename__ = "activations"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("warning_requests.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enterprises: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)  # enterprises whose obligations changed: notified
    recipients: Mapped[int] = mapped_column(default=0)
    # The escalation ladder as configured when the notice went out ([{"after": min, "action": …}]),
    # and how many of its steps have been carried out.
    ladder: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    escalation_step: Mapped[int] = mapped_column(default=0)


# The two tables an activation fills in bulk (one row per enterprise, one per contact) carry no
# foreign keys: PostgreSQL checks each with a per-row trigger, which made activating 100,000
# enterprises 15 times the cost of the bare insert (BENCHMARKS.md). Their rows are copied by
# INSERT … SELECT from the very rows they point to, in one transaction, and activations,
# enterprises, list versions and units are never deleted.


class ActivatedEnterprise(Base):
    __tablename__ = "activation_enterprises"
    __table_args__ = (Index("ix_activation_enterprises_enterprise", "enterprise_id"),)

    activation_id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(primary_key=True)
    # Pinned: its measures at the activation's level are those of this version, whatever is imported later.
    list_version_id: Mapped[int]
    self_chosen: Mapped[bool] = mapped_column(Boolean)  # A/A+/引领性 or guarantee: 自主减排
    changed: Mapped[bool] = mapped_column(Boolean)  # obligations differ from the previous notice
    # Receipt (已收到) and every measure confirmed in place (已落实) for this notice; an enterprise
    # a change leaves unchanged keeps what it had for the previous one.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_via: Mapped[str | None] = mapped_column(String(10))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The `after` (minutes) of the last reminder or call rung carried out for it: those rungs count
    # from when its own notice was handed over, not from the approval.
    escalated_after: Mapped[int] = mapped_column(default=0, server_default="0")


class ActivatedDuty(Base):
    __tablename__ = "activation_duties"
    __table_args__ = (Index("ix_activation_duties_activation_unit", "activation_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activation_id: Mapped[int] = mapped_column(ForeignKey("activations.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    position: Mapped[int]
    duty: Mapped[str] = mapped_column(Text)


class ActivatedUnit(Base):
    """A unit's (town office's, department's) receipt and confirmation of its duties for one notice."""

    __tablename__ = "activation_units"

    activation_id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_via: Mapped[str | None] = mapped_column(String(10))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class Recipient(Base):
    """Who is told of one notice, with the contact details as they were when it was approved."""

    __tablename__ = "recipients"
    __table_args__ = (Index("ix_recipients_activation_enterprise", "activation_id", "enterprise_id"),
                      Index("ix_recipients_unit", "unit_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    activation_id: Mapped[int]
    enterprise_id: Mapped[int | None]
    unit_id: Mapped[int | None]
    position: Mapped[int]  # contact order within the enterprise (1 = first)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    mobile: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))


def status_at(warning: Warning, now: datetime) -> str:
    """What an approved warning's status is at `now` (scheduled, active, expired or lifted)."""
    if warning.lifted_at is not None and warning.lifted_at <= now:
        return Status.LIFTED
    if warning.end_at <= now:
        return Status.EXPIRED
    return Status.ACTIVE if warning.start_at <= now else Status.SCHEDULED
