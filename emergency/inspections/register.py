"""The violation register (违规台账) of a warning: one row per inspection that found a violation in
the user's area, with the measures found not in place, as a workbook the office files and hands on
(Chinese headers, the title and header rows frozen, times in the command center's zone). Three
queries whatever the number of rows."""
from __future__ import annotations

from collections import defaultdict
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.permissions import Actor
from emergency.inspections.models import Finding, Inspection, Photo, Result
from emergency.warnings.models import Warning
from lists.models import Area, Enterprise, Measure
from lists.service import in_area

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (header, width): the order of the columns.
COLUMNS = (("检查时间", 17), ("企业名称", 30), ("统一社会信用代码", 22), ("所属街镇", 12), ("行业", 14), ("督查员", 16),
           ("未落实措施", 50), ("现场情况", 40), ("照片数", 8), ("位置", 24))
LEVEL_ZH = {"yellow": "黄色", "orange": "橙色", "red": "红色"}
TIME_FORMAT = "yyyy-mm-dd hh:mm"
_TITLE_FONT = Font(bold=True, size=13)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="305496")
_WRAP = Alignment(wrap_text=True, vertical="top")


def rows(session: Session, warning: Warning, actor: Actor, zone: ZoneInfo) -> list[dict]:
    """The warning's violation inspections in the actor's area, oldest first: `[{at (local), enterprise,
    credit_code, town, industry, inspector, measures: ["target：description"], note, photos, location}]`."""
    chosen = (select(Inspection.id).join(Enterprise, Enterprise.id == Inspection.enterprise_id)
              .where(Inspection.warning_id == warning.id, Inspection.result == Result.VIOLATION))
    if actor.area_path is not None:
        chosen = chosen.where(in_area(actor.area_path))
    found = session.execute(
        select(Inspection, Enterprise.name, Enterprise.credit_code, Area.name, Enterprise.industry, User.display_name)
        .join(Enterprise, Enterprise.id == Inspection.enterprise_id).join(Area, Area.id == Enterprise.town_id)
        .outerjoin(User, User.id == Inspection.inspector_id).where(Inspection.id.in_(chosen))
        .order_by(Inspection.at, Inspection.id)).all()
    failed: dict[int, list[str]] = defaultdict(list)
    for inspection_id, target, description in session.execute(
            select(Finding.inspection_id, Measure.target, Measure.description).join(Measure, Measure.id == Finding.measure_id)
            .where(Finding.inspection_id.in_(chosen), Finding.ok.is_(False)).order_by(Finding.inspection_id, Measure.position)):
        failed[inspection_id].append(f"{target}：{description}")
    photos = dict(session.execute(select(Photo.inspection_id, func.count()).where(Photo.inspection_id.in_(chosen))
                                  .group_by(Photo.inspection_id)).all())
    return [{"at": i.at.astimezone(zone).replace(tzinfo=None), "enterprise": name, "credit_code": code, "town": town,
             "industry": industry or "", "inspector": _who(i.inspector, shown), "measures": failed.get(i.id, []),
             "note": i.note or "", "photos": photos.get(i.id, 0), "location": _where(i)}
            for i, name, code, town, industry, shown in found]


def _who(username: str, display_name: str | None) -> str:
    return f"{display_name} {username}" if display_name and display_name != username else username


def _where(inspection: Inspection) -> str:
    if inspection.lat is None or inspection.lon is None:
        return ""
    accuracy = f" ±{inspection.accuracy_m:.0f} 米" if inspection.accuracy_m is not None else ""
    return f"{inspection.lat:.6f}, {inspection.lon:.6f}{accuracy}"


def title(warning: Warning, area: str) -> str:
    level = LEVEL_ZH.get(warning.level, warning.level)
    drill = "【演练】" if warning.drill else ""
    return f"{drill}第 {warning.id} 号预警（{level}，{area}）督查违规台账"


def workbook(items: list[dict], heading: str) -> bytes:
    """The register as .xlsx: the title, the header row, one row per violation."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("违规台账")
    sheet.freeze_panes = "A3"
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    top = WriteOnlyCell(sheet, value=heading)
    top.font = _TITLE_FONT
    sheet.append([top])
    sheet.append([_header(sheet, name) for name, _ in COLUMNS])
    for item in items:
        sheet.append(_row(sheet, item))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _header(sheet, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=name)
    cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    return cell


def _row(sheet, item: dict) -> list:
    at = WriteOnlyCell(sheet, value=item["at"])
    at.number_format = TIME_FORMAT
    texts = [item["enterprise"], item["credit_code"], item["town"], item["industry"], item["inspector"],
             "；".join(item["measures"]), item["note"]]
    return [at, *(_text(sheet, v) for v in texts), item["photos"], _text(sheet, item["location"])]


def _text(sheet, value: str) -> WriteOnlyCell:
    """Always a text cell, wrapped: a note starting with "=" must not become a formula in Excel."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.alignment = _WRAP
    return cell
