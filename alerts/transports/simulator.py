"""The built-in simulator: every message lands in an inbox per phone number or email address,
kept in the database so that the web application (another process) shows it at /simulator."""
from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from alerts.models import InboxMessage
from alerts.transports.base import Message, Sent
from config.db import utcnow


class SimulatorTransport:
    rate_limited = False  # no provider to protect: the demo fills its inboxes at once
    def __init__(self, channel: str, sessions: sessionmaker):
        self.channel, self.sessions = channel, sessions

    def send(self, message: Message) -> Sent:
        with self.sessions() as session, session.begin():
            row = InboxMessage(channel=self.channel, address=message.address, direction="out",
                               delivery_id=message.delivery_id, subject=message.subject, body=message.text,
                               html=message.html, at=utcnow())
            session.add(row)
            session.flush()
            return Sent(provider_id=f"SIM{row.id:010d}", status="delivered")
