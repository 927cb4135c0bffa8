"""Rule sets as data: the warning levels, their triggers and required reduction ratios.

A rule set is a TOML file; the shipped ones are under config/rules/, and a path to a file of
one's own works the same way. The trigger evaluator lives with the warning workflow; this module
only loads and checks the data."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Literal
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from config.settings import CONFIG_DIR, ConfigError

RULES_DIR = CONFIG_DIR / "rules"


class Threshold(BaseModel):
    above: int | None = None
    from_: int | None = Field(None, alias="from")

    @model_validator(mode="after")
    def _one_threshold(self) -> "Threshold":
        if (self.above is None) == (self.from_ is None):
            raise ValueError("a trigger needs exactly one of 'above' or 'from'")
        return self

    def holds(self, aqi: int) -> bool:
        return aqi > self.above if self.above is not None else aqi >= self.from_

    @property
    def text(self) -> str:
        return f"AQI > {self.above}" if self.above is not None else f"AQI ≥ {self.from_}"


class Condition(Threshold):
    count: int = Field(1, ge=1)


class Trigger(Threshold):
    """Holds on a run of at least `days` consecutive days over the threshold, within which at
    least `count` days meet each `within` condition (all of them: "and")."""

    days: int = Field(ge=1)
    within: list[Condition] = Field(default_factory=list)

    @property
    def text(self) -> str:
        text = f"{super().text} for {self.days} consecutive days" if self.days > 1 else f"{super().text} on 1 day"
        return text + "".join(f" and {c.text} on at least {c.count} of them" for c in self.within)


class Level(BaseModel):
    key: str
    zh: str
    numeral: str = ""
    required: float = Field(ge=0, le=1)
    triggers: list[Trigger] = Field(default_factory=list)  # alternatives: any one ("or") suffices
    cap_severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"] = "Moderate"  # OASIS CAP 1.2 <severity> of a notice at this level


class RuleSet(BaseModel):
    name: str
    title: str = ""
    trade_so2_nox: bool = False
    # Days whose primary pollutants are all among these bring health advice only, not a warning
    # (ozone and dust episodes); days without a known primary pollutant always count.
    advisory_only: list[str] = Field(default_factory=lambda: ["o3_8h", "pm10"])
    levels: list[Level] = Field(min_length=1)

    def level(self, text: str) -> Level:
        """The level named by its key or Chinese name (黄色 or 黄); raises KeyError."""
        text = text.strip()
        for level in self.levels:
            if text.lower() == level.key or text in (level.zh, level.zh.rstrip("色")):
                return level
        raise KeyError(text)

    @property
    def keys(self) -> list[str]:
        return [level.key for level in self.levels]

    def rank(self, key: str) -> int:
        return self.keys.index(key)


def available() -> list[str]:
    return sorted(p.stem for p in RULES_DIR.glob("*.toml"))


@lru_cache(maxsize=16)
def load(name_or_path: str) -> RuleSet:
    """The rule set shipped under that name, or read from that path; raises ConfigError."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = RULES_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ConfigError(
            f"rule set {name_or_path!r} not found; shipped: {', '.join(available())}, "
            "or give the path of a .toml file"
        )
    try:
        with open(path, "rb") as f:
            return RuleSet.model_validate(tomllib.load(f))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"rule set {path} is invalid: {exc}") from exc
