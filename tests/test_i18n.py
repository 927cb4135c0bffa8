"""The console's catalogues: both languages hold the same keys with the same placeholders, and
every key a template names literally exists (a missing one would show as its key on the page)."""
from __future__ import annotations

import re
import string
from pathlib import Path

from emergency.web import i18n

TEMPLATES = Path(i18n.__file__).resolve().parent.parent / "templates"
LITERAL = re.compile(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["'](?!\s*~)""")
PREFIX = re.compile(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z0-9_.]*\.)["']\s*~""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders():
    zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
    assert sorted(set(zh) - set(en)) == [], "keys missing in English"
    assert sorted(set(en) - set(zh)) == [], "keys missing in Chinese"
    differing = [k for k in zh if placeholders(zh[k]) != placeholders(en[k])]
    assert differing == []


def test_every_literal_key_in_the_templates_exists():
    words = i18n.catalogue("zh")
    missing = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        missing += [f"{path.relative_to(TEMPLATES)}: {key}" for key in LITERAL.findall(text) if key not in words]
        missing += [f"{path.relative_to(TEMPLATES)}: {key}…" for key in PREFIX.findall(text)
                    if not any(k.startswith(key) for k in words)]
    assert missing == []


def test_the_switch_falls_back_to_chinese_and_reads_accept_language():
    assert i18n.normal(None) == "zh"
    assert i18n.normal("en-US,en;q=0.9") == "en"
    assert i18n.normal("fr-FR, de") == "zh"
    t = i18n.Translator("en")
    assert t("common.nav.home") == "Home" and t("no.such.key") == "no.such.key"
