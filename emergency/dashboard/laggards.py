"""The laggards of one warning in the browser (催办): its enterprises filtered by status, town,
industry, grade or name, each with its contacts and what reached them, receipt and confirmation;
chosen rows or the whole filter reminded now (office, admin: the service checks); the filtered list
as a workbook; and one enterprise in the warning with its timeline.

A reminder is a form POST answered by a redirect to the list, which shows the outcome from the
event the reminder wrote (so that a reload never reminds again); a refusal shows the list again
with the reason and the rows still ticked."""
from __future__ import annotations

import os
import tempfile
from math import ceil
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path as PathParam, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from accounts.permissions import Forbidden
from areas.models import Area
from config.db import utcnow
from emergency.dashboard import enterprise_timeline, laggards_export
from emergency.dashboard import laggards_queries as data
from emergency.notices import remind
from emergency.warnings import queries
from emergency.warnings.documents import shown_status
from emergency.warnings.models import Status
from emergency.warnings.service import Invalid, NotFound, Refused
from emergency.web import i18n
from emergency.web.console import language_of, staff
from emergency.web.deps import SignedIn, context_of, signed_in, transaction

router = APIRouter(prefix="/warnings", include_in_schema=False)
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[SignedIn, Depends(signed_in)]
Filter = Annotated[str | None, Query(max_length=200)]
FormFilter = Annotated[str, Form(max_length=200)]
PER_PAGE = 50
FILTERS = ("status", "town", "industry", "grade", "q")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(status: str | None, town: str | None, industry: str | None, grade: str | None, q: str | None) -> dict:
    """The list's filters as typed (an unknown status shows everyone, as the select offers none)."""
    return {"status": status if status in queries.STATUS_FILTERS else "", "town": (town or "").strip(),
            "industry": (industry or "").strip(), "grade": (grade or "").strip(), "q": (q or "").strip()}


def _link(warning_id: int, filters: dict, to: str = "enterprises", **more) -> str:
    query = urlencode({**{k: v for k, v in filters.items() if v}, **{k: v for k, v in more.items() if v}})
    return f"/warnings/{warning_id}/{to}" + (f"?{query}" if query else "")


