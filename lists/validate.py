"""The workbook's rules: every row checked, every problem reported with its place.

validate() turns sheets into a Plan. It never touches the database; what it needs to know of
stored data (enterprises and units a workbook may refer to) comes through a Stored lookup."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from config.rulesets import RuleSet
from lists import creditcode
from lists.cells import Row
from lists.checks import check_lists
from lists.issues import Issue
from lists.models import GRADES
from lists.plan import ContactIn, DutyIn, EnterpriseIn, ListIn, MeasureIn, Plan, UnitIn
from lists.workbook import (ACTIONS, CONTACTS, DUTIES, ENTERPRISES, MEASURES, ROLES, SOURCE_TYPES,
                            UNIT_KINDS, UNITS, YES_NO, Sheet)

# The template's example rows carry these; an import skips them rather than load a sample.
EXAMPLE_CODE = creditcode.make("91", "110115", "00000000")
EXAMPLE_UNIT = "示例单位（导入时跳过）"
POLLUTANT_KEYS = ("so2", "nox", "pm", "vocs")


class Stored(Protocol):
    def lists(self, codes: Iterable[str]) -> dict[str, ListIn]:
        """The current list of each stored enterprise among codes."""

    def unit_names(self, names: Iterable[str]) -> set[str]:
        """Those of names that are stored units."""


def validate(sheets: dict[str, Sheet], *, rules: RuleSet, grade_scheme: str, stored: Stored,
             issues: list[Issue] | None = None) -> Plan:
    """The plan for these sheets; plan.errors is empty when it may be written."""
    plan = Plan(issues=issues if issues is not None else [])
    levels = _level_names(rules)
    # A row with a bad cell still names its enterprise: its contacts and measures are not "unknown".
    known = _enterprises(plan, sheets["enterprises"], grade_scheme)
    referenced = {_code(cells) for _, cells in sheets["contacts"].rows + sheets["measures"].rows}
    stored_lists = stored.lists(c for c in referenced - known if c)
    _contacts(plan, sheets["contacts"], known | set(stored_lists))
    _measures(plan, sheets["measures"], known | set(stored_lists), levels)
    for code in plan.measures.keys() - known:
        plan.lists[code] = stored_lists[code]
    for code in plan.enterprises:
        plan.contacts.setdefault(code, [])
        plan.measures.setdefault(code, [])
    _units(plan, sheets["units"])
    if sheets["duties"].present:
        _duties(plan, sheets["duties"], set(plan.units) | stored.unit_names(
            cells.get("unit") for _, cells in sheets["duties"].rows if cells.get("unit")), levels)
        for name in plan.units:
            plan.duties.setdefault(name, [])
    check_lists(plan, rules)
    return plan


def _code(cells: dict[str, Any]) -> str | None:
    value = cells.get("credit_code")
    return str(value).strip().upper() if value is not None else None


def _level_names(rules: RuleSet) -> dict[str, str]:
    names: dict[str, str] = {}
    for level in rules.levels:
        names[level.zh] = names[level.zh.rstrip("色")] = names[level.key] = level.key
    return names


def _enterprises(plan: Plan, sheet: Sheet, grade_scheme: str) -> set[str]:
    """Add the valid rows to plan; returns every valid credit code the sheet names."""
    first_row: dict[str, int] = {}
    grades = {g: g for g in GRADES}
    for number, cells in sheet.rows:
        row = Row(ENTERPRISES, number, cells, plan.issues)
        if _skip_example(row, "credit_code", EXAMPLE_CODE):
            continue
        code = _credit_code(row)
        if code is not None and code in first_row:
            row.error("credit_code", f"统一社会信用代码重复（与第{first_row[code]}行相同）",
                      f"duplicate credit code (same as row {first_row[code]})")
        elif code is not None:
            first_row[code] = number
        values = dict(
            name=row.text("name"), district=row.text("district"), town=row.text("town"),
            industry=row.text("industry"), source_type=row.choice("source_type", SOURCE_TYPES),
            address=row.text("address", required=False),
            lon=row.number("lon", required=False, low=73, high=136),
            lat=row.number("lat", required=False, low=3, high=54),
        )
        grade = row.choice("grade", grades, required=False)
        guarantee = row.choice("guarantee", YES_NO, required=False)
        bases = tuple(row.number(f"{p}_base") for p in POLLUTANT_KEYS)
        if row.ok and code is not None:
            plan.enterprises[code] = EnterpriseIn(number, code, **values)
            plan.lists[code] = ListIn(grade, grade_scheme, bool(guarantee), bases)
    return set(first_row)


def _credit_code(row: Row) -> str | None:
    code = row.text("credit_code")
    if code is None:
        return None
    code = code.upper()
    problem = creditcode.problem(code)
    if problem:
        row.error("credit_code", f"统一社会信用代码“{code}”无效：{problem[0]}",
                  f"credit code '{code}' is invalid: {problem[1]}")
        return None
    return code


def _skip_example(row: Row, key: str, example: str) -> bool:
    """True, with a warning, when the row is the template's example row."""
    value = row.cells.get(key)
    if value is None or str(value).strip().upper() != example:
        return False
    row.warning(key, "模板示例行已跳过", "the template's example row was skipped")
    return True


