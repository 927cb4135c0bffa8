"""Deliveries (one message to one address over one channel, tracked to its end), acknowledgments,
addresses a provider refused, and the simulator's inboxes.

This package knows nothing about pollution: a delivery is for a `recipient_id` (the workflow's
recipient rows) and says which `purpose` of message to render; the workflow renders it."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from config.db import Base, UTCDateTime


class Channel(StrEnum):
    SMS = "sms"
    VOICE = "voice"
    EMAIL = "email"


class Status(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a worker, provider being called
    SENT = "sent"  # handed to the provider
    DELIVERED = "delivered"  # the provider says it arrived (a call: answered)
    FAILED = "failed"  # given up, with the reason in `error`
    CANCELLED = "cancelled"  # no longer needed (confirmed before a reminder went out)
    UNKNOWN = "unknown"  # the provider may or may not have it (its answer was lost): for a person to check


FINAL = (Status.DELIVERED, Status.FAILED, Status.CANCELLED, Status.UNKNOWN)


class Delivery(Base):
    """Record before you send: the row exists, then is claimed (`sending`), then the outcome is written."""

    __tablename__ = "deliveries"
    # No foreign key on recipient_id: rows are written by the hundred thousand in one INSERT … SELECT
    # (see the note on recipients in emergency/warnings/models.py).
    # Claims walk ix_deliveries_claim in order: lower priority first (first notices before reminders),
    # newer first within a priority (a change's notice before the one it replaced), then by id.
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),
                      Index("ix_deliveries_claim", "status", "priority", text("created_at DESC"), "id"),
                      Index("ix_deliveries_recipient", "recipient_id"),
                      Index("ix_deliveries_address", "address", "sent_at"),
                      Index("ix_deliveries_provider_id", "provider_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(200))  # E.164 number or email address
    purpose: Mapped[str] = mapped_column(String(20))  # which message: notice, reminder, call, town, command
    priority: Mapped[int] = mapped_column(default=0, server_default="0")  # lower goes first
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what the message needs beyond its recipient
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str | None] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Acknowledgment(Base):
    """A recipient said they have the message: by opening the link, an SMS reply, a keypress."""

    __tablename__ = "acknowledgments"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(index=True)
    delivery_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(10))  # web, sms, voice
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlaggedAddress(Base):
    """An address a provider called invalid or unreachable: its contact needs correcting."""

    __tablename__ = "flagged_addresses"

    address: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboxMessage(Base):
    """The simulator's phones and mailboxes: what was sent to an address, and what it replied."""

    __tablename__ = "simulator_messages"
    __table_args__ = (Index("ix_simulator_messages_address", "address", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(3))  # out (to the person) or in (their reply)
    delivery_id: Mapped[int | None]
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
