"""The forecast page of the console: upload a forecast CSV (a dry run, then the import of the same
file) and the assessment per area, with a chart of the daily AQI against the warning lines.

Between the dry run and the import the file stays in the browser's file field (the dry run swaps
only the result panel) and is uploaded again; the dry run hands back the file's SHA-256, and the
import refuses content that differs. So the text never round-trips through the page (no 5 MB
hidden field, no newline normalisation), the server keeps nothing between the steps, and the
import still validates every row itself (all or nothing)."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from accounts.permissions import Action, Forbidden
from config.rulesets import Trigger
from emergency.forecasts import aqi
from emergency.forecasts.importer import COLUMNS, ForecastResult, import_text
from emergency.forecasts.models import ForecastImport
from emergency.forecasts.service import Assessment, area_names, assess_for, category, fired_trigger, import_by
from emergency.web import i18n
from emergency.web.console import language_of, nav_for, staff
from emergency.web.deps import SignedIn, context_of, signed_in, transaction
from emergency.web.limits import MB, limit_for
from lists.issues import Issue

router = APIRouter(include_in_schema=False)
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[SignedIn, Depends(signed_in)]
MAX_BYTES = limit_for("/api/v1/forecasts")  # the API's bound for the same files
SHOWN = 300  # rows or errors listed; the rest are counted
LINES = (150, 200, 300)  # the daily AQI thresholds the warning levels are written in
# HJ 633-2012's category colours, the yellow darkened to stand out on white.
COLOURS = {"excellent": "#00a65a", "good": "#d4b106", "light": "#ff7e00", "moderate": "#e53935",
           "heavy": "#99004c", "severe": "#7e0023"}
LINE_COLOURS = {150: "#d4b106", 200: "#ef6c00", 300: "#c62828"}
SHARED = {"shown": SHOWN, "category": category, "pollutants": aqi.NAMES}  # what the result panel needs as well


@dataclass
class Check:
    """What a dry run or an import found in one uploaded file."""

    source: str
    sha256: str = ""
    result: ForecastResult = field(default_factory=ForecastResult)
    names: dict[int, str] = field(default_factory=dict)
    reselect: bool = False  # the page was reloaded: the file field is empty again

    @property
    def ok(self) -> bool:
        return not self.result.errors

    @property
    def areas(self) -> int:
        return len({r.area_id for r in self.result.rows})


@dataclass
class AreaView:
    assessment: Assessment
    trigger: Trigger | None
    issued_at: datetime
    chart_id: str
    chart: dict

    def note(self, day: date) -> str:
        """Whether the day made the recommendation, or was a heavy day left to health advice."""
        recommendation = self.assessment.recommendation
        return "trigger" if day in recommendation.days else "advisory" if day in recommendation.advisory else ""


def require_page(who: SignedIn) -> None:
    """The page is open to the roles whose navigation shows it."""
    if ("forecast", "/forecast") not in nav_for(who.user.role):
        raise Forbidden("你的角色不能查看预报", "your role may not see the forecast")


def problem(source: str, line: int, key: str, **values) -> Issue:
    """An error about the file itself, in both languages from the catalogues."""
    zh, en = i18n.Translator("zh"), i18n.Translator("en")
    return Issue.error(source, line, "", zh(key, **values), en(key, **values))


def decode(source: str, data: bytes) -> tuple[str, Issue | None]:
    """The file's text, or why it cannot be a forecast CSV, located by line."""
    if not data.strip():
        return "", problem(source, 0, "forecast.error.empty")
    if len(data) > MAX_BYTES:
        return "", problem(source, 0, "forecast.error.too_large", mb=MAX_BYTES // MB)
    if b"\x00" in data:
        return "", problem(source, data.count(b"\n", 0, data.index(b"\x00")) + 1, "forecast.error.binary")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return "", problem(source, data.count(b"\n", 0, exc.start) + 1, "forecast.error.not_utf8")


async def uploaded(request: Request) -> tuple[str, bytes, str]:
    """(file name, content, the SHA-256 the dry run reported or "") from the upload form."""
    form = await request.form()
    upload, checked = form.get("file"), form.get("checked")
    checked = checked if isinstance(checked, str) else ""
    if not isinstance(upload, UploadFile):
        return "", b"", checked
    return (upload.filename or "")[:300], await upload.read(MAX_BYTES + 1), checked


def run(request: Request, session: Session, who: SignedIn, source: str, data: bytes, *, dry_run: bool) -> Check:
    """Decode and import (or dry-run) the file through the service; every problem becomes a located error."""
    check = Check(source=source or "upload.csv", sha256=hashlib.sha256(data).hexdigest())
    if not source and not data:
        check.result.errors.append(problem(check.source, 0, "forecast.error.no_file"))
        return check
    text, trouble = decode(check.source, data)
    if trouble is not None:
        check.result.errors.append(trouble)
        return check
    check.result = import_text(session=session, text=text, source=check.source, actor=who.actor,
                               zone=context_of(request).settings.tz, dry_run=dry_run, sha256=check.sha256)
    check.names = area_names(session, {r.area_id for r in check.result.rows})
    return check


def chart_option(assessment: Assessment, t: i18n.Translator) -> dict:
    """An ECharts bar chart of the daily AQI, coloured by category, with the 150/200/300 lines."""
    days = assessment.forecasts
    top = max(350, math.ceil(max(f.aqi for f in days) / 50) * 50)
    values = t("forecast.list_sep").join(f"{f.date:%m-%d} {f.aqi}" for f in days)
    lines = [{"yAxis": v, "label": {"formatter": str(v), "color": LINE_COLOURS[v]},
              "lineStyle": {"color": LINE_COLOURS[v], "type": "dashed", "width": 1.5}} for v in LINES]
    return {
        "animation": False,
        "aria": {"enabled": True,
                 "label": {"description": t("forecast.chart.aria", area=assessment.area, values=values)}},
        "grid": {"left": 44, "right": 40, "top": 34, "bottom": 28},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [f"{f.date:%m-%d}" for f in days]},
        "yAxis": {"type": "value", "min": 0, "max": top, "name": "AQI", "splitLine": {"show": False}},
        "series": [{"type": "bar", "name": "AQI", "barMaxWidth": 40, "label": {"show": True, "position": "top"},
                    "data": [{"value": f.aqi, "itemStyle": {"color": COLOURS[category(f.aqi)]}} for f in days],
                    "markLine": {"silent": True, "symbol": "none", "data": lines}}],
    }