def _known_code(row: Row, known: set[str], what: tuple[str, str]) -> str | None:
    code = row.text("credit_code")
    if code is None:
        return None
    code = code.upper()
    if code not in known:
        row.error("credit_code", f"{what[0]}所属企业“{code}”不在本工作簿的企业表中，也未在系统中登记",
                  f"{what[1]} for enterprise '{code}', which is neither in the 企业 sheet nor stored")
        return None
    return code


def _contacts(plan: Plan, sheet: Sheet, known: set[str]) -> None:
    for number, cells in sheet.rows:
        row = Row(CONTACTS, number, cells, plan.issues)
        if _skip_example(row, "credit_code", EXAMPLE_CODE):
            continue
        code = _known_code(row, known, ("联系人", "contact"))
        name, role = row.text("name"), row.choice("role", ROLES)
        mobile, email = row.mobile("mobile"), row.email("email")
        row.reachable()
        order = row.number("order", required=False, low=1, high=10_000)
        if order is not None and not order.is_integer():
            row.error("order", f"顺序应为正整数（{order:g}）", f"order must be a whole number (got {order:g})")
        if row.ok and code is not None:
            plan.contacts.setdefault(code, []).append(
                ContactIn(number, name, role, mobile, email, None if order is None else int(order)))
    for contacts in plan.contacts.values():
        # An explicit order comes first, then file order.
        contacts.sort(key=lambda c: (c.order is None, c.order or 0, c.row))


def _measures(plan: Plan, sheet: Sheet, known: set[str], levels: dict[str, str]) -> None:
    for number, cells in sheet.rows:
        row = Row(MEASURES, number, cells, plan.issues)
        if _skip_example(row, "credit_code", EXAMPLE_CODE):
            continue
        code = _known_code(row, known, ("措施", "measure"))
        level = _level(row, levels)
        action = row.choice("action", ACTIONS)
        values = dict(target=row.text("target"), description=row.text("description"))
        limit_pct = row.number("limit_pct", required=False, high=100)
        if action == "limit" and limit_pct is None and cells.get("limit_pct") is None:
            row.error("limit_pct", "措施类型为限产时必须填写限产比例", "a 限产 (limit) measure needs 限产比例 (limit_pct)")
        cuts = tuple(row.number(f"{p}_cut") for p in POLLUTANT_KEYS)
        if row.ok and code is not None:
            plan.measures.setdefault(code, []).append(
                MeasureIn(number, level, action=action, limit_pct=limit_pct, cuts=cuts, **values))


def _level(row: Row, levels: dict[str, str]) -> str | None:
    text = row.text("level")
    if text is None:
        return None
    key = levels.get(text) or levels.get(text.lower())
    if key is None:
        allowed = " / ".join(k for k in levels if k.endswith("色"))
        row.error("level", f"预警级别“{text}”无效（当前规则可选：{allowed}）",
                  f"unknown warning level '{text}' for the rule set in force (use: {allowed})")
    return key


def _units(plan: Plan, sheet: Sheet) -> None:
    first_row: dict[str, int] = {}
    for number, cells in sheet.rows:
        row = Row(UNITS, number, cells, plan.issues)
        if _skip_example(row, "name", EXAMPLE_UNIT):
            continue
        name = row.text("name")
        if name is not None and name in first_row:
            row.error("name", f"单位名称重复（与第{first_row[name]}行相同）", f"duplicate unit name (same as row {first_row[name]})")
        elif name is not None:
            first_row[name] = number
        values = dict(kind=row.choice("kind", UNIT_KINDS), district=row.text("district"),
                      contact=row.text("contact"), mobile=row.mobile("mobile"), email=row.email("email"))
        row.reachable()
        if row.ok and name is not None:
            plan.units[name] = UnitIn(number, name, **values)


def _duties(plan: Plan, sheet: Sheet, known_units: set[str], levels: dict[str, str]) -> None:
    plan.duties = {}
    for number, cells in sheet.rows:
        row = Row(DUTIES, number, cells, plan.issues)
        if _skip_example(row, "unit", EXAMPLE_UNIT):
            continue
        unit = row.text("unit")
        if unit is not None and unit not in known_units:
            row.error("unit", f"单位“{unit}”不在单位表中，也未在系统中登记",
                      f"unit '{unit}' is neither in the 单位 sheet nor stored")
        level, duty = _level(row, levels), row.text("duty")
        if row.ok:
            plan.duties.setdefault(unit, []).append(DutyIn(number, level, duty))
