"""What people send back: SMS replies and keypresses on calls, and what a call reads out. The
providers' callbacks (through `Answers`) and the simulator both come through here, so the simulator
exercises the real path."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from alerts.models import Delivery, InboxMessage
from config.settings import Settings
from emergency.notices import acknowledge, tokens
from emergency.notices.render import ENV, Renderer


class Answers:
    """The workflow's side of the providers' callbacks (alerts.providers.base.Inbound)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def lang(self) -> str:
        return self.settings.app.notify.language

    def reply(self, session: Session, *, sender: str, body: str, now: datetime) -> str:
        return sms(session, self.settings, sender=sender, body=body, now=now)

    def keypress(self, session: Session, *, delivery_id: int, digits: str, now: datetime) -> bool:
        return keypress(session, delivery_id=delivery_id, digits=digits, now=now)

    def script(self, session: Session, *, delivery_id: int) -> str | None:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None or delivery.channel != "voice":
            return None
        message = Renderer(self.settings)(session, [delivery]).get(delivery_id)
        return None if message is None or isinstance(message, str) else message.text


def sms(session: Session, settings: Settings, *, sender: str, body: str, now: datetime) -> str:
    """Handle an SMS reply; returns the text to answer with."""
    lang = settings.app.notify.language
    if not acknowledge.is_acknowledgment(body):
        return _reply(lang, "help")
    delivery = acknowledge.latest_sent_to(session, sender)
    if delivery is None:
        return _reply(lang, "none")
    try:
        n = acknowledge.notice(session, delivery.recipient_id, now)
    except acknowledge.LinkError:
        return _reply(lang, "none")
    acknowledge.receipt(session, n, channel="sms", now=now, delivery_id=delivery.id)
    link = f"{settings.public_url}/a/{tokens.make(tokens.key(session, settings), n.recipient.id)}"
    return _reply(lang, "ack", link=link, enterprise=n.recipient.enterprise_id is not None)


def keypress(session: Session, *, delivery_id: int, digits: str, now: datetime) -> bool:
    """A key pressed on a call; returns True when it acknowledged receipt (1)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.channel != "voice" or digits.strip() != "1":
        return False
    try:
        n = acknowledge.notice(session, delivery.recipient_id, now)
    except acknowledge.LinkError:
        return False
    acknowledge.receipt(session, n, channel="voice", now=now, delivery_id=delivery.id)
    return True


def simulated_reply(session: Session, settings: Settings, *, sender: str, body: str, now: datetime) -> str:
    """A reply typed in the simulator: kept in the inbox both ways, answered like a real one."""
    session.add(InboxMessage(channel="sms", address=sender, direction="in", body=body, at=now))
    answer = sms(session, settings, sender=sender, body=body, now=now)
    session.add(InboxMessage(channel="sms", address=sender, direction="out", body=answer, at=now))
    session.flush()
    return answer


def _reply(lang: str, which: str, **values) -> str:
    return ENV.get_template(f"{lang}/sms_reply_{which}.j2").render(**values).strip()
