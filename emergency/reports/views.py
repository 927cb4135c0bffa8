"""The reports API: GET /api/v1/warnings/{id}/reports/daily?date=D and …/reports/assessment, as JSON,
or the workbook / Word document by ?format= or the Accept header. Anyone signed in may read them
(for their area); the service refuses a warning not yet approved (409) and a day outside it (422)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.db import utcnow
from emergency.reports import formats, service
from emergency.warnings import queries
from emergency.web.deps import actor, context_of, transaction

router = APIRouter(prefix="/warnings", tags=["reports"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[Actor, Depends(actor)]
FILES = {"content": {"application/json": {}, formats.MEDIA_TYPES["xlsx"]: {}, formats.MEDIA_TYPES["docx"]: {}}}
ERRORS = {200: FILES, 401: {"description": "not signed in"}, 404: {"description": "no such warning in your area"},
          409: {"description": "the warning has not been approved: no report yet"},
          422: {"description": "a day outside the warning, or a malformed date or format"}}


def build(request: Request, session: Session, warning_id: int, actor: Actor, kind: str, day: date | None) -> dict:
    """The report document for the reader (NotFound outside their area)."""
    context = context_of(request)
    return service.report(session=session, warning=queries.one(session, warning_id, actor), actor=actor,
                          config=context.config, zone=context.settings.tz, now=utcnow(), kind=kind, day=day)


def download(doc: dict, fmt: str) -> Response:
    """The document in that format; files as attachments named after the report."""
    headers = {} if fmt == "json" else {"Content-Disposition": formats.disposition(doc, fmt)}
    return Response(formats.render(doc, fmt), media_type=formats.MEDIA_TYPES[fmt], headers=headers)


@router.get("/{warning_id}/reports/{kind}", response_class=Response, responses=ERRORS)
def report(request: Request, warning_id: Id, kind: Literal["daily", "assessment"], session: Tx, who: Who,
           day: Annotated[date | None, Query(alias="date", description="the local day of a daily report; "
                                                                        "default yesterday (within the warning)")] = None,
           fmt: Annotated[Literal["json", "xlsx", "docx"] | None, Query(alias="format")] = None) -> Response:
    """The daily report of one local day, or the post-event assessment of the whole warning."""
    doc = build(request, session, warning_id, who, kind, day if kind == "daily" else None)
    return download(doc, formats.chosen(fmt, request.headers.get("accept")))
