"""The warnings API (/api/v1/warnings): list, show, draft, approve, change, lift, withdraw, CAP,
timeline and enterprises. Routes only translate: the service layer checks roles and areas."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.db import utcnow
from emergency.warnings import cap as caps
from emergency.warnings import queries, service
from emergency.warnings.documents import warning_json
from emergency.warnings.models import Warning
from emergency.web.deps import actor, context_of, transaction

router = APIRouter(prefix="/warnings", tags=["warnings"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[Actor, Depends(actor)]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text: refused the same on every database
Text = Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]
Short = Annotated[str, Field(max_length=200, pattern=NO_NUL)]
ERRORS = {401: {"description": "not signed in"}, 403: {"description": "role may not"},
          404: {"description": "no such warning in your area"}, 409: {"description": "conflicts with the current state"},
          422: {"description": "a field is invalid"}}


class Draft(BaseModel):
    level: Short = Field(description="yellow / orange / red (or 黄色 …)")
    area: Short = Field(description="area name, GB/T 2260 code or path (北京市/大兴区)")
    start: datetime
    end: datetime
    reason: Text
    drill: bool = Field(False, description="a drill (演练): messages marked as such, to the simulator or an allow-list only")


class Approval(BaseModel):
    reason: str | None = Field(None, max_length=2000, pattern=NO_NUL, description="required when the lists miss the ratio")


class Change(BaseModel):
    level: Short | None = None
    end: datetime | None = None
    reason: Text


class Lift(BaseModel):
    at: datetime
    reason: Text


class Withdrawal(BaseModel):
    reason: Text


def _document(request: Request, session: Session, warning_id: int) -> dict:
    return warning_json(session, session.get(Warning, warning_id), context_of(request).settings.tz)


def _time(request: Request, value: datetime | None, field: str) -> datetime | None:
    return None if value is None else queries.at_time(value, context_of(request).settings.tz, field)


@router.get("", responses=ERRORS)
def list_warnings(request: Request, session: Tx, who: Who, status: Literal["open", "all"] = "open") -> list[dict]:
    """Warnings in your scope, newest first (open ones unless status=all)."""
    zone = context_of(request).settings.tz
    return [warning_json(session, w, zone, history=False) for w in queries.listing(session, who, everything=status == "all")]


@router.post("", status_code=201, responses=ERRORS)
def draft(request: Request, body: Draft, session: Tx, who: Who) -> dict:
    """Draft a warning (duty officer): it goes out when a commander approves it."""
    context = context_of(request)
    result = service.draft(session=session, rules=context.rules, config=context.config, area=body.area, level=body.level,
                           start=_time(request, body.start, "start"), end=_time(request, body.end, "end"), reason=body.reason,
                           actor=who, now=utcnow(), drill=body.drill)
    return _document(request, session, result.warning_id)


@router.get("/{warning_id}", responses=ERRORS)
def show(request: Request, warning_id: Id, session: Tx, who: Who) -> dict:
    """One warning with the history of its requests."""
    return warning_json(session, queries.one(session, warning_id, who), context_of(request).settings.tz)


@router.post("/{warning_id}/approve", responses=ERRORS)
def approve(request: Request, warning_id: Id, session: Tx, who: Who, body: Approval | None = None) -> dict:
    """Sign off the pending request (commander; never one's own). 409 inadequate_lists without a reason."""
    context = context_of(request)
    service.approve(session=session, rules=context.rules, config=context.config, warning_id=warning_id, actor=who,
                    now=utcnow(), override_reason=body.reason if body else None)
    return _document(request, session, warning_id)


@router.post("/{warning_id}/change", status_code=201, responses=ERRORS)
def change(request: Request, warning_id: Id, body: Change, session: Tx, who: Who) -> dict:
    """Ask to upgrade, downgrade or extend (duty officer); then a commander approves."""
    context = context_of(request)
    service.request_change(session=session, rules=context.rules, config=context.config, warning_id=warning_id,
                           level=body.level, end=_time(request, body.end, "end"), reason=body.reason, actor=who, now=utcnow())
    return _document(request, session, warning_id)


@router.post("/{warning_id}/lift", status_code=201, responses=ERRORS)
def lift(request: Request, warning_id: Id, body: Lift, session: Tx, who: Who) -> dict:
    """Ask to lift at a time (duty officer); then a commander approves."""
    service.request_lift(session=session, warning_id=warning_id, at=_time(request, body.at, "at"), reason=body.reason,
                         actor=who, now=utcnow())
    return _document(request, session, warning_id)


@router.post("/{warning_id}/withdraw", responses=ERRORS)
def withdraw(request: Request, warning_id: Id, body: Withdrawal, session: Tx, who: Who) -> dict:
    """Withdraw your own pending request (duty officer) or reject any (commander)."""
    service.withdraw(session=session, warning_id=warning_id, reason=body.reason, actor=who, now=utcnow())
    return _document(request, session, warning_id)


@router.get("/{warning_id}/cap", response_class=Response, responses={**ERRORS, 200: {"content": {"application/xml": {}}}})
def cap(request: Request, warning_id: Id, session: Tx, who: Who,
        seq: Annotated[int | None, Query(ge=1, le=10_000)] = None) -> Response:
    """A notice as OASIS CAP 1.2 XML (default: the latest approved)."""
    context = context_of(request)
    queries.one(session, warning_id, who)
    try:
        xml = caps.notice_xml(session=session, warning_id=warning_id, seq=seq, rules=context.rules,
                              config=context.config.cap, zone=context.settings.tz)
    except LookupError as exc:
        raise service.NotFound("没有该通知", str(exc), code="no_notice") from None
    return Response(xml, media_type="application/xml")


@router.get("/{warning_id}/events", responses=ERRORS)
def events(request: Request, warning_id: Id, session: Tx, who: Who) -> list[dict]:
    """The warning's timeline from the event log (who, when, what)."""
    return queries.events(session, queries.one(session, warning_id, who), context_of(request).settings.tz)


@router.get("/{warning_id}/enterprises", responses=ERRORS)
def enterprises(request: Request, warning_id: Id, session: Tx, who: Who,
                status: Literal["unconfirmed", "unacknowledged", "confirmed"] | None = None,
                town: Annotated[str | None, Query(max_length=100)] = None,
                industry: Annotated[str | None, Query(max_length=100)] = None,
                grade: Annotated[str | None, Query(max_length=20)] = None,
                q: Annotated[str | None, Query(max_length=200)] = None,
                page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """Enterprises of the latest notice in your area, with receipt, confirmation, contacts and deliveries."""
    warning = queries.one(session, warning_id, who)
    return queries.enterprises(session, warning, who, context_of(request).settings.tz, status=status, town=town,
                               industry=industry, grade=grade, q=q, page=page, per_page=per_page)
