"""The console's words, one catalogue per language: `zh/*.toml` and `en/*.toml`, a file per page
(`forecast.toml` holds the keys `forecast.…`). Templates call `t("forecast.title", n=3)`; values
are `str.format` strings. Chinese is the default; both catalogues must hold the same keys (tested)."""
from __future__ import annotations

import logging
import tomllib
from functools import cache
from pathlib import Path

from markupsafe import Markup

HERE = Path(__file__).resolve().parent
LANGUAGES = ("zh", "en")
DEFAULT = "zh"
NAMES = {"zh": "中文", "en": "English"}

log = logging.getLogger(__name__)


def _flatten(prefix: str, table: dict, into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(name, value, into)
        else:
            into[name] = str(value)


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every key of one language, from its folder."""
    found: dict[str, str] = {}
    for path in sorted((HERE / language).glob("*.toml")):
        with path.open("rb") as f:
            _flatten(path.stem, tomllib.load(f), found)
    return found


def normal(language: str | None) -> str:
    """A supported language from a stored preference or an Accept-Language value (zh by default)."""
    for part in (language or "").replace(" ", "").split(","):
        code = part.split(";")[0].split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT


class Translator:
    """`t(key, **values)` in one language; a missing key is logged and shown as the key itself."""

    def __init__(self, language: str):
        self.language = normal(language)
        self.words = catalogue(self.language)

    def __call__(self, key: str, **values) -> str:
        text = self.words.get(key)
        if text is None:
            log.warning("missing %s translation for %s", self.language, key)
            return key
        if any(isinstance(v, Markup) for v in values.values()):
            return Markup.escape(text).format(**values)  # a value already HTML (a macro's output): keep it so
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.words
