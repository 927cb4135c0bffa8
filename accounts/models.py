"""Staff who sign in, the sessions and API tokens they hold, and failed sign-ins (for throttling)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from config.db import Base, UTCDateTime


class Role(StrEnum):
    DUTY_OFFICER = "duty_officer"  # 值班员: forecasts, drafts, change and lift requests, list imports
    COMMANDER = "commander"  # 指挥部负责人: approves or rejects requests, never their own
    OFFICE = "office"  # 指挥部办公室: reminders, escalation, inspections, reports
    INSPECTOR = "inspector"  # 督查员: inspections in their area
    VIEWER = "viewer"
    ADMIN = "admin"  # users; everything the office may


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    # A district or town/street: the user sees and acts there (and inside it); None = city-level, all.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(5))  # the console's language (zh, en); None = zh
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TokenKind(StrEnum):
    SESSION = "session"  # the browser's cookie: idle timeout, absolute lifetime, CSRF token
    API = "api"  # a bearer token: fixed lifetime


class AuthToken(Base):
    """A signed-in session or an API token. Only a digest of the secret is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed sign-in; kept in the database so that throttling holds across web processes."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_at", "username", "at"),
                      Index("ix_login_failures_client_at", "client", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(50))
    client: Mapped[str] = mapped_column(String(100))
