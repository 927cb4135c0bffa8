"""The inspector's phone pages: today's visit list (the warnings open for inspection, the
enterprises of the chosen one in visiting order) and one enterprise with its measures, its
confirmations, its earlier inspections and the form that records a visit.

The form is sent by inspect.js to the JSON API (photos one by one as they are taken, then the
visit), so that a slow connection loses nothing: the draft stays in the browser until the visit
is recorded. The pages only read; the service decides who may record what."""
from __future__ import annotations

from math import ceil
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Action
from areas.models import Area
from config.db import utcnow
from emergency.inspections import queries, visits
from emergency.inspections.service import MAX_NOTE, MAX_PHOTOS, open_for_inspection
from emergency.warnings import queries as warnings
from emergency.warnings.documents import shown_status
from emergency.web import i18n
from emergency.web.console import language_of, staff
from emergency.web.deps import SignedIn, settings_of, signed_in, transaction

router = APIRouter(prefix="/inspect", include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[SignedIn, Depends(signed_in)]
PER_PAGE = 50
# What inspect.js says, in the page's language (it has no catalogue of its own).
SCRIPT_WORDS = ("uploading", "uploaded", "upload_failed", "retry", "remove", "located", "not_located", "locating",
                "sending", "offline", "waiting_photos", "failed_photos", "choose_result", "too_many")


@router.get("", response_class=HTMLResponse)
def visit_list(request: Request, session: Tx, who: Who,
               warning: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
               q: Annotated[str | None, Query(max_length=100)] = None,
               lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
               lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """Today's visits: the first warning in force unless another open one is chosen."""
    who.actor.require(Action.INSPECT)
    now = utcnow()
    open_now = visits.open_warnings(session, who.actor, now)
    chosen = next((w for w in open_now if w.id == warning), open_now[0] if open_now else None)
    found = (visits.visit_list(session, who.actor, chosen, q=q, lat=lat, lon=lon, page=page, per_page=PER_PAGE)
             if chosen else None)
    pages = max(1, ceil(found["total"] / PER_PAGE)) if found else 1
    keep = {"warning": chosen.id if chosen and len(open_now) > 1 else None, "q": (q or "").strip() or None,
            "lat": lat, "lon": lon}
    return staff(request, who, "inspect/list.html", {
        "warnings": open_now, "chosen": chosen, "found": found, "q": (q or "").strip(), "located": lat is not None and lon is not None,
        "shown": {w.id: shown_status(w, now) for w in open_now}, "areas": _areas(session, open_now),
        "reset": _link({**keep, "q": None}, 1),
        "pages": pages, "previous": _link(keep, page - 1) if page > 1 else None,
        "next": _link(keep, page + 1) if page < pages else None})


@router.get("/{warning_id}/{credit_code}", response_class=HTMLResponse)
def enterprise(request: Request, warning_id: Id, credit_code: Annotated[str, Path(min_length=1, max_length=18)],
               session: Tx, who: Who) -> HTMLResponse:
    """One enterprise to visit; 404 outside the user's area or the warning's notice."""
    who.actor.require(Action.INSPECT)
    zone, now = settings_of(request).tz, utcnow()
    warning = warnings.one(session, warning_id, who.actor)
    found = visits.enterprise_visit(session, who.actor, warning, credit_code)
    t = i18n.Translator(language_of(request, who.user))
    return staff(request, who, "inspect/visit.html", {
        **found, "w": warning, "shown": shown_status(warning, now), "open": open_for_inspection(warning, now),
        "area": _areas(session, [warning])[warning.id],
        "earlier": queries.documents(session, visits.earlier(session, found["enterprise"].id), zone),
        "now_local": now.astimezone(zone).strftime("%Y-%m-%dT%H:%M"), "max_note": MAX_NOTE, "max_photos": MAX_PHOTOS,
        "words": {key: t(f"inspect.js.{key}") for key in SCRIPT_WORDS}})


def _link(keep: dict, page: int) -> str:
    query = urlencode({**{k: v for k, v in keep.items() if v is not None}, **({"page": page} if page > 1 else {})})
    return "/inspect" + (f"?{query}" if query else "")


def _areas(session: Session, found: list) -> dict[int, str]:
    names = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_({w.area_id for w in found}))).all())
    return {w.id: names.get(w.area_id, "") for w in found}
