"""One typed settings object, read from EMERGENCY_* environment variables, plus the TOML
configuration (shipped defaults under config/, overridden by the file EMERGENCY_CONFIG names)."""
from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
POLLUTANTS = ("so2", "nox", "pm", "vocs")


class AreaConfig(BaseModel):
    """Per-area overrides: an emission inventory as the adequacy base, and required ratios."""

    inventory: dict[str, float] = Field(default_factory=dict)
    required: dict[str, float] = Field(default_factory=dict)

    @field_validator("inventory")
    @classmethod
    def _known_pollutants(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(POLLUTANTS)
        if unknown:
            raise ValueError(f"unknown pollutant(s) {sorted(unknown)}; use {list(POLLUTANTS)}")
        if any(v <= 0 for v in value.values()):
            raise ValueError("inventory totals must be positive (kg/day)")
        return value


class CapConfig(BaseModel):
    """How the warning notices read as OASIS CAP 1.2 messages."""

    sender: str = Field("command-center@example.org", pattern=r"^[^\s,<&]+$")
    sender_name: str = "空气重污染应急指挥部"


CHANNELS = ("sms", "voice", "email")


class NotifyConfig(BaseModel):
    """Who gets which channel, and how fast and how often the dispatch worker may send."""

    language: str = Field("zh", pattern="^(zh|en)$")
    channels: dict[str, list[str]] = Field(default_factory=lambda: {"enterprise": ["sms", "email"],
                                                                   "unit": ["sms", "email"]})
    rate: dict[str, float] = Field(default_factory=lambda: {"sms": 50.0, "voice": 5.0, "email": 20.0})
    per_recipient_per_day: int = Field(40, ge=1)
    concurrency: int = Field(8, ge=1, le=256)
    batch: int = Field(200, ge=1, le=10_000)
    max_attempts: int = Field(5, ge=1)
    backoff_seconds: int = Field(30, ge=1)
    claim_timeout_seconds: int = Field(60, ge=10)  # the lease a live worker renews every third of it
    sms_max_segments: int = Field(2, ge=1)
    # Addresses (E.164 numbers, emails) that receive practice (drill) messages for real; every other
    # practice message goes to the simulator.
    practice_allow: list[str] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for who, channels in value.items():
            if who not in ("enterprise", "unit"):
                raise ValueError(f"notify.channels: unknown recipient kind {who!r}; use enterprise or unit")
            if unknown := set(channels) - set(CHANNELS):
                raise ValueError(f"notify.channels.{who}: unknown channel(s) {sorted(unknown)}; use {list(CHANNELS)}")
        return value

    @field_validator("rate")
    @classmethod
    def _positive_rates(cls, value: dict[str, float]) -> dict[str, float]:
        if bad := [c for c, r in value.items() if c not in CHANNELS or r <= 0]:
            raise ValueError(f"notify.rate: {bad} must be channels among {list(CHANNELS)} with a rate > 0 (messages/s)")
        return value


class Step(BaseModel):
    """One rung of an escalation ladder: `after` minutes without confirmation, do `action`."""

    after: int = Field(ge=1)
    action: str = Field(pattern="^(remind|call|town|command)$")


class ListsConfig(BaseModel):
    """Limits a workbook must keep to before it is read (a small .xlsx can unpack to gigabytes)."""

    max_unpacked_mb: int = Field(1536, ge=1)  # 100,000 enterprises unpack to about 450 MB
    max_rows: int = Field(2_000_000, ge=1)
    max_cell_chars: int = Field(2000, ge=10)


class AuthConfig(BaseModel):
    """Sessions, API tokens and the throttling of failed sign-ins."""

    session_idle_minutes: int = Field(120, ge=1)
    session_hours: float = Field(12, gt=0)
    token_hours: float = Field(12, gt=0)
    throttle_minutes: int = Field(15, ge=1)
    failures_per_username: int = Field(5, ge=1)
    failures_per_client: int = Field(20, ge=1)


UNIT_KINDS = ("command", "department", "town")


class ReportsConfig(BaseModel):
    """The daily report, due the next morning during a warning, and the post-event assessment, due
    the day after it ends: when the scheduler makes them (local time) and which units it tells, how."""

    daily_at: str = Field("10:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    recipients: list[str] = Field(default_factory=lambda: ["command"])  # unit kinds: the command center
    channels: list[str] = Field(default_factory=lambda: ["email"])

    @field_validator("recipients")
    @classmethod
    def _unit_kinds(cls, value: list[str]) -> list[str]:
        if unknown := set(value) - set(UNIT_KINDS):
            raise ValueError(f"reports.recipients: unknown unit kind(s) {sorted(unknown)}; use {list(UNIT_KINDS)}")
        return value

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        if unknown := set(value) - {"sms", "email"}:
            raise ValueError(f"reports.channels: {sorted(unknown)} cannot carry a report; use sms and/or email")
        return value


class AppConfig(BaseModel):
    rules: str = "national-2024"
    grade_scheme: str = "2026"
    areas: dict[str, AreaConfig] = Field(default_factory=dict)
    cap: CapConfig = Field(default_factory=CapConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    escalation: dict[str, list[Step]] = Field(default_factory=dict)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    lists: ListsConfig = Field(default_factory=ListsConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)

    @field_validator("escalation")
    @classmethod
    def _ordered(cls, value: dict[str, list[Step]]) -> dict[str, list[Step]]:
        for level, steps in value.items():
            if [s.after for s in steps] != sorted({s.after for s in steps}):
                raise ValueError(f"escalation.{level}: steps must be in increasing order of `after`, each once")
        return value


def http_base(value: str) -> str:
    """An http(s) URL without its trailing slash. Raises ValueError."""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.rstrip("/")


HttpBase = Annotated[str, AfterValidator(http_base)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMERGENCY_", extra="ignore")

    database_url: str = "sqlite:///emergency.db"
    timezone: str = "Asia/Shanghai"
    config: Path | None = None
    # Signs the confirmation links and staff sessions. When unset, a random key is made once and
    # kept in the database, so that every process of one installation shares it.
    secret_key: SecretStr | None = None
    # The base URL that providers call back and that links in messages use.
    public_url: HttpBase = "http://127.0.0.1:8000"
    # Inspection photos (named by SHA-256; only the database says who may see them).
    media_dir: Path = Path("media")
    # Each provider's settings (EMERGENCY_<PROVIDER>__…) are read by alerts.providers.settings: config knows none.

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def app(self) -> AppConfig:
        """The shipped defaults merged with the EMERGENCY_CONFIG file. Raises ConfigError."""
        data = _read_toml(CONFIG_DIR / "defaults.toml")
        if self.config is not None:
            data = _merge(data, _read_toml(self.config))
        try:
            return AppConfig.model_validate(data)
        except ValueError as exc:
            raise ConfigError(f"configuration is invalid: {exc}") from exc


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