def area_views(request: Request, session: Session, who: SignedIn) -> list[AreaView]:
    rules, t = context_of(request).rules, i18n.Translator(language_of(request, who.user))
    return [AreaView(a, fired_trigger(rules, a), max(f.issued_at for f in a.forecasts), f"aqi-chart-{i}",
                     chart_option(a, t)) for i, a in enumerate(assess_for(session=session, rules=rules, actor=who.actor))]


def full_page(request: Request, session: Session, who: SignedIn, *, check: Check | None = None,
              imported: ForecastImport | None = None, status: int = 200) -> HTMLResponse:
    context = {"areas": area_views(request, session, who), "rules": context_of(request).rules, "check": check,
               "imported": imported, "columns": COLUMNS, "max_mb": MAX_BYTES // MB, **SHARED}
    return staff(request, who, "forecasts/page.html", context, status)


@router.get("/forecast", response_class=HTMLResponse)
def forecast_page(request: Request, session: Tx, who: Who,
                  imported: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> HTMLResponse:
    """The upload (for those who may import) and the assessment per area in the user's scope."""
    require_page(who)
    batch = import_by(session, imported, who.user.username) if imported else None
    return full_page(request, session, who, imported=batch)


@router.post("/forecast/dry-run", response_class=HTMLResponse)
async def dry_run(request: Request, session: Tx, who: Who) -> HTMLResponse:
    """The rows the file would store, or its located errors; nothing is written. An htmx request
    gets the result panel only (always 200, so that htmx shows it)."""
    require_page(who)
    who.actor.require(Action.IMPORT_FORECAST)
    source, data, _ = await uploaded(request)
    check = run(request, session, who, source, data, dry_run=True)
    if request.headers.get("HX-Request") == "true":
        return staff(request, who, "forecasts/result.html", {"check": check, **SHARED})
    check.reselect = True
    return full_page(request, session, who, check=check)


@router.post("/forecast/import", response_class=HTMLResponse)
async def import_(request: Request, session: Tx, who: Who) -> Response:
    """Store the file the dry run accepted (same SHA-256), then back to the page with the new assessment."""
    require_page(who)
    who.actor.require(Action.IMPORT_FORECAST)
    source, data, checked = await uploaded(request)
    sha256 = hashlib.sha256(data).hexdigest()
    if data and checked != sha256:
        check = Check(source=source or "upload.csv", sha256=sha256, reselect=True)
        why = "forecast.error.changed" if checked else "forecast.error.not_checked"
        check.result.errors.append(problem(check.source, 0, why))
        return full_page(request, session, who, check=check, status=409)
    check = run(request, session, who, source, data, dry_run=False)
    if not check.ok:
        check.reselect = True
        return full_page(request, session, who, check=check, status=422)
    return RedirectResponse(f"/forecast?imported={check.result.import_id}", status_code=303)
