"""The reports page of a warning (/warnings/{id}/reports): the daily report of a chosen day and the
assessment, their headline figures, download buttons for the workbook and the Word document, and
what the scheduler has sent. The files are /warnings/{id}/reports/{daily|assessment}.{xlsx|docx}."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.db import utcnow
from config.events import Event
from emergency.reports import jobs, service, views
from emergency.reports.tables import share
from emergency.warnings import queries
from emergency.warnings.service import Invalid
from emergency.web.console import staff
from emergency.web.deps import SignedIn, context_of, signed_in, transaction

router = APIRouter(prefix="/warnings", include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[SignedIn, Depends(signed_in)]


@router.get("/{warning_id}/reports", response_class=HTMLResponse)
def page(request: Request, warning_id: Id, session: Tx, who: Who,
         day: Annotated[str | None, Query(alias="date", max_length=20)] = None) -> HTMLResponse:
    context, now = context_of(request), utcnow()
    zone = context.settings.tz
    warning = queries.one(session, warning_id, who.actor)
    covered = service.days(session, warning, zone, now)
    values = {"w": warning, "days": covered[::-1], "error": None, "daily": None, "assessment": None,
              "sent": _sent(session, warning.id), "daily_at": context.config.reports.daily_at, "share": share}
    if covered:
        chosen, values["error"] = _day(day, covered, session, warning, zone, now)
        build = lambda kind, d=None: service.report(session=session, warning=warning, actor=who.actor,  # noqa: E731
                                                    config=context.config, zone=zone, now=now, kind=kind, day=d)
        values |= {"daily": build("daily", chosen), "assessment": build("assessment"), "chosen": chosen}
    return staff(request, who, "reports/page.html", values)


def _day(text: str | None, covered: list[date], session: Session, warning, zone, now) -> tuple[date, Invalid | None]:
    """The day asked for, or the default day with the reason it could not be used."""
    default = service.daily_period(session, warning, zone, now, None).day
    if not text:
        return default, None
    try:
        return service.daily_period(session, warning, zone, now, date.fromisoformat(text)).day, None
    except ValueError:
        return default, Invalid(f"日期格式不正确：{text}（应为 年-月-日）", f"not a date: {text} (YYYY-MM-DD)", field="date")
    except Invalid as exc:
        return default, exc


def _sent(session: Session, warning_id: int) -> list[Event]:
    """The reports the scheduler made and announced for this warning, newest first."""
    return list(session.scalars(select(Event).where(Event.kind == jobs.SENT, Event.subject_type == "warning",
                                                    Event.subject_id == warning_id).order_by(Event.at.desc())))


@router.get("/{warning_id}/reports/{kind}.{fmt}")
def download(request: Request, warning_id: Id, kind: Literal["daily", "assessment"], fmt: Literal["xlsx", "docx"],
             session: Tx, who: Who, day: Annotated[date | None, Query(alias="date")] = None) -> Response:
    """The report as a file, for the page's download buttons (the browser session signs it)."""
    doc = views.build(request, session, warning_id, who.actor, kind, day if kind == "daily" else None)
    return views.download(doc, fmt)
