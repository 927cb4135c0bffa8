"""Email over SMTP, HTML with a plain-text alternative."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from alerts.transports.base import Message, Sent, TransportError


class SmtpEmail:
    channel = "email"

    def __init__(self, *, host: str, port: int, sender: str, user: str | None = None, password: str | None = None,
                 starttls: bool = False, timeout: float = 20.0):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

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
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise TransportError(f"smtp {code}: {_text(text)}", permanent=code >= 500, bad_address=code >= 500,
                                 code=code) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportError(f"smtp {exc.smtp_code}: {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500,
                                 code=exc.smtp_code) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"smtp unreachable: {type(exc).__name__}: {exc}", permanent=False,
                                 ambiguous=handed and isinstance(exc, OSError | smtplib.SMTPServerDisconnected)) from exc
        return Sent(provider_id=msgid.strip("<>")[:64])


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
