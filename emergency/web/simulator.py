"""The message simulator: every phone and mailbox that received something, whose it is (the
enterprise or unit the delivery was for), their messages, and a way to answer (an SMS reply, a
keypress on a call) through the same path as the real ones. For admins, in the console."""
from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from accounts.models import Role
from alerts.models import Delivery, InboxMessage
from alerts.providers.base import CALL_WORDS
from config.db import utcnow
from emergency.notices import inbound
from emergency.warnings.models import Recipient
from emergency.web.console import staff
from emergency.web.deps import SignedIn, context_of, settings_of, signed_in, transaction
from lists.models import Enterprise, Unit

router = APIRouter(prefix="/simulator", include_in_schema=False)
PER_PAGE = 50
LINK = re.compile(r"(https?://[^\s<>\"'，。；）]+)")


@dataclass(frozen=True, order=True)
class Owner:
    """Whose number or mailbox it is: an enterprise's or unit's contact."""

    name: str
    kind: str  # enterprise | unit
    person: str


def enabled(request: Request) -> None:
    """Only where some channel really goes to the simulator."""
    if not context_of(request).providers.uses("simulator"):
        raise HTTPException(404)


def admin_only(who: SignedIn = Depends(signed_in)) -> SignedIn:
    """The simulator shows every message sent: for admins only."""
    if who.user.role != Role.ADMIN:
        raise HTTPException(403, detail={"code": "forbidden", "message": "the simulator is for admins",
                                         "message_zh": "消息模拟器仅限管理员使用"})
    return who


@router.get("", response_class=HTMLResponse, dependencies=[Depends(enabled)])
def inboxes(request: Request, q: str = "", page: int = 1, who: SignedIn = Depends(admin_only),
            session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    """Every address, newest activity first, a page at a time; htmx polls the list part alone."""
    q = q.strip()[:100]
    where = _search(q) if q else true()
    found = session.scalar(select(func.count(func.distinct(InboxMessage.address))).where(where))
    pages = max(1, -(-found // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = session.execute(
        select(InboxMessage.address,
               func.count().filter(InboxMessage.channel != "voice").label("messages"),
               func.count().filter(InboxMessage.channel == "voice", InboxMessage.direction == "out",
                                  InboxMessage.delivery_id.is_not(None)).label("calls"),
               func.max(InboxMessage.at).label("last"))
        .where(where).group_by(InboxMessage.address)
        .order_by(func.max(InboxMessage.id).desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    context = {"rows": rows, "owners": owners(session, [r.address for r in rows]), "q": q, "page": page,
               "pages": pages, "found": found,
               "messages": session.scalar(select(func.count()).select_from(InboxMessage))}
    template = "simulator_list.html" if request.headers.get("HX-Request") else "simulator.html"
    return staff(request, who, template, context)


@router.get("/inbox/{address}", response_class=HTMLResponse, dependencies=[Depends(enabled)])
def inbox(request: Request, address: str, who: SignedIn = Depends(admin_only),
          session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    """One phone's or mailbox's messages both ways, oldest first, with whose it is."""
    messages = session.scalars(select(InboxMessage).where(InboxMessage.address == address)
                               .order_by(InboxMessage.id)).all()
    return staff(request, who, "inbox.html", {"address": address, "messages": messages, "phone": "@" not in address,
                                              "texts": {m.id: pieces(m.body) for m in messages},
                                              "owners": owners(session, [address]).get(address, [])})


@router.post("/inbox/{address}/reply", dependencies=[Depends(enabled)])
def reply(request: Request, address: str, body: str = Form(""), who: SignedIn = Depends(admin_only),
          session: Session = Depends(transaction, scope="function")) -> RedirectResponse:
    """An SMS typed as this phone's owner, answered as a real reply would be; a blank one is ignored."""
    if body.strip():
        inbound.simulated_reply(session, settings_of(request), sender=address, body=body, now=utcnow())
    return RedirectResponse(f"/simulator/inbox/{address}#end", status_code=303)


@router.post("/call/{message_id}/key", dependencies=[Depends(enabled)])
def press(request: Request, message_id: int, digits: str = Form(...), who: SignedIn = Depends(admin_only),
          session: Session = Depends(transaction, scope="function")) -> RedirectResponse:
    """A key pressed on a simulated call: the same path as a provider's keypress callback."""
    call = session.get(InboxMessage, message_id)
    if call is None or call.channel != "voice" or call.delivery_id is None:
        raise HTTPException(404)
    now = utcnow()
    done = inbound.keypress(session, delivery_id=call.delivery_id, digits=digits, now=now)
    # What the call says after a key (as a provider's call would), kept in the inbox like a reply;
    # without a delivery, so that it offers no key of its own.
    answer = CALL_WORDS[settings_of(request).app.notify.language]["acknowledged" if done else "not_acknowledged"]
    session.add(InboxMessage(channel="voice", address=call.address, direction="in", delivery_id=call.delivery_id,
                             body=digits.strip()[:10], at=now))
    session.add(InboxMessage(channel="voice", address=call.address, direction="out", body=answer, at=now))
    return RedirectResponse(f"/simulator/inbox/{call.address}#end", status_code=303)


def pieces(body: str) -> list[tuple[str, bool]]:
    """The message without its edge whitespace, split into text and links (True). Jinja's urlize
    needs a space before a link, and a Chinese SMS puts a full-width colon there."""
    return [(part, i % 2 == 1) for i, part in enumerate(LINK.split(body.strip())) if part]


def owners(session: Session, addresses: list[str]) -> dict[str, list[Owner]]:
    """Per address, the enterprises and units whose contacts its messages were for (one query)."""
    rows = session.execute(_owned().add_columns(InboxMessage.address)
                           .where(InboxMessage.address.in_(addresses)).distinct()).all()
    found: dict[str, set[Owner]] = {}
    for enterprise, unit, person, address in rows:
        owner = Owner(enterprise, "enterprise", person) if enterprise else Owner(unit or "", "unit", person)
        found.setdefault(address, set()).add(owner)
    return {address: sorted(named) for address, named in found.items()}


def _owned():
    """Messages joined to their owner: delivery → recipient → enterprise or unit."""
    return (select(Enterprise.name, Unit.name, Recipient.name)
            .select_from(InboxMessage)
            .join(Delivery, Delivery.id == InboxMessage.delivery_id)
            .join(Recipient, Recipient.id == Delivery.recipient_id)
            .outerjoin(Enterprise, Enterprise.id == Recipient.enterprise_id)
            .outerjoin(Unit, Unit.id == Recipient.unit_id))


def _search(q: str):
    """Addresses containing the text (a number typed with spaces or dashes too), or whose owner or
    contact person's name does."""
    texts = {q, re.sub(r"[\s\-()]", "", q)} - {""}
    named = (_owned().with_only_columns(InboxMessage.address)
             .where(or_(Enterprise.name.icontains(q, autoescape=True), Unit.name.icontains(q, autoescape=True),
                        Recipient.name.icontains(q, autoescape=True))))
    return or_(*(InboxMessage.address.icontains(text, autoescape=True) for text in texts),
               InboxMessage.address.in_(named))
