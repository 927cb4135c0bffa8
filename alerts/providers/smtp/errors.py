"""SMTP's failures as ours: 5xx is permanent (a refused mailbox is a bad address), 4xx and a lost
connection transient."""
from __future__ import annotations

import smtplib

from alerts.providers.base import TransportError


def translate(exc: Exception, *, handed: bool) -> TransportError:
    """`handed`: the message was being transmitted, so a lost answer may mean it arrived."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return TransportError(f"smtp {code}: {_text(text)}", permanent=code >= 500, bad_address=code >= 500, code=code)
    if isinstance(exc, smtplib.SMTPResponseException):
        return TransportError(f"smtp {exc.smtp_code}: {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500,
                              code=exc.smtp_code)
    return TransportError(f"smtp unreachable: {type(exc).__name__}: {exc}", permanent=False,
                          ambiguous=handed and isinstance(exc, OSError | smtplib.SMTPServerDisconnected))


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
