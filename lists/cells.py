"""Reading one row's cells into typed values, recording an Issue for each bad cell."""
from __future__ import annotations

import math
import re
from typing import Any

from lists.issues import Issue
from lists.workbook import SheetSpec

MOBILE_CN = re.compile(r"^(?:\+?86)?(1\d{10})$")
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")


class Row:
    """One data row of a sheet; each reader returns None and records an Issue when the cell is bad."""

    __slots__ = ("spec", "line", "cells", "issues", "ok")

    def __init__(self, spec: SheetSpec, line: int, cells: dict[str, Any], issues: list[Issue]):
        self.spec, self.line, self.cells, self.issues = spec, line, cells, issues
        self.ok = True

    def error(self, key: str, zh: str, en: str) -> None:
        header = self.spec.column(key).header if key else ""
        self.issues.append(Issue.error(self.spec.name, self.line, header, zh, en))
        self.ok = False

    def warning(self, key: str, zh: str, en: str) -> None:
        header = self.spec.column(key).header if key else ""
        self.issues.append(Issue.warning(self.spec.name, self.line, header, zh, en))

    def missing(self, key: str) -> None:
        self.error(key, "必填项为空", "required value is missing")

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.cells.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    def number(self, key: str, required: bool = True, low: float = 0.0, high: float = math.inf) -> float | None:
        value = self.cells.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.error(key, f"“{value}”不是数字", f"'{value}' is not a number")
            return None
        try:
            number = float(value)
        except ValueError:
            self.error(key, f"“{value}”不是数字", f"'{value}' is not a number")
            return None
        if not math.isfinite(number):
            self.error(key, f"“{value}”不是有效数字", f"'{value}' is not a finite number")
        elif number < low or number > high:
            if high == math.inf:
                self.error(key, f"不能为负数（{value}）", f"must not be negative (got {value})")
            else:
                self.error(key, f"应在{low:g}–{high:g}之间（{value}）", f"must be between {low:g} and {high:g} (got {value})")
        else:
            return number
        return None

    def choice(self, key: str, mapping: dict[str, Any], required: bool = True) -> Any:
        """The value for a cell that must be one of mapping's Chinese names or English keys."""
        text = self.text(key, required)
        if text is None:
            return None
        if text in mapping:
            return mapping[text]
        reverse = {str(v).lower(): v for v in mapping.values()}
        if text.lower() in reverse:
            return reverse[text.lower()]
        allowed = " / ".join(mapping)
        self.error(key, f"“{text}”不是有效值，可选：{allowed}", f"'{text}' is not allowed; use one of: {allowed}")
        return None

    def mobile(self, key: str) -> str | None:
        """A phone number in E.164 (+86 added to an 11-digit mainland mobile)."""
        text = self.text(key, required=False)
        if text is None:
            return None
        compact = _PHONE_NOISE.sub("", text)
        if compact.startswith("0086"):
            compact = "+" + compact[2:]
        match = MOBILE_CN.match(compact)
        if match:
            return "+86" + match.group(1)
        if E164.match(compact) and not compact.startswith("+86"):  # +86 must be a mobile, matched above
            return compact
        self.error(key, f"手机号“{text}”无效：应为11位手机号（以1开头，可带+86）或E.164格式",
                   f"bad mobile number '{text}': use 11 digits starting with 1 (optional +86) or E.164")
        return None

    def reachable(self) -> None:
        """A contact needs a mobile number or an email address (a bad one is reported by its reader)."""
        if self.cells.get("mobile") is None and self.cells.get("email") is None:
            self.error("mobile", "手机和邮箱至少填写一项", "give a mobile number or an email address (or both)")

    def email(self, key: str) -> str | None:
        text = self.text(key, required=False)
        if text is None:
            return None
        if not EMAIL.match(text):
            self.error(key, f"邮箱“{text}”格式无效", f"bad email address '{text}'")
            return None
        return text
