"""The warning pages of the console: the list, drafting with the adequacy check, the warning page
with its sign-off, change, lift and withdrawal forms, live counts and timeline, CAP downloads.

Routes translate forms into service calls and back; the service checks roles and areas. A refusal
(a typo, a conflict, a role that may not) re-renders the form with the reason and what was typed."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Action, Forbidden
from areas import service as areas
from areas.models import Area
from config.db import utcnow
from emergency.forecasts.service import NoForecast, assess_area, assess_for, trigger_named
from emergency.warnings import cap as caps
from emergency.warnings import queries, service
from emergency.warnings.documents import rows_json, warning_json
from emergency.warnings.models import OPEN, Kind, Status
from emergency.web.console import staff
from emergency.web.deps import SignedIn, context_of, signed_in, transaction

router = APIRouter(prefix="/warnings", include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[SignedIn, Depends(signed_in)]
Text = Annotated[str, Form(max_length=2000)]
Short = Annotated[str, Form(max_length=200)]
LOCAL = "%Y-%m-%dT%H:%M"
# The event kinds the warning page's timeline shows; per-enterprise receipts and confirmations are
# counted on the page, not listed (a red warning has 10^5 of them).
TIMELINE = ("warning.drafted", "warning.change_requested", "warning.lift_requested", "warning.approved",
            "warning.request_withdrawn", "warning.started", "warning.expired", "warning.lifted",
            "notice.escalated", "notice.unit_confirmed", "deliveries.failed", "deliveries.recovered")


class FormError(Exception):
    """A form field that cannot be read (a date that is not one)."""

    def __init__(self, zh: str, en: str, field: str):
        super().__init__(en)
        self.zh, self.en, self.field = zh, en, field


# -- list ----------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def index(request: Request, session: Tx, who: Who, status: str = "open") -> HTMLResponse:
    everything = status == "all"
    warnings = queries.listing(session, who.actor, everything=everything)[:500]
    zone = context_of(request).settings.tz
    docs = rows_json(session, warnings, zone)
    progress = queries.progress_by_warning(session, [w.id for w in warnings])
    return staff(request, who, "warnings/index.html", {"docs": docs, "progress": progress, "everything": everything})


# -- draft ---------------------------------------------------------------------------------------

@router.get("/new", response_class=HTMLResponse)
def new(request: Request, session: Tx, who: Who, level: Annotated[str | None, Query(max_length=20)] = None,
        area: Annotated[str | None, Query(max_length=200)] = None,
        drill: bool = False) -> HTMLResponse:
    who.actor.require(Action.DRAFT)
    values = _defaults(request, session, who, level, area) | {"drill": drill}
    return _draft_form(request, session, who, values)


@router.get("/new/check", response_class=HTMLResponse)
def check(request: Request, session: Tx, who: Who, level: Annotated[str, Query(max_length=20)] = "",
          area: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """The adequacy check and the reach of a draft, refreshed as level or area change (htmx)."""
    context = context_of(request)
    try:
        preview = service.preview(session=session, rules=context.rules, config=context.config, area=area, level=level,
                                  actor=who.actor)
    except service.Refused as exc:
        return staff(request, who, "warnings/_check.html", {"preview": None, "error": exc})
    evidence = preview["evidence"]
    return staff(request, who, "warnings/_check.html", {"preview": preview, "error": None,
                                                        "trigger": trigger_named(context.rules, evidence.get("level"),
                                                                                 evidence.get("rule"))})


@router.post("/new")
def create(request: Request, session: Tx, who: Who, level: Short = "", area: Short = "", start: Short = "",
           end: Short = "", reason: Text = "", drill: Annotated[str, Form(max_length=5)] = ""):
    context = context_of(request)
    values = {"level": level, "area": area, "start": start, "end": end, "reason": reason, "drill": drill == "1"}
    try:
        zone = context.settings.tz
        with session.begin_nested():
            draft = service.draft(session=session, rules=context.rules, config=context.config, area=area, level=level,
                                  start=_local(start, zone, "start"), end=_local(end, zone, "end"), reason=reason,
                                  actor=who.actor, now=utcnow(), drill=values["drill"])
    except (service.Refused, FormError) as exc:
        return _draft_form(request, session, who, values, error=exc, status=422 if _invalid(exc) else 409)
    return RedirectResponse(f"/warnings/{draft.warning_id}?drafted=1", status_code=303)


def _draft_form(request: Request, session: Session, who: SignedIn, values: dict, error=None,
                status: int = 200) -> HTMLResponse:
    context = context_of(request)
    return staff(request, who, "warnings/new.html", {
        "values": values, "error": error, "levels": context.rules.keys, "areas": _areas(session, who),
        "recommendation": (recommendation := values.get("recommendation")),
        "trigger": recommendation and trigger_named(context.rules, recommendation.get("level"), recommendation.get("rule"))},
        status)


def _defaults(request: Request, session: Session, who: SignedIn, level: str | None, area: str | None) -> dict:
    """The level and days the latest forecast recommends for the area asked for, else for the first
    area in the user's scope whose forecast calls for a warning; else tomorrow for three days."""
    context, zone = context_of(request), context_of(request).settings.tz
    choices = _areas(session, who)
    recommendation = None
    if area:
        try:
            recommendation = assess_area(session, context.rules, service.find_area(session, area, who.actor)).to_json()
        except (service.Refused, NoForecast):
            pass
    else:
        calling = [a for a in assess_for(session=session, rules=context.rules, actor=who.actor)
                   if a.level and who.actor.covers(_path(session, a.area))]
        recommendation = calling[0].to_json() if calling else None
    chosen = area or (recommendation or {}).get("area") or (_own_area(session, who) or (choices[0][1] if choices else ""))
    tomorrow = (utcnow().astimezone(zone) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = tomorrow, tomorrow + timedelta(days=3)
    if recommendation and recommendation.get("trigger_days"):
        days = [datetime.fromisoformat(d) for d in recommendation["trigger_days"]]
        first = min(days).replace(tzinfo=zone)
        start, end = max(first, tomorrow), max(days).replace(tzinfo=zone) + timedelta(days=1)
    return {"level": level or (recommendation or {}).get("level") or context.rules.keys[0], "area": chosen,
            "start": start.strftime(LOCAL), "end": end.strftime(LOCAL), "reason": "", "recommendation": recommendation}


def _path(session: Session, name: str) -> str:
    try:
        return areas.find(session, name).path
    except LookupError:
        return "/-/"


def _own_area(session: Session, who: SignedIn) -> str | None:
    return session.scalar(select(Area.name).where(Area.id == who.user.area_id)) if who.user.area_id else None


def _areas(session: Session, who: SignedIn) -> list[tuple[int, str]]:
    """(id, name path) of every area a warning may be drafted for in the user's scope, by path."""
    query = select(Area).order_by(Area.path)
    if who.actor.area_path is not None:
        query = query.where(Area.path.startswith(who.actor.area_path))
    rows = session.scalars(query.limit(5000)).all()
    names = dict(session.execute(select(Area.id, Area.name)).all())
    return [(a.id, areas.label(session, a, names)) for a in rows]


# -- one warning ---------------------------------------------------------------------------------

@router.get("/{warning_id}", response_class=HTMLResponse)
def show(request: Request, warning_id: Id, session: Tx, who: Who, error=None, values: dict | None = None,
         status: int = 200) -> HTMLResponse:
    context = context_of(request)
    warning = queries.one(session, warning_id, who.actor)
    doc = warning_json(session, warning, context.settings.tz)
    pending = next((r for r in doc["history"] if r["status"] == "pending"), None)
    pending_row = service.pending(session, warning)
    own = pending_row is not None and service.same_person(who.actor, pending_row)
    return staff(request, who, "warnings/show.html", {
        "w": warning, "doc": doc, "pending": pending, "pending_row": pending_row, "own": own,
        "area_label": areas.label(session, session.get(Area, warning.area_id)),
        "progress": queries.progress_by_warning(session, [warning.id])[warning.id],
        "timeline": queries.timeline(session, warning, TIMELINE, limit=300),
        "effect": _effect(session, warning, pending_row), "levels": context.rules.keys,
        "trigger": pending and pending["forecast"] and trigger_named(context.rules, pending["forecast"].get("level"),
                                                                     pending["forecast"].get("rule")),
        "rank": {k: i for i, k in enumerate(context.rules.keys)}, "open": warning.status in OPEN,
        "changeable": warning.status in (Status.SCHEDULED, Status.ACTIVE) and pending_row is None
                      and warning.lifted_at is None,
        "error": error, "values": values or {}, "drafted": request.query_params.get("drafted"),
        "now_local": utcnow().astimezone(context.settings.tz).strftime(LOCAL),
        "end_local": warning.end_at.astimezone(context.settings.tz).strftime(LOCAL)}, status)


@router.get("/{warning_id}/counts", response_class=HTMLResponse)
def counts(request: Request, warning_id: Id, session: Tx, who: Who) -> HTMLResponse:
    """The live figures (htmx polls this every few seconds)."""
    warning = queries.one(session, warning_id, who.actor)
    return staff(request, who, "warnings/_counts.html", {
        "w": warning, "progress": queries.progress_by_warning(session, [warning.id])[warning.id], "now": utcnow()})


@router.post("/{warning_id}/approve")
def approve(request: Request, warning_id: Id, session: Tx, who: Who, reason: Text = ""):
    context = context_of(request)
    return _act(request, session, who, warning_id, {"approve_reason": reason}, lambda: service.approve(
        session=session, rules=context.rules, config=context.config, warning_id=warning_id, actor=who.actor,
        now=utcnow(), override_reason=reason or None))


@router.post("/{warning_id}/withdraw")
def withdraw(request: Request, warning_id: Id, session: Tx, who: Who, reason: Text = ""):
    return _act(request, session, who, warning_id, {"withdraw_reason": reason}, lambda: service.withdraw(
        session=session, warning_id=warning_id, reason=reason, actor=who.actor, now=utcnow()))


@router.post("/{warning_id}/change")
def change(request: Request, warning_id: Id, session: Tx, who: Who, level: Short = "", end: Short = "",
           reason: Text = ""):
    context = context_of(request)
    values = {"change_level": level, "change_end": end, "change_reason": reason}
    return _act(request, session, who, warning_id, values, lambda: service.request_change(
        session=session, rules=context.rules, config=context.config, warning_id=warning_id, level=level or None,
        end=_local(end, context.settings.tz, "end") if end else None, reason=reason, actor=who.actor, now=utcnow()))


@router.post("/{warning_id}/lift")
def lift(request: Request, warning_id: Id, session: Tx, who: Who, at: Short = "", reason: Text = ""):
    context = context_of(request)
    values = {"lift_at": at, "lift_reason": reason}
    return _act(request, session, who, warning_id, values, lambda: service.request_lift(
        session=session, warning_id=warning_id, at=_local(at, context.settings.tz, "at"), reason=reason,
        actor=who.actor, now=utcnow()))


@router.get("/{warning_id}/cap/{seq}.xml")
def cap(request: Request, warning_id: Id, seq: Annotated[int, Path(ge=1, le=10_000)], session: Tx, who: Who) -> Response:
    """An approved notice as CAP 1.2 XML, downloaded as a file."""
    context = context_of(request)
    queries.one(session, warning_id, who.actor)
    try:
        xml = caps.notice_xml(session=session, warning_id=warning_id, seq=seq, rules=context.rules,
                              config=context.config.cap, zone=context.settings.tz)
    except LookupError as exc:
        raise service.NotFound("没有该通知", str(exc), code="no_notice") from None
    return Response(xml, media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="warning-{warning_id}-notice-{seq}.cap.xml"'})


def _act(request: Request, session: Session, who: SignedIn, warning_id: int, values: dict, call):
    """Run a sign-off, change, lift or withdrawal; on refusal show the warning again with the reason."""
    try:
        with session.begin_nested():  # a refusal undoes only this attempt
            call()
    except (service.Refused, FormError, Forbidden) as exc:
        status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, service.NotFound) else (
            422 if _invalid(exc) else 409)
        if isinstance(exc, service.NotFound):
            raise
        return show(request, warning_id, session, who, error=exc, values=values, status=status)
    return RedirectResponse(f"/warnings/{warning_id}", status_code=303)


def _effect(session: Session, warning, pending) -> dict | None:
    """For a pending change: how many enterprises the new level asks something different of."""
    if pending is None or pending.kind != Kind.CHANGE:
        return None
    return queries.change_effect(session, warning, pending.level, pending.end_at)


def _local(value: str, zone, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FormError(f"时间格式不正确：{value!r}（应为 年-月-日 时:分）", f"not a date and time: {value!r}",
                        field) from None
    return queries.at_time(parsed, zone, field)


def _invalid(exc: Exception) -> bool:
    return isinstance(exc, (service.Invalid, FormError))
