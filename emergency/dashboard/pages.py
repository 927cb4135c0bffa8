"""The live board of one warning (/warnings/{id}/board): the page, and the figures it fetches every
5 seconds (/warnings/{id}/board/live, JSON) to redraw itself without reloading. `?wall=1` is the
command center's wall screen: full screen, dark, no navigation."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from areas.models import Area
from config.db import utcnow
from emergency.dashboard.board import board
from emergency.warnings import queries
from emergency.web import i18n
from emergency.web.console import language_of, staff
from emergency.web.deps import SignedIn, context_of, signed_in, transaction

router = APIRouter(prefix="/warnings", include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Tx = Annotated[Session, Depends(transaction, scope="function")]
Who = Annotated[SignedIn, Depends(signed_in)]
REFRESH_SECONDS = 5


def _figures(request: Request, session: Session, who: SignedIn, warning_id: int, wall: bool) -> tuple:
    warning = queries.one(session, warning_id, who.actor)
    t = i18n.Translator(language_of(request, who.user))
    return warning, board(session, warning, who.actor, context_of(request).settings.tz, utcnow(), t, dark=wall)


@router.get("/{warning_id}/board", response_class=HTMLResponse)
def show(request: Request, warning_id: Id, session: Tx, who: Who, wall: bool = False) -> HTMLResponse:
    warning, figures = _figures(request, session, who, warning_id, wall)
    return staff(request, who, "dashboard/board.html", {
        "w": warning, "b": figures, "s": figures["summary"], "area": session.get(Area, warning.area_id).name,
        "wall": wall, "refresh": REFRESH_SECONDS,
        "live_url": f"/warnings/{warning.id}/board/live" + ("?wall=1" if wall else "")})


@router.get("/{warning_id}/board/live")
def live(request: Request, warning_id: Id, session: Tx, who: Who, wall: bool = False) -> JSONResponse:
    """The board's figures as they are now: texts, bar widths and rung states by key, chart options by id."""
    _, figures = _figures(request, session, who, warning_id, wall)
    return JSONResponse({k: figures[k] for k in ("activation", "text", "widths", "flags", "charts")},
                        headers={"Cache-Control": "no-store"})
