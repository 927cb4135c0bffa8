"""An inspection is one visit to one enterprise during one warning: when, by whom, where, the
overall result, and a finding per measure checked. Photos are files named by their SHA-256 (see
media.py); the table keeps what is needed to serve and describe them."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from config.db import Base, UTCDateTime


class Result(StrEnum):
    COMPLIANT = "compliant"
    VIOLATION = "violation"


class Inspection(Base):
    __tablename__ = "inspections"
    __table_args__ = (Index("ix_inspections_warning_enterprise", "warning_id", "enterprise_id"),
                      Index("ix_inspections_enterprise", "enterprise_id"),
                      # A phone that sends the same visit twice (a retry after a lost answer) records it once.
                      UniqueConstraint("inspector_id", "client_key", name="uq_inspections_inspector_client_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"))
    # The notice in force at the visit: its level and the enterprise's pinned list say what was checked.
    activation_id: Mapped[int] = mapped_column(ForeignKey("activations.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspector: Mapped[str] = mapped_column(String(100))  # username, as the event log names people
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the visit took place
    result: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    client_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Finding(Base):
    """One measure checked on site: in place or not, with what was seen."""

    __tablename__ = "inspection_findings"
    __table_args__ = (UniqueConstraint("inspection_id", "measure_id", name="uq_inspection_findings_measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    ok: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)


class Photo(Base):
    """A photo uploaded by an inspector; attached to an inspection when the visit is sent (a phone
    uploads each photo as it is taken, before the visit exists)."""

    __tablename__ = "inspection_photos"
    __table_args__ = (Index("ix_inspection_photos_uploader", "uploaded_by_id", "inspection_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(30))
    bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Assignment(Base):
    """The office asks an inspector to visit an enterprise during a warning (one inspector each)."""

    __tablename__ = "inspection_assignments"
    __table_args__ = (UniqueConstraint("warning_id", "enterprise_id", name="uq_inspection_assignments_enterprise"),
                      Index("ix_inspection_assignments_inspector", "inspector_id", "warning_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
