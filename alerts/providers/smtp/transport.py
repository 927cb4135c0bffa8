"""Email over SMTP, HTML with a plain-text alternative."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy.orm import sessionmaker

from alerts.providers.base import Message, Sent, Transport
from alerts.providers.smtp.errors import translate
from alerts.providers.smtp.settings import SmtpSettings


def build(config: SmtpSettings, *, sessions: sessionmaker, public_url: str, pool: int = 16) -> dict[str, Transport]:
    password = config.password.get_secret_value() if config.password else None
    return {"email": SmtpEmail(host=config.host, port=config.port, sender=config.from_, user=config.user,
                               password=password, starttls=config.starttls, timeout=config.timeout)}


class SmtpEmail:
    channel = "email"

    def __init__(self, *, host: str, port: int, sender: str, user: str | None = None, password: str | None = None,
                 starttls: bool = False, timeout: float = 20.0):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpEmail({self.user or ''}@{self.host}:{self.port})"

    def send(self, message: Message) -> Sent:
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = self.sender, message.address, message.subject or ""
        email["Message-ID"] = msgid = make_msgid(idstring=f"d{message.delivery_id}", domain=self.sender.split("@")[-1])
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        handed = False  # once the message is being transmitted, a lost answer is ambiguous
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                handed = True
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            raise translate(exc, handed=handed) from exc
        return Sent(provider_id=msgid.strip("<>")[:64])
