"""A workbook looked at before it is read: an .xlsx is a zip of XML, and a small file can unpack to
gigabytes. Its declared sizes and rows are checked against limits first (nothing is unpacked to
memory), then its sheets are scanned as they stream by for formulas, hidden rows and hidden sheets."""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from lists.issues import Issue
from lists.workbook import SHEETS

MB = 1024 * 1024
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_HIDDEN_ROW = re.compile(rb"<(?:\w+:)?row [^>]*?r=\"(\d+)\"[^>]*?hidden=\"(?:1|true)\"")
_CELL_WITH_FORMULA = re.compile(rb"<(?:\w+:)?c [^>]*?r=\"([A-Z]+\d+)\"[^>]*>(?:(?!</(?:\w+:)?c>).){0,200}?<(?:\w+:)?f[ >/]",
                                re.S)


@dataclass(frozen=True)
class Limits:
    uncompressed_bytes: int = 1536 * MB  # all of the workbook's parts, as they unpack (100,000 enterprises: 449 MB)
    ratio: int = 200  # one part may unpack to at most this many times its packed size (beyond 10 MB)
    rows: int = 2_000_000  # data rows of one sheet
    cell_chars: int = 2000  # characters in one cell


def check(path: Path, limits: Limits, issues: list[Issue]) -> bool:
    """Add errors and warnings about the file to issues; False when it must not be read at all."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        issues.append(Issue.error("", 0, "", f"无法读取工作簿（不是 .xlsx 文件）：{exc}",
                                  f"cannot read the workbook (not an .xlsx file): {exc}"))
        return False
    with book:
        if not _sizes(book, limits, issues):
            return False
        sheets = _sheet_parts(book, issues)
        for name, part in sheets.items():
            if not _scan(book, name, part, limits, issues):
                return False
    return True


def _sizes(book: zipfile.ZipFile, limits: Limits, issues: list[Issue]) -> bool:
    parts = book.infolist()
    total = sum(p.file_size for p in parts)
    if total > limits.uncompressed_bytes:
        issues.append(Issue.error("", 0, "", f"工作簿解压后 {total // MB} MB，超过上限 {limits.uncompressed_bytes // MB} MB，"
                                  "请拆分后分批导入", f"the workbook unpacks to {total // MB} MB, over the limit of "
                                  f"{limits.uncompressed_bytes // MB} MB: split it and import the parts"))
        return False
    for p in parts:
        if p.file_size > 10 * MB and p.file_size > limits.ratio * max(p.compress_size, 1):
            issues.append(Issue.error("", 0, "", f"文件 {p.filename} 压缩比异常（{p.file_size // max(p.compress_size, 1)} 倍），"
                                      "拒绝读取", f"part {p.filename} unpacks {p.file_size // max(p.compress_size, 1)} times "
                                      "its size: refused (a zip bomb?)"))
            return False
    return True


def _sheet_parts(book: zipfile.ZipFile, issues: list[Issue]) -> dict[str, str]:
    """Our sheets' names → their part in the zip; hidden sheets are named in a warning."""
    try:
        workbook = ET.fromstring(book.read("xl/workbook.xml"))
        rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}  # the reader will say what is wrong
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    ours = {spec.name for spec in SHEETS} | {spec.key for spec in SHEETS}
    found = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        name = (sheet.get("name") or "").strip()
        if sheet.get("state") in ("hidden", "veryHidden"):
            issues.append(Issue.warning(name, 0, "", f"工作表“{name}”是隐藏的{'，其数据照常导入' if name in ours else '，已忽略'}",
                                        f"sheet '{name}' is hidden{': its rows are imported' if name in ours else ': ignored'}"))
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        if name in ours and target:
            found[name] = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return found


def _scan(book: zipfile.ZipFile, name: str, part: str, limits: Limits, issues: list[Issue]) -> bool:
    """Rows counted, hidden rows and formula cells located, one pass over the streamed XML."""
    rows, hidden, formulas, tail = 0, [], [], b""
    try:
        stream = book.open(part)
    except KeyError:
        return True
    with stream:
        while chunk := stream.read(1 * MB):
            data = tail + chunk
            cut = max(data.rfind(b"<row"), data.rfind(b"</c>"), len(data) - 512)  # keep an unfinished tag for next time
            cut = max(cut, 0)
            body, tail = data[:cut], data[cut:]
            rows += body.count(b"<row")  # (a rare <rowBreaks> counts too: harmless for a limit)
            if rows - 1 > limits.rows:
                issues.append(Issue.error(name, 0, "", f"工作表超过 {limits.rows:,} 行，请拆分后分批导入",
                                          f"the sheet has more than {limits.rows:,} rows: split it"))
                return False
            # Quick substring tests; the locating regexes only where there is something to find.
            if b'hidden="' in body:
                hidden += [int(r) for r in _HIDDEN_ROW.findall(body)]
            if b"<f" in body:  # Excel and openpyxl write formulas unprefixed: <f>, <f t=…>, <f/>
                formulas += [ref.decode() for ref in _CELL_WITH_FORMULA.findall(body)]
        if tail:
            rows += tail.count(b"<row")
            hidden += [int(r) for r in _HIDDEN_ROW.findall(tail)]
            formulas += [ref.decode() for ref in _CELL_WITH_FORMULA.findall(tail)]
    for ref in formulas[:50]:
        row = int(re.sub(r"[A-Z]+", "", ref))
        issues.append(Issue.error(name, row, ref, f"单元格 {ref} 是公式：请填写数值，不要填公式",
                                  f"cell {ref} holds a formula: enter the value, not a formula"))
    if len(formulas) > 50:
        issues.append(Issue.error(name, 0, "", f"还有 {len(formulas) - 50} 个公式单元格", f"{len(formulas) - 50} more formula cells"))
    if hidden:
        shown = ", ".join(map(str, hidden[:20])) + ("…" if len(hidden) > 20 else "")
        issues.append(Issue.warning(name, hidden[0], "", f"第 {shown} 行是隐藏的，其数据照常导入",
                                    f"rows {shown} are hidden: they are imported all the same"))
    return True
