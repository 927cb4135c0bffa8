"""The page a company (or a unit) reaches from the link in its SMS or email: what applies to it,
from when, with a confirm button per measure (a company) or one for its duties (a unit). The token
is the only key: it names one recipient of one notice and shows nothing of anyone else.

The page stays in both languages at once rather than the console's catalogue: its readers have no
account to keep a language choice, an official notice is read in Chinese whatever the phone's
setting, and the English line helps a foreign-run company without hiding the Chinese."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import rulesets
from config.db import utcnow
from emergency.notices import acknowledge, tokens, units
from emergency.notices.render import ACTION_ZH
from emergency.warnings.models import ActivatedDuty, Kind
from emergency.web.deps import page, settings_of, transaction
from lists.models import Area, Enterprise, Unit

router = APIRouter(include_in_schema=False)


def _notice(request: Request, session: Session, token: str) -> acknowledge.Notice:
    recipient_id = tokens.read(tokens.key(session, settings_of(request)), token)
    if recipient_id is None:
        raise acknowledge.LinkError("链接无效", "this link is not valid")
    return acknowledge.notice(session, recipient_id, utcnow())


@router.get("/a/{token}", response_class=HTMLResponse)
def show(request: Request, token: str, session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    try:
        n = _notice(request, session, token)
    except acknowledge.LinkError as exc:
        return page(request, "message.html", {"title": "链接失效", "zh": exc.zh, "en": exc.en}, 404)
    acknowledge.receipt(session, n, channel="web", now=utcnow())  # opening the link is receipt
    return page(request, "notice.html", _context(request, session, n, token))


@router.post("/a/{token}/confirm")
def confirm(request: Request, token: str, measure: str = Form(""), note: str = Form(""),
            session: Session = Depends(transaction, scope="function")):
    try:
        n = _notice(request, session, token)
        if n.recipient.unit_id is not None:
            units.confirm(session, n, note=note, channel="web", now=utcnow())
            return RedirectResponse(f"/a/{token}#duties", status_code=303)
        acknowledge.confirm(session, n, measure_id=int(measure) if measure.isdigit() else None, note=note,
                            channel="web", now=utcnow())
    except acknowledge.LinkError as exc:
        return page(request, "message.html", {"title": "无法确认", "zh": exc.zh, "en": exc.en}, 400)
    return RedirectResponse(f"/a/{token}#m{measure}", status_code=303)


def _context(request: Request, session: Session, n: acknowledge.Notice, token: str) -> dict:
    settings = settings_of(request)
    level = rulesets.load(n.warning.rules).level(n.activation.level)
    local = lambda t: t.astimezone(settings.tz) if t else None  # noqa: E731
    duties = []
    if n.recipient.unit_id is not None:
        duties = session.scalars(select(ActivatedDuty.duty).where(ActivatedDuty.activation_id == n.activation.id,
                                                                  ActivatedDuty.unit_id == n.recipient.unit_id)
                                 .order_by(ActivatedDuty.position)).all()
    return {
        "token": token, "n": n, "level": level, "lift": n.activation.kind == Kind.LIFT,
        "area": session.get(Area, n.warning.area_id).name,
        "party": (session.get(Enterprise, n.recipient.enterprise_id).name if n.recipient.enterprise_id is not None
                  else session.get(Unit, n.recipient.unit_id).name),
        "start": local(n.activation.starts_at), "end": local(n.activation.ends_at), "lifted": local(n.warning.lifted_at),
        "measures": acknowledge.measures(session, n), "done": acknowledge.confirmations(session, n),
        "duties": duties, "unit": n.unit_state, "tz": settings.tz, "state": n.state, "action_zh": ACTION_ZH,
        "confirmed_at": local(n.state.confirmed_at) if n.state and n.state.confirmed_at else None,
    }
