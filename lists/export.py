"""Writing the workbook: the blank template and the export of the current lists (same layout)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import case, select
from sqlalchemy.orm import Session, aliased

from config.rulesets import RuleSet
from lists.models import Area, Contact, Enterprise, ListVersion, Measure, Unit, UnitDuty
from lists.validate import EXAMPLE_CODE, EXAMPLE_UNIT
from lists.workbook import ACTIONS, ROLES, SHEETS, SOURCE_TYPES, UNIT_KINDS, SheetSpec

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_REQUIRED_FILL = PatternFill("solid", fgColor="C00000")
_EXAMPLE_FONT = Font(italic=True, color="808080")

ZH_SOURCE = {v: k for k, v in SOURCE_TYPES.items()}
ZH_ACTION = {v: k for k, v in ACTIONS.items()}
ZH_ROLE = {v: k for k, v in ROLES.items()}
ZH_KIND = {v: k for k, v in UNIT_KINDS.items()}


def write_workbook(path: Path, rows: dict[str, Iterable[list]], rules: RuleSet, example: bool = False) -> None:
    """Write every sheet of the layout with its header, drop-downs and the given data rows."""
    book = Workbook(write_only=True)
    for spec in SHEETS:
        sheet = book.create_sheet(spec.name)
        _layout(sheet, spec, rules)
        sheet.append(_header(sheet, spec, example))
        for values in rows.get(spec.key, ()):
            if example:
                values = [_styled(sheet, v, _EXAMPLE_FONT) for v in values]
            sheet.append([_text_if_formula_like(sheet, v) for v in values])
    book.save(path)


def _text_if_formula_like(sheet, value):
    """Text that a spreadsheet would take for a formula (= + - @ first) is written as a text cell:
    openpyxl would write "=…" as a live formula, and the export must import back unchanged."""
    if value.__class__ is str and value[:1] in ("=", "+", "-", "@"):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _layout(sheet, spec: SheetSpec, rules: RuleSet) -> None:
    sheet.freeze_panes = "A2"
    levels = ",".join(level.zh for level in rules.levels)
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        choices = levels if column.key == "level" else ",".join(column.choices)
        if choices:
            rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=not column.required,
                                  showErrorMessage=True, errorTitle="无效值 / invalid value",
                                  error=f"请从下拉列表中选择 / choose from the list: {choices}")
            rule.add(f"{letter}2:{letter}1048576")
            sheet.data_validations.append(rule)


def _header(sheet, spec: SheetSpec, example: bool) -> list:
    cells = []
    for column in spec.columns:
        cell = _styled(sheet, column.header, _HEADER_FONT)
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        if example:
            cell.comment = Comment(f"{column.key}{'（必填 required）' if column.required else ''}", "emergency")
        cells.append(cell)
    return cells


def _styled(sheet, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell


def write_template(path: Path, rules: RuleSet) -> None:
    """The blank workbook: headers (required ones in red), drop-downs and one example row a sheet."""
    code, red = EXAMPLE_CODE, rules.levels[-1].zh
    write_workbook(path, {
        "enterprises": [[code, "示例：某某包装印刷有限公司（导入时跳过）", "大兴区", "黄村镇", "包装印刷", "工业源", "B", "否",
                         "北京市大兴区示例路1号", 116.34, 39.73, 1.2, 15.0, 8.5, 42.0]],
        "contacts": [[code, "张三", "环保负责人", "13800000000", "env@example.com", 1]],
        "measures": [[code, red, "1号印刷生产线", "停产", "红色预警期间1号印刷生产线全部停产", None, 0.6, 7.5, 4.2, 21.0]],
        "units": [[EXAMPLE_UNIT, "部门", "大兴区", "李四", "13900000000", "duty@example.com"]],
        "duties": [[EXAMPLE_UNIT, red, "督促辖区施工工地停止土石方作业"]],
    }, rules, example=True)


def export_lists(*, session: Session, path: Path, rules: RuleSet) -> dict[str, int]:
    """Write the current lists to path in the workbook layout; returns the row count per sheet."""
    counts: dict[str, int] = {}

    def counted(key: str, rows: Iterable[list]) -> Iterable[list]:
        counts[key] = 0
        for row in rows:
            counts[key] += 1
            yield row

    write_workbook(path, {
        "enterprises": counted("enterprises", _enterprise_rows(session)),
        "contacts": counted("contacts", _contact_rows(session)),
        "measures": counted("measures", _measure_rows(session, rules)),
        "units": counted("units", _unit_rows(session)),
        "duties": counted("duties", _duty_rows(session, rules)),
    }, rules)
    return counts


def _enterprise_rows(session: Session) -> Iterable[list]:
    district, town = aliased(Area), aliased(Area)
    query = (select(Enterprise.credit_code, Enterprise.name, district.name, town.name, Enterprise.industry,
                    Enterprise.source_type, ListVersion.grade, ListVersion.guarantee, Enterprise.address,
                    Enterprise.lon, Enterprise.lat, ListVersion.so2_base, ListVersion.nox_base,
                    ListVersion.pm_base, ListVersion.vocs_base)
             .join(ListVersion, ListVersion.id == Enterprise.current_version_id)
             .join(district, district.id == Enterprise.district_id).join(town, town.id == Enterprise.town_id)
             .order_by(Enterprise.id))
    for code, name, dist, twn, industry, source, grade, guarantee, *rest in session.execute(query).yield_per(5000):
        yield [code, name, dist, twn, industry, ZH_SOURCE[source], grade, "是" if guarantee else "否", *rest]


def _contact_rows(session: Session) -> Iterable[list]:
    query = (select(Enterprise.credit_code, Contact.name, Contact.role, Contact.mobile, Contact.email, Contact.position)
             .join(Enterprise, Enterprise.id == Contact.enterprise_id).order_by(Contact.enterprise_id, Contact.position))
    for code, name, role, *rest in session.execute(query).yield_per(5000):
        yield [code, name, ZH_ROLE[role], *rest]


def _level_order(rules: RuleSet, column):
    return case({key: rank for rank, key in enumerate(rules.keys)}, value=column, else_=len(rules.keys))


def _measure_rows(session: Session, rules: RuleSet) -> Iterable[list]:
    zh = {level.key: level.zh for level in rules.levels}
    query = (select(Enterprise.credit_code, Measure.level, Measure.target, Measure.action, Measure.description,
                    Measure.limit_pct, Measure.so2_cut, Measure.nox_cut, Measure.pm_cut, Measure.vocs_cut)
             .join(Enterprise, Enterprise.current_version_id == Measure.list_version_id)
             .order_by(Enterprise.id, _level_order(rules, Measure.level), Measure.position))
    for code, level, target, action, *rest in session.execute(query).yield_per(5000):
        yield [code, zh.get(level, level), target, ZH_ACTION[action], *rest]


def _unit_rows(session: Session) -> Iterable[list]:
    parent = aliased(Area)
    query = (select(Unit.name, Unit.kind, Area.kind, Area.name, parent.name, Unit.contact_name, Unit.mobile, Unit.email)
             .join(Area, Area.id == Unit.area_id).outerjoin(parent, parent.id == Area.parent_id).order_by(Unit.id))
    for name, kind, area_kind, area_name, parent_name, *rest in session.execute(query):
        yield [name, ZH_KIND[kind], parent_name if area_kind == "town" else area_name, *rest]


def _duty_rows(session: Session, rules: RuleSet) -> Iterable[list]:
    zh = {level.key: level.zh for level in rules.levels}
    query = (select(Unit.name, UnitDuty.level, UnitDuty.duty).join(Unit, Unit.id == UnitDuty.unit_id)
             .order_by(Unit.id, _level_order(rules, UnitDuty.level), UnitDuty.position))
    for name, level, duty in session.execute(query):
        yield [name, zh.get(level, level), duty]
