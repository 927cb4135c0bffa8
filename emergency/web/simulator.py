"""The message simulator: every phone and mailbox that received something, their messages, and
a way to answer (an SMS reply, a keypress on a call) through the same path as the real ones."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.models import InboxMessage
from config.db import utcnow
from accounts.models import Role
from emergency.notices import inbound
from emergency.web.deps import SignedIn, page, settings_of, signed_in, transaction

router = APIRouter(prefix="/simulator", include_in_schema=False)


def enabled(request: Request) -> None:
    """Only where some channel really goes to the simulator."""
    settings = settings_of(request)
    if settings.twilio and settings.smtp_host:
        raise HTTPException(404)


def staff(who: SignedIn = Depends(signed_in)) -> SignedIn:
    """The simulator shows every message sent: for admins only."""
    if who.user.role != Role.ADMIN:
        raise HTTPException(403, detail={"code": "forbidden", "message": "the simulator is for admins",
                                         "message_zh": "消息模拟器仅限管理员使用"})
    return who


@router.get("", response_class=HTMLResponse, dependencies=[Depends(enabled)])
def inboxes(request: Request, who: SignedIn = Depends(staff), session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    rows = session.execute(select(InboxMessage.address, InboxMessage.channel, func.count(), func.max(InboxMessage.at))
                           .where(InboxMessage.channel != "voice")
                           .group_by(InboxMessage.address, InboxMessage.channel)
                           .order_by(func.max(InboxMessage.id).desc()).limit(500)).all()
    calls = dict(session.execute(select(InboxMessage.address, func.count()).where(InboxMessage.channel == "voice")
                                 .group_by(InboxMessage.address)).all())
    total = session.scalar(select(func.count()).select_from(InboxMessage))
    return page(request, "simulator.html", {"rows": rows, "calls": calls, "total": total, "user": who.user,
                                            "csrf_meta": who.csrf,
                                            "tz": settings_of(request).tz})


@router.get("/inbox/{address}", response_class=HTMLResponse, dependencies=[Depends(enabled)])
def inbox(request: Request, address: str, who: SignedIn = Depends(staff),
          session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    messages = session.scalars(select(InboxMessage).where(InboxMessage.address == address)
                               .order_by(InboxMessage.id)).all()
    return page(request, "inbox.html", {"address": address, "messages": messages, "user": who.user,
                                        "csrf_meta": who.csrf,
                                        "phone": not address.count("@"), "tz": settings_of(request).tz})


@router.post("/inbox/{address}/reply", dependencies=[Depends(enabled)])
def reply(request: Request, address: str, body: str = Form(...), who: SignedIn = Depends(staff),
          session: Session = Depends(transaction, scope="function")) -> RedirectResponse:
    inbound.simulated_reply(session, settings_of(request), sender=address, body=body, now=utcnow())
    return RedirectResponse(f"/simulator/inbox/{address}#end", status_code=303)


@router.post("/call/{message_id}/key", dependencies=[Depends(enabled)])
def press(request: Request, message_id: int, digits: str = Form(...), who: SignedIn = Depends(staff),
          session: Session = Depends(transaction, scope="function")) -> RedirectResponse:
    call = session.get(InboxMessage, message_id)
    if call is None or call.channel != "voice" or call.delivery_id is None:
        raise HTTPException(404)
    done = inbound.keypress(session, delivery_id=call.delivery_id, digits=digits, now=utcnow())
    session.add(InboxMessage(channel="voice", address=call.address, direction="in", delivery_id=call.delivery_id,
                             body=f"按键 {digits}：{'已确认收到' if done else '未确认'}", at=utcnow()))
    return RedirectResponse(f"/simulator/inbox/{call.address}#end", status_code=303)
