"""Rule sets as data: the warning levels, their triggers and required reduction ratios.

A rule set is a TOML file; the shipped ones are under config/rules/, and a path to a file of
one's own works the same way. The trigger evaluator lives with the warning workflow; this module
only loads and checks the data."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from config.settings import CONFIG_DIR, ConfigError

RULES_DIR = CONFIG_DIR / "rules"


class Condition(BaseModel):
    count: int = Field(1, ge=1)
    above: int | None = None
    from_: int | None = Field(None, alias="from")


class Trigger(BaseModel):
    days: int = Field(ge=1)
    above: int | None = None
    from_: int | None = Field(None, alias="from")
    within: list[Condition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_threshold(self) -> "Trigger":
        if (self.above is None) == (self.from_ is None):
            raise ValueError("a trigger needs exactly one of 'above' or 'from'")
        return self


class Level(BaseModel):
    key: str
    zh: str
    numeral: str = ""
    required: float = Field(ge=0, le=1)
    triggers: list[Trigger] = Field(default_factory=list)


class RuleSet(BaseModel):
    name: str
    title: str = ""
    trade_so2_nox: bool = False
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
