"""The command center's side of a warning's inspections, in the browser: the review list (filters,
photos, the violations' measures), coverage by town, assigning enterprises to inspectors, and the
violation register as a workbook. Every staff role in scope reads; only the office assigns (the
service checks). An assignment is a form POST answered by a redirect; a refusal shows the page
again with the reason and the rows still ticked."""
from __future__ import annotations

from math import ceil
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Forbidden
from config.db import utcnow
from emergency.inspections import coverage, queries, register, service
from emergency.inspections.models import Result
from emergency.warnings import queries as warnings
from emergency.warnings.documents import shown_status
from emergency.warnings.service import Invalid, NotFound, Refused
from emergency.web import i18n
from emergency.web.console import language_of, staff
from emergency.web.deps import SignedIn, settings_of, signed_in, transaction
from lists.models import Area

router = APIRouter(prefix="/warnings", include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[SignedIn, Depends(signed_in)]
Filter = Annotated[str | None, Query(max_length=200)]
FormFilter = Annotated[str, Form(max_length=200)]
Page = Annotated[int, Query(ge=1, le=100_000)]
REVIEW_PAGE = 30
ASSIGN_PAGE = 100


def _link(warning_id: int, path: str, /, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/warnings/{warning_id}/{path}" + (f"?{query}" if query else "")


def _heading(session: Session, who: SignedIn, warning_id: int) -> dict:
    """The warning, its state now and its area's name: what every page's strip shows."""
    warning = warnings.one(session, warning_id, who.actor)
    return {"w": warning, "shown": shown_status(warning, utcnow()),
            "area": session.scalar(select(Area.name).where(Area.id == warning.area_id))}


def _pager(warning_id: int, path: str, found: dict, filters: dict) -> dict:
    pages = max(1, ceil(found["total"] / found["per_page"]))
    page = found["page"]
    return {"pages": pages, "previous": _link(warning_id, path, **filters, page=page - 1 if page > 2 else None)
            if page > 1 else None, "next": _link(warning_id, path, **filters, page=page + 1) if page < pages else None}


@router.get("/{warning_id}/inspections", response_class=HTMLResponse)
def review(request: Request, warning_id: Id, session: Tx, who: Who, result: Filter = None, town: Filter = None,
           inspector: Filter = None, q: Filter = None, page: Page = 1) -> HTMLResponse:
    """The warning's inspections in the user's area, newest first, with what each found."""
    heading = _heading(session, who, warning_id)
    warning = heading["w"]
    filters = {"result": result if result in tuple(Result) else "", "town": (town or "").strip(),
               "inspector": (inspector or "").strip(), "q": (q or "").strip()}
    found = queries.for_warning(session, who.actor, warning.id, settings_of(request).tz, page=page, per_page=REVIEW_PAGE,
                                **{k: v or None for k, v in filters.items()})
    towns = coverage.by_town(session, warning, who.actor)
    return staff(request, who, "inspections/review.html", {
        **heading, "found": found, "filters": filters, "total": towns["total"],
        "towns": [t["town"] for t in towns["towns"]], "inspectors": coverage.inspectors_seen(session, warning, who.actor),
        **_pager(warning.id, "inspections", found, filters)})


@router.get("/{warning_id}/inspections/coverage", response_class=HTMLResponse)
def town_coverage(request: Request, warning_id: Id, session: Tx, who: Who) -> HTMLResponse:
    """Per town of the notice: enterprises, assigned, visited, violations, still to visit."""
    heading = _heading(session, who, warning_id)
    return staff(request, who, "inspections/coverage.html", {
        **heading, "coverage": coverage.by_town(session, heading["w"], who.actor)})


def _assign_filters(town: str | None, grade: str | None, state: str | None, assigned: str | None, q: str | None) -> dict:
    return {"town": (town or "").strip(), "grade": (grade or "").strip(),
            "state": state if state in coverage.STATES else "", "assigned": assigned if assigned in coverage.ASSIGNED else "",
            "q": (q or "").strip()}


@router.get("/{warning_id}/inspections/assign", response_class=HTMLResponse)
def assignments(request: Request, warning_id: Id, session: Tx, who: Who, town: Filter = None, grade: Filter = None,
                state: Filter = None, assigned: Filter = None, q: Filter = None, page: Page = 1,
                done: Filter = None, n: Annotated[int, Query(ge=0, le=10**6)] = 0, to: Filter = None) -> HTMLResponse:
    outcome = {"done": done, "n": n, "to": to or ""} if done in ("assign", "unassign") else None
    return _assign_page(request, session, who, warning_id, _assign_filters(town, grade, state, assigned, q), page,
                        outcome=outcome)


@router.post("/{warning_id}/inspections/assign")
def assign(request: Request, warning_id: Id, session: Tx, who: Who,
           action: Annotated[str, Form(pattern="^(assign|unassign)$")] = "assign",
           inspector: Annotated[str, Form(max_length=100)] = "",
           credit_code: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
           town: FormFilter = "", grade: FormFilter = "", state: FormFilter = "", assigned: FormFilter = "",
           q: FormFilter = "", page: Annotated[int, Form(ge=1, le=100_000)] = 1):
    """Send the ticked enterprises' visits to an inspector, or take them back."""
    filters = _assign_filters(town, grade, state, assigned, q)
    warning = warnings.one(session, warning_id, who.actor)
    try:
        if action == "assign" and not inspector.strip():
            raise Invalid("请选择督查员", "choose an inspector", code="no_inspector", field="inspector")
        with session.begin_nested():  # a refusal undoes only this attempt
            count = service.assign(session, actor=who.actor, warning_id=warning.id, credit_codes=credit_code,
                                   inspector=inspector if action == "assign" else None, now=utcnow())
    except (Refused, Forbidden) as exc:
        return _assign_page(request, session, who, warning.id, filters, page, error=exc, checked=credit_code,
                            chosen=inspector, status=_status(exc))
    return RedirectResponse(_link(warning.id, "inspections/assign", **filters, page=page if page > 1 else None,
                                  done=action, n=count, to=inspector if action == "assign" else None), status_code=303)


def _status(exc: Exception) -> int:
    if isinstance(exc, Forbidden):
        return 403
    return 404 if isinstance(exc, NotFound) else 422 if isinstance(exc, Invalid) else 409


def _assign_page(request: Request, session: Session, who: SignedIn, warning_id: int, filters: dict, page: int, *,
                 outcome: dict | None = None, error: Exception | None = None, checked: list[str] | None = None,
                 chosen: str = "", status: int = 200) -> HTMLResponse:
    heading = _heading(session, who, warning_id)
    warning = heading["w"]
    found = coverage.enterprises(session, warning, who.actor, page=page, per_page=ASSIGN_PAGE,
                                 **{k: v or None for k, v in filters.items()})
    return staff(request, who, "inspections/assign.html", {
        **heading, "found": found, "filters": filters, "choices": coverage.choices(session, warning, who.actor),
        "inspectors": coverage.inspectors(session, warning, who.actor), "outcome": outcome, "error": error,
        "checked": set(checked or ()), "chosen": chosen, **_pager(warning.id, "inspections/assign", found, filters)},
        status)


@router.get("/{warning_id}/inspections/register.xlsx")
def violation_register(request: Request, warning_id: Id, session: Tx, who: Who) -> Response:
    """Every violation in the user's area as a workbook (违规台账)."""
    heading = _heading(session, who, warning_id)
    warning, zone = heading["w"], settings_of(request).tz
    data = register.workbook(register.rows(session, warning, who.actor, zone), register.title(warning, heading["area"]))
    t = i18n.Translator(language_of(request, who.user))
    name = t("inspections.register.file", id=warning.id, date=f"{utcnow().astimezone(zone):%Y-%m-%d}")
    disposition = f"attachment; filename=\"warning-{warning.id}-violations.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=register.MEDIA_TYPE,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
