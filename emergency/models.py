"""Staff of the command center who log in: duty officers, commanders, the office."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from config.db import Base, UTCDateTime


class Role(StrEnum):
    DUTY_OFFICER = "duty_officer"  # 值班员: drafts warnings
    COMMANDER = "commander"  # 指挥部负责人: approves them
    OFFICE = "office"  # 指挥部办公室: follows up, inspections, reports
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
