"""What enterprises confirmed of a notice, measure by measure."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from config.db import Base, UTCDateTime


class MeasureConfirmation(Base):
    """An enterprise says one measure of its list is in place for this notice (已落实).

    measure_id is None for an enterprise with no measure at the level (自主减排: it confirms the notice)."""

    __tablename__ = "measure_confirmations"
    __table_args__ = (Index("ix_measure_confirmations_activation_enterprise", "activation_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activation_id: Mapped[int]
    enterprise_id: Mapped[int]
    measure_id: Mapped[int | None]
    recipient_id: Mapped[int]  # whose link (or reply) it came from
    channel: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Secret(Base):
    """Keys made once per installation when none is configured (shared by every process)."""

    __tablename__ = "secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class AuditFinding(Base):
    """Something late or stuck the auditor saw: logged when first seen and when it clears."""

    __tablename__ = "audit_findings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text)
