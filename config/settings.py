"""One typed settings object, read from EMERGENCY_* environment variables, plus the TOML
configuration (shipped defaults under config/, overridden by the file EMERGENCY_CONFIG names)."""
from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator
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


class AppConfig(BaseModel):
    rules: str = "national-2024"
    grade_scheme: str = "2026"
    areas: dict[str, AreaConfig] = Field(default_factory=dict)
    cap: CapConfig = Field(default_factory=CapConfig)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMERGENCY_", extra="ignore")

    database_url: str = "sqlite:///emergency.db"
    timezone: str = "Asia/Shanghai"
    config: Path | None = None

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
