"""The reduction-list workbook layout (../shared/spec/workbook.md) and reading it into rows.

Reading knows nothing of the rules: it finds the sheets and the header row, maps headers
(Chinese, or the English key) to keys, and hands over every non-empty row with its Excel row
number. The rules are in lists/validate.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lists.issues import Issue


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False
    choices: tuple[str, ...] = ()  # offered as a drop-down in the template and export
    width: int = 14
    text: bool = False  # formatted as text in Excel, so codes and phone numbers keep digits


@dataclass(frozen=True)
class SheetSpec:
    name: str
    key: str
    required: bool
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


LEVEL_CHOICES = ("黄色", "橙色", "红色")
SOURCE_TYPES = {"工业源": "industrial", "扬尘源": "dust", "移动源": "mobile"}
ACTIONS = {"停产": "stop", "限产": "limit", "停止运输": "stop_transport", "停止露天作业": "stop_outdoor", "其他": "other"}
ROLES = {"环保负责人": "env_officer", "法定代表人": "legal_rep", "值班电话": "duty_phone", "其他": "other"}
UNIT_KINDS = {"指挥部": "command", "部门": "department", "街道乡镇": "town"}
YES_NO = {"是": True, "否": False}

ENTERPRISES = SheetSpec("企业", "enterprises", True, (
    Column("统一社会信用代码", "credit_code", True, width=22, text=True),
    Column("企业名称", "name", True, width=30),
    Column("所属区", "district", True),
    Column("街道乡镇", "town", True),
    Column("行业", "industry", True),
    Column("源类型", "source_type", True, tuple(SOURCE_TYPES)),
    Column("绩效等级", "grade", False, ("A+", "A", "B", "B-", "C", "D", "引领性", "非引领性")),
    Column("保障类", "guarantee", False, tuple(YES_NO)),
    Column("地址", "address", False, width=30),
    Column("经度", "lon"),
    Column("纬度", "lat"),
    Column("SO2基数", "so2_base", True),
    Column("NOx基数", "nox_base", True),
    Column("颗粒物基数", "pm_base", True),
    Column("VOCs基数", "vocs_base", True),
))
CONTACTS = SheetSpec("联系人", "contacts", True, (
    Column("统一社会信用代码", "credit_code", True, width=22, text=True),
    Column("姓名", "name", True),
    Column("角色", "role", True, tuple(ROLES)),
    Column("手机", "mobile", False, width=18, text=True),
    Column("邮箱", "email", False, width=26),
    Column("顺序", "order", False, width=8),
))
MEASURES = SheetSpec("措施", "measures", True, (
    Column("统一社会信用代码", "credit_code", True, width=22, text=True),
    Column("预警级别", "level", True, LEVEL_CHOICES),
    Column("对象", "target", True, width=20),
    Column("措施类型", "action", True, tuple(ACTIONS)),
    Column("措施内容", "description", True, width=40),
    Column("限产比例", "limit_pct"),
    Column("SO2减排量", "so2_cut", True),
    Column("NOx减排量", "nox_cut", True),
    Column("颗粒物减排量", "pm_cut", True),
    Column("VOCs减排量", "vocs_cut", True),
))
UNITS = SheetSpec("单位", "units", False, (
    Column("单位名称", "name", True, width=26),
    Column("单位类型", "kind", True, tuple(UNIT_KINDS)),
    Column("所属区", "district", True),
    Column("联系人", "contact", True),
    Column("手机", "mobile", False, width=18, text=True),
    Column("邮箱", "email", False, width=26),
))
DUTIES = SheetSpec("单位职责", "duties", False, (
    Column("单位名称", "unit", True, width=26),
    Column("预警级别", "level", True, LEVEL_CHOICES),
    Column("职责内容", "duty", True, width=60),
))
SHEETS = (ENTERPRISES, CONTACTS, MEASURES, UNITS, DUTIES)


@dataclass
class Sheet:
    """A sheet's data rows as dicts keyed by column key, each with its Excel row number."""

    spec: SheetSpec
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    present: bool = True


def sheets_from_records(records: dict[str, list[dict[str, Any]]]) -> dict[str, Sheet]:
    """Sheets built from in-memory records (as the demo makes them), numbered as Excel would."""
    return {
        spec.key: Sheet(spec, [(i + 2, row) for i, row in enumerate(records.get(spec.key, []))],
                        present=spec.key in records)
        for spec in SHEETS
    }


def read_workbook(path: Path, issues: list[Issue], cell_chars: int = 2000) -> dict[str, Sheet]:
    """The sheets of the workbook at path; problems with its structure are added to issues."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        issues.append(Issue.error("", 0, "", f"无法读取工作簿：{exc}", f"cannot read the workbook: {exc}"))
        return {}
    names = {name.strip(): name for name in book.sheet_names}
    sheets: dict[str, Sheet] = {}
    for spec in SHEETS:
        found = names.get(spec.name) or names.get(spec.key)
        if found is None:
            if spec.required:
                issues.append(Issue.error(spec.name, 0, "", f"缺少必需的工作表“{spec.name}”",
                                          f"required sheet '{spec.name}' ({spec.key}) is missing"))
            sheets[spec.key] = Sheet(spec, present=False)
            continue
        grid = book.get_sheet_by_name(found).to_python(skip_empty_area=False)
        sheets[spec.key] = _read_sheet(spec, grid, issues, cell_chars)
    return sheets


def _read_sheet(spec: SheetSpec, grid: list[list[Any]], issues: list[Issue], cell_chars: int = 2000) -> Sheet:
    if not grid:
        issues.append(Issue.error(spec.name, 1, "", "工作表为空，缺少表头行", "the sheet is empty: no header row"))
        return Sheet(spec)
    positions = _map_headers(spec, grid[0], issues)
    sheet = Sheet(spec)
    if positions is None:
        return sheet
    keys, columns = list(positions), list(positions.values())
    for index, cells in enumerate(grid[1:], start=2):
        values = [_clean(cells[i]) for i in columns]  # calamine rows are as wide as the sheet
        if all(v is None for v in values):
            continue
        for key, value in zip(keys, values):
            if value.__class__ is str and len(value) > cell_chars:
                header = spec.column(key).header
                issues.append(Issue.error(spec.name, index, header, f"内容过长（{len(value)} 字，上限 {cell_chars}）",
                                          f"too long: {len(value)} characters, at most {cell_chars}"))
        sheet.rows.append((index, dict(zip(keys, values))))
    return sheet


def _map_headers(spec: SheetSpec, header_row: list[Any], issues: list[Issue]) -> dict[str, int] | None:
    by_name = {c.header: c.key for c in spec.columns} | {c.key: c.key for c in spec.columns}
    positions: dict[str, int] = {}
    for i, cell in enumerate(header_row):
        text = str(cell).strip() if not _blank(cell) else ""
        if not text:
            continue
        key = by_name.get(text) or by_name.get(text.lower())
        if key is None:
            issues.append(Issue.warning(spec.name, 1, text, f"未知列“{text}”已忽略",
                                        f"unknown column '{text}' ignored"))
        elif key in positions:
            issues.append(Issue.error(spec.name, 1, text, f"列“{text}”重复", f"column '{text}' appears twice"))
        else:
            positions[key] = i
    missing = [c for c in spec.columns if c.required and c.key not in positions]
    for column in missing:
        issues.append(Issue.error(spec.name, 1, column.header, f"缺少必需的列“{column.header}”",
                                  f"required column '{column.header}' ({column.key}) is missing"))
    return None if missing else positions


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(value: Any) -> Any:
    if value.__class__ is str:
        return value.strip() or None
    return value
