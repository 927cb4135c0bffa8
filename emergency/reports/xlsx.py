"""A report as a workbook: one sheet per table, the report's title in the first row (a drill's says
【演练】), Chinese headers in the second, both frozen; numbers stay numbers with their formats."""
from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from emergency.reports.tables import Table, tables

FORMATS = {"int": "#,##0", "float": "#,##0.0", "pct": "0.0%", "minutes": "0.0", "time": "yyyy-mm-dd hh:mm"}
TITLE_FONT = Font(bold=True, size=13)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
NOTE_FONT = Font(italic=True, color="555555")
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(doc: dict) -> bytes:
    """The .xlsx file of the report document."""
    book = Workbook()
    book.remove(book.active)
    for table in tables(doc):
        _sheet(book, doc["title"], table)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book: Workbook, title: str, table: Table) -> None:
    sheet = book.create_sheet(table.name[:31])
    sheet.cell(1, 1, f"{title} — {table.title}").font = TITLE_FONT
    for c, column in enumerate(table.columns, start=1):
        cell = sheet.cell(2, c, column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(c)].width = column.width
    for r, row in enumerate(table.rows):
        for c, value in enumerate(row):
            _value(sheet.cell(3 + r, 1 + c), value, table.kind(r, c))
    if table.note:
        sheet.cell(4 + len(table.rows), 1, table.note).font = NOTE_FONT
    sheet.freeze_panes = "A3"


def _value(cell, value: Any, kind: str) -> None:
    if value is None:
        return
    if kind == "time":
        value = datetime.fromisoformat(value).replace(tzinfo=None)  # already in the command center's zone
    elif kind == "bool":
        value = "是" if value else "否"
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a name that looks like a formula stays text
    if kind in FORMATS and not isinstance(value, str):
        cell.number_format = FORMATS[kind]
