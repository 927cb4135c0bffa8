"""The three forms of a report — JSON, xlsx, docx — with their media types and file names."""
from __future__ import annotations

import json
from urllib.parse import quote

from emergency.reports import docx, xlsx

FORMATS = ("json", "xlsx", "docx")
MEDIA_TYPES = {"json": "application/json", "xlsx": xlsx.MEDIA_TYPE, "docx": docx.MEDIA_TYPE}


def render(doc: dict, fmt: str) -> bytes:
    """The report document in that format (json, xlsx or docx)."""
    if fmt == "xlsx":
        return xlsx.workbook(doc)
    if fmt == "docx":
        return docx.document(doc)
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def filename(doc: dict, fmt: str) -> str:
    """An ASCII name, e.g. warning-3-daily-2026-12-02.xlsx (warning-3-assessment-drill.docx)."""
    what = f"daily-{doc['period']['date']}" if doc["report"] == "daily" else "assessment"
    return f"warning-{doc['warning']['id']}-{what}{'-drill' if doc['drill'] else ''}.{fmt}"


def disposition(doc: dict, fmt: str) -> str:
    """Content-Disposition for a download: the ASCII name, and the report's Chinese title for browsers
    that read RFC 6266's filename*."""
    return f"attachment; filename=\"{filename(doc, fmt)}\"; filename*=UTF-8''{quote(doc['title'] + '.' + fmt)}"


def chosen(fmt: str | None, accept: str | None) -> str:
    """The format a request asks for: ?format= first, else the Accept header, else JSON."""
    if fmt:
        return fmt
    for name in ("xlsx", "docx"):
        if MEDIA_TYPES[name] in (accept or ""):
            return name
    return "json"
