"""The staff home page (`/`), by role: open warnings with live counts, requests waiting for this
user (to sign off, or their own waiting for a commander), the latest forecast assessment per area
in scope with the level it recommends, and the way to the next step."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from areas.models import Area
from emergency.forecasts.service import assess_for, fired_trigger
from emergency.warnings import queries
from emergency.warnings.documents import rows_json
from emergency.web.console import staff
from emergency.web.deps import SignedIn, context_of, signed_in, transaction

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: SignedIn = Depends(signed_in), session=Depends(transaction, scope="function")) -> HTMLResponse:
    context = context_of(request)
    assessments = [{"area": a.area, "level": a.level, "trigger": fired_trigger(context.rules, a),
                    "days": a.recommendation.days, "max_aqi": max((f.aqi for f in a.forecasts if f.aqi is not None),
                                                                   default=None),
                    "issued": max(f.issued_at for f in a.forecasts)}
                   for a in assess_for(session=session, rules=context.rules, actor=who.actor)[:50]]
    open_areas = {d["area"] for d in _open(request, session, who)["docs"] if not d["drill"]}
    return staff(request, who, "home.html", {
        **_open(request, session, who), "awaiting": queries.awaiting(session, who.actor),
        "assessments": assessments, "open_areas": open_areas,
        "area_names": dict(session.execute(select(Area.id, Area.name)).all())})


@router.get("/home/warnings", response_class=HTMLResponse)
def open_warnings(request: Request, who: SignedIn = Depends(signed_in),
                  session=Depends(transaction, scope="function")) -> HTMLResponse:
    """The open warnings with their counts (htmx refreshes it)."""
    return staff(request, who, "_home_warnings.html", _open(request, session, who))


def _open(request: Request, session: Session, who: SignedIn) -> dict:
    warnings = queries.listing(session, who.actor, everything=False)
    zone = context_of(request).settings.tz
    return {"docs": rows_json(session, warnings, zone),
            "progress": queries.progress_by_warning(session, [w.id for w in warnings])}
