"""Areas, responsible units, enterprises and their versioned reduction lists (一厂一策)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from areas.models import Area, AreaKind  # noqa: F401  (areas belong to the tree; re-exported)
from config.db import Base, UTCDateTime


class UnitKind(StrEnum):
    COMMAND = "command"
    DEPARTMENT = "department"
    TOWN = "town"


class SourceType(StrEnum):
    INDUSTRIAL = "industrial"
    DUST = "dust"
    MOBILE = "mobile"


class Action(StrEnum):
    STOP = "stop"
    LIMIT = "limit"
    STOP_TRANSPORT = "stop_transport"
    STOP_OUTDOOR = "stop_outdoor"
    OTHER = "other"


class ContactRole(StrEnum):
    ENV_OFFICER = "env_officer"
    LEGAL_REP = "legal_rep"
    DUTY_PHONE = "duty_phone"
    OTHER = "other"


# Grades whose holders choose their own measures during a warning (自主减排).
SELF_CHOSEN_GRADES = frozenset({"A+", "A", "引领性"})
GRADES = ("A+", "A", "B", "B-", "C", "D", "引领性", "非引领性")


class Unit(Base):
    """A responsible unit: the command center, a department or a town/street office."""

    __tablename__ = "units"
    # Unique per area, not nationwide: every district has its 区生态环境局.
    __table_args__ = (UniqueConstraint("area_id", "name", name="uq_units_area_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # The district for the command center and departments; the town itself for a town office.
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))

    duties: Mapped[list[UnitDuty]] = relationship(order_by="UnitDuty.position")


class UnitDuty(Base):
    __tablename__ = "unit_duties"
    __table_args__ = (Index("ix_unit_duties_unit_level", "unit_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(20))
    position: Mapped[int]
    duty: Mapped[str] = mapped_column(Text)


class Enterprise(Base):
    """Identity and place; what it must do lives in its list versions."""

    __tablename__ = "enterprises"
    __table_args__ = (Index("ix_enterprises_district_town", "district_id", "town_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    town_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    industry: Mapped[str] = mapped_column(String(100))
    source_type: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    # The version a new warning activates; older versions stay for the warnings that pinned them.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("list_versions.id", use_alter=True, name="fk_enterprises_current_version")
    )


class ListVersion(Base):
    """One revision of an enterprise's list: its grade, baseline and measures at that time."""

    __tablename__ = "list_versions"
    __table_args__ = (UniqueConstraint("enterprise_id", "version", name="uq_list_versions_enterprise_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    version: Mapped[int]
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    grade: Mapped[str | None] = mapped_column(String(20))
    grade_scheme: Mapped[str] = mapped_column(String(50))
    guarantee: Mapped[bool] = mapped_column(Boolean)
    so2_base: Mapped[float] = mapped_column(Float)
    nox_base: Mapped[float] = mapped_column(Float)
    pm_base: Mapped[float] = mapped_column(Float)
    vocs_base: Mapped[float] = mapped_column(Float)
    # Digest of grade, guarantee, baseline and measures: a re-import that changes none of
    # them makes no new version, so an export imports back unchanged.
    content_hash: Mapped[str] = mapped_column(String(64))


class Measure(Base):
    __tablename__ = "measures"
    __table_args__ = (Index("ix_measures_version_level", "list_version_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_version_id: Mapped[int] = mapped_column(ForeignKey("list_versions.id"))
    level: Mapped[str] = mapped_column(String(20))
    position: Mapped[int]
    target: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    limit_pct: Mapped[float | None] = mapped_column(Float)
    so2_cut: Mapped[float] = mapped_column(Float)
    nox_cut: Mapped[float] = mapped_column(Float)
    pm_cut: Mapped[float] = mapped_column(Float)
    vocs_cut: Mapped[float] = mapped_column(Float)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_enterprise_position", "enterprise_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1 = notified first
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(200))


class ImportRecord(Base):
    """One accepted workbook import; every list version it created points here."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
