"""The built-in simulator: every message lands in an inbox per phone number or email address,
kept in the database so that the web application (another process) shows it at /simulator. An SMS
shows as a phone would show it: behind the 【signature】 of the provider it stands in for."""
from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from alerts import sms
from alerts.models import InboxMessage
from alerts.providers.base import Message, Sent, Transport
from alerts.providers.simulator.settings import SimulatorSettings
from config.db import utcnow


def build(config: SimulatorSettings, *, sessions: sessionmaker, public_url: str,
          pool: int = 16) -> dict[str, Transport]:
    return {"sms": SimulatorTransport("sms", sessions, signature=config.signature),
            "voice": SimulatorTransport("voice", sessions), "email": SimulatorTransport("email", sessions)}


class SimulatorTransport:
    rate_limited = False  # no provider to protect: the demo fills its inboxes at once

    def __init__(self, channel: str, sessions: sessionmaker, *, signature: str | None = None):
        self.channel, self.sessions, self.signature = channel, sessions, signature

    def send(self, message: Message) -> Sent:
        text = sms.signed(message.text, self.signature) if self.channel == "sms" else message.text
        with self.sessions() as session, session.begin():
            row = InboxMessage(channel=self.channel, address=message.address, direction="out",
                               delivery_id=message.delivery_id, subject=message.subject, body=text,
                               html=message.html, at=utcnow())
            session.add(row)
            session.flush()
            return Sent(provider_id=f"SIM{row.id:010d}", status="delivered")
