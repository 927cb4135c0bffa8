"""The laggards list as a workbook the office hands on (to a town office, upward): one row per
enterprise of the current filter with its inspections and violations in this warning, Chinese
headers, the header row frozen, times in the command center's zone as real date cells; a count of
violations stands out in red."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

# (header, width): the order of the columns.
COLUMNS = (("统一社会信用代码", 22), ("企业名称", 32), ("乡镇街道", 12), ("行业", 14), ("绩效分级", 9), ("自主减排", 9),
           ("状态", 12), ("已收到时间", 17), ("已落实时间", 17), ("已落实措施", 10), ("措施总数", 9),
           ("联系人及电话", 34), ("发送情况", 26), ("督查次数", 9), ("违规次数", 9))
STATUS_ZH = {"pending": "排队中", "sending": "发送中", "sent": "已发送", "delivered": "已送达", "failed": "失败",
             "cancelled": "已取消", "unknown": "待核实"}
TIME_FORMAT = "yyyy-mm-dd hh:mm"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_VIOLATION_FONT = Font(bold=True, color="C62828")


def write(path: Path, items: Iterable[dict], zone: ZoneInfo) -> int:
    """Write the enterprises (items of `queries.enterprises`) to path; returns how many rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("企业落实情况")
    sheet.freeze_panes = "A2"
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_header(sheet, name) for name, _ in COLUMNS])
    count = 0
    for item in items:
        sheet.append(_row(sheet, item, zone))
        count += 1
    book.save(path)
    return count


def _header(sheet, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=name)
    cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    return cell


def _row(sheet, e: dict, zone: ZoneInfo) -> list:
    state = "已落实" if e["confirmed_at"] else "已收到未落实" if e["acknowledged_at"] else "未收到"
    contacts = "；".join(f"{c['name']} {c['mobile'] or ''}".strip() for c in e["contacts"])
    sent = "；".join(f"{STATUS_ZH.get(s, s)} {n}" for s, n in sorted(e["deliveries"].items()))
    values = [e["credit_code"], e["name"], e["town"], e["industry"], e["grade"] or "", "是" if e["self_chosen"] else "否",
              state, _time(sheet, e["acknowledged_at"], zone), _time(sheet, e["confirmed_at"], zone),
              e["measures_confirmed"], e["measures"], contacts, sent, e["inspections"],
              _violations(sheet, e["violations"])]
    return [_text(sheet, v) if isinstance(v, str) else v for v in values]


def _violations(sheet, n: int) -> WriteOnlyCell | int:
    if not n:
        return n
    cell = WriteOnlyCell(sheet, value=n)
    cell.font = _VIOLATION_FONT
    return cell


def _time(sheet, value: str | None, zone: ZoneInfo) -> WriteOnlyCell | None:
    if not value:
        return None
    cell = WriteOnlyCell(sheet, value=datetime.fromisoformat(value).astimezone(zone).replace(tzinfo=None))
    cell.number_format = TIME_FORMAT
    return cell


def _text(sheet, value: str) -> WriteOnlyCell:
    """Always a text cell: an imported name starting with "=" must not become a formula in Excel."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