@router.get("/{warning_id}/enterprises", response_class=HTMLResponse)
def laggards(request: Request, warning_id: Id, session: Tx, who: Who, status: Filter = None, town: Filter = None,
             industry: Filter = None, grade: Filter = None, q: Filter = None,
             page: Annotated[int, Query(ge=1, le=100_000)] = 1,
             reminded: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> HTMLResponse:
    return _page(request, session, who, warning_id, _filters(status, town, industry, grade, q), page, reminded=reminded)


@router.post("/{warning_id}/remind")
def remind_now(request: Request, warning_id: Id, session: Tx, who: Who,
               scope: Annotated[str, Form(max_length=10)] = "selected",
               credit_code: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
               status: FormFilter = "", town: FormFilter = "", industry: FormFilter = "", grade: FormFilter = "",
               q: FormFilter = "", page: Annotated[int, Form(ge=1, le=100_000)] = 1):
    """Remind the ticked enterprises (scope "selected") or all the filter shows (scope "filter")."""
    filters = _filters(status, town, industry, grade, q)
    try:
        with session.begin_nested():  # a refusal undoes only this attempt
            answer = remind.remind(session, warning_id=warning_id, actor=who.actor,
                                   credit_codes=None if scope == "filter" else credit_code, **filters,
                                   per_day=context_of(request).config.notify.per_recipient_per_day, now=utcnow())
    except (Refused, Forbidden) as exc:
        if isinstance(exc, NotFound):
            raise
        code = 403 if isinstance(exc, Forbidden) else 422 if isinstance(exc, Invalid) else 409
        return _page(request, session, who, warning_id, filters, page, error=exc, checked=credit_code, status=code)
    return RedirectResponse(_link(warning_id, filters, page=page if page > 1 else None, reminded=answer["event"]),
                            status_code=303)


def _page(request: Request, session: Session, who: SignedIn, warning_id: int, filters: dict, page: int, *,
          reminded: int | None = None, error: Exception | None = None, checked: list[str] | None = None,
          status: int = 200) -> HTMLResponse:
    context = context_of(request)
    warning = queries.one(session, warning_id, who.actor)
    found = queries.enterprises(session, warning, who.actor, context.settings.tz, page=page, per_page=PER_PAGE,
                                **{k: v or None for k, v in filters.items()})
    notice = data.latest_notice(session, warning)
    shown = shown_status(warning, utcnow())
    pages = max(1, ceil(found["total"] / PER_PAGE))
    return staff(request, who, "dashboard/laggards.html", {
        "w": warning, "shown": shown, "area": _area(session, warning), "found": found, "filters": filters,
        "choices": data.choices(session, notice, who.actor),
        "contacts": data.contact_status(session, warning.id, [e["credit_code"] for e in found["items"]]),
        "waiting": data.unconfirmed(session, notice, who.actor, remind.selection(**filters)),
        "remindable": notice is not None and shown in (Status.SCHEDULED, Status.ACTIVE),
        "reminded": _outcome(data.reminded(session, warning, who.actor, reminded)), "error": error,
        "checked": set(checked or ()),
        "pages": pages, "previous": _link(warning.id, filters, page=page - 1) if page > 1 else None,
        "next": _link(warning.id, filters, page=page + 1) if page < pages else None,
        "export": _link(warning.id, filters, "enterprises.xlsx"),
        "quiet": int(remind.QUIET.total_seconds() // 60), "per_day": context.config.notify.per_recipient_per_day},
        status)


@router.get("/{warning_id}/enterprises.xlsx")
def export(request: Request, warning_id: Id, session: Tx, who: Who, status: Filter = None, town: Filter = None,
           industry: Filter = None, grade: Filter = None, q: Filter = None) -> FileResponse:
    """The list as the filters show it, every page of it, as a workbook."""
    zone = context_of(request).settings.tz
    warning = queries.one(session, warning_id, who.actor)
    filters = {k: v or None for k, v in _filters(status, town, industry, grade, q).items()}
    handle, name = tempfile.mkstemp(prefix="emergency-laggards-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        laggards_export.write(path, data.all_rows(session, warning, who.actor, zone, filters), zone)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    t = i18n.Translator(language_of(request, who.user))
    filename = t("laggards.file", id=warning.id, date=f"{utcnow().astimezone(zone):%Y-%m-%d}")
    return FileResponse(path, media_type=XLSX, filename=filename, headers={"Cache-Control": "no-store"},
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/{warning_id}/enterprises/{credit_code}", response_class=HTMLResponse)
def enterprise(request: Request, warning_id: Id, credit_code: Annotated[str, PathParam(min_length=1, max_length=18)],
               session: Tx, who: Who) -> HTMLResponse:
    """One enterprise in one warning. Out of the user's area, or not in the warning: 404."""
    warning = queries.one(session, warning_id, who.actor)
    found = enterprise_timeline.one(session, warning, who.actor, credit_code, context_of(request).settings.tz)
    return staff(request, who, "dashboard/enterprise.html", {
        "w": warning, "shown": shown_status(warning, utcnow()), "area": _area(session, warning), **found})


# What a reminder skipped, in the order the office reads it: (count in the answer, words).
SKIPPED = (("skipped_confirmed", "laggards.remind.skipped_confirmed"), ("skipped_recent", "laggards.remind.skipped_recent"),
           ("at_cap", "laggards.remind.at_cap"), ("invalid", "laggards.remind.invalid"),
           ("unchanged", "laggards.remind.unchanged"), ("no_mobile", "laggards.remind.no_mobile"),
           ("not_found", "laggards.remind.not_found"))


def _outcome(detail: dict | None) -> dict | None:
    """A reminder's answer as the page says it: what was queued, then each kind of skip there was."""
    if detail is None:
        return None
    counts = {key: len(v) if isinstance(v := detail.get(key), list) else v or 0 for key, _ in SKIPPED}
    skipped = [(words, {"n": f"{counts[key]:,}", "minutes": detail.get("quiet_minutes"), "per_day": detail.get("per_day")})
               for key, words in SKIPPED if counts[key]]
    return {"queued": detail.get("queued", 0), "enterprises": detail.get("enterprises", 0), "skipped": skipped}


def _area(session: Session, warning) -> str:
    return session.scalar(select(Area.name).where(Area.id == warning.area_id))
