"""What a validated workbook will write: plain records, no database."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from lists.issues import Issue, Severity

Cuts = tuple[float, float, float, float]  # so2, nox, pm, vocs (kg/day)


@dataclass(slots=True)
class EnterpriseIn:
    row: int
    credit_code: str
    name: str
    district: str
    town: str
    industry: str
    source_type: str
    address: str | None
    lon: float | None
    lat: float | None


@dataclass(slots=True)
class ListIn:
    """The version-level content of an enterprise's list, less its measures."""

    grade: str | None
    grade_scheme: str
    guarantee: bool
    bases: Cuts


@dataclass(slots=True)
class MeasureIn:
    row: int
    level: str
    target: str
    action: str
    description: str
    limit_pct: float | None
    cuts: Cuts


@dataclass(slots=True)
class ContactIn:
    row: int
    name: str
    role: str
    mobile: str | None
    email: str | None
    order: int | None


@dataclass(slots=True)
class UnitIn:
    row: int
    name: str
    kind: str
    district: str
    contact: str
    mobile: str | None
    email: str | None


@dataclass(slots=True)
class DutyIn:
    row: int
    level: str
    duty: str


@dataclass
class Plan:
    enterprises: dict[str, EnterpriseIn] = field(default_factory=dict)
    lists: dict[str, ListIn] = field(default_factory=dict)  # every code that gets a new list
    measures: dict[str, list[MeasureIn]] = field(default_factory=dict)
    contacts: dict[str, list[ContactIn]] = field(default_factory=dict)  # codes whose contacts are replaced
    units: dict[str, UnitIn] = field(default_factory=dict)
    duties: dict[str, list[DutyIn]] | None = None  # None: the workbook has no 单位职责 sheet
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    def measure_count(self) -> int:
        return sum(len(m) for m in self.measures.values())

    def contact_count(self) -> int:
        return sum(len(c) for c in self.contacts.values())


def content_hash(lst: ListIn, measures: list[MeasureIn]) -> str:
    """Digest of what a list version holds; equal digests mean nothing changed.

    Measures are taken level by level, each level in file order, so that a workbook listing its
    levels interleaved and its export (grouped by level) digest the same."""
    measures = sorted(measures, key=lambda m: m.level)
    payload = [lst.grade, lst.grade_scheme, lst.guarantee, [float(b) for b in lst.bases],
               [[m.level, m.target, m.action, m.description,
                 None if m.limit_pct is None else float(m.limit_pct), [float(c) for c in m.cuts]]
                for m in measures]]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()
