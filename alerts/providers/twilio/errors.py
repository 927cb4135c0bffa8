"""Twilio's failures and callback statuses as ours."""
from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from alerts.providers.base import TransportError

# Twilio error codes that mean the number itself is wrong or cannot be reached: the contact is flagged.
# https://www.twilio.com/docs/api/errors
BAD_NUMBER = {
    21211: "invalid 'To' number",
    21214: "'To' number cannot be reached",
    21217: "number does not appear to be valid",
    21401: "invalid phone number",
    21407: "number type does not support SMS",
    21610: "recipient has unsubscribed (STOP)",
    21612: "'To' number not reachable by SMS",
    21614: "'To' number is not a mobile number",
    13223: "invalid phone number format for a call",
    13224: "invalid phone number for a call",
    30005: "unknown destination handset",
    30006: "landline or unreachable carrier",
}
TRANSIENT_CODES = {20429, 20500, 20503, 30001, 30002}


def translate(exc: Exception) -> TransportError:
    """Twilio's failure as ours: bad numbers and other 4xx are permanent, 429 and 5xx transient."""
    if isinstance(exc, TwilioRestException):
        code, status = exc.code, exc.status
        reason = f"twilio {status} error {code}: {BAD_NUMBER.get(code) or exc.msg}"
        if code in BAD_NUMBER:
            return TransportError(reason, permanent=True, bad_address=True, code=code)
        transient = status == 429 or status >= 500 or code in TRANSIENT_CODES
        return TransportError(reason, permanent=not transient, code=code)
    if isinstance(exc, requests.RequestException | TwilioException):
        return TransportError(f"twilio unreachable: {type(exc).__name__}: {exc}", permanent=False,
                              ambiguous=_maybe_received(exc))
    return TransportError(f"twilio: {type(exc).__name__}: {exc}", permanent=False)


def _maybe_received(exc: Exception) -> bool:
    """True when the request may have reached Twilio: a read timeout, or a connection lost after it
    was made. Refused or timed-out connections never carried it."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ReadTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        return not any(s in text for s in ("NewConnectionError", "ConnectTimeoutError", "Failed to establish",
                                           "Name or service not known", "Connection refused"))
    return False


# Twilio's message and call statuses, as ours (None: in progress, nothing to record but the word).
CALLBACK_STATUS = {
    "queued": None, "accepted": None, "scheduled": None, "sending": None, "initiated": None, "ringing": None,
    "sent": "sent", "in-progress": "delivered", "answered": "delivered", "delivered": "delivered", "read": "delivered",
    "completed": "delivered", "undelivered": "failed", "failed": "failed", "busy": "failed", "no-answer": "failed",
    "canceled": "failed",
}


def callback_outcome(status: str, error_code: str | None) -> tuple[str | None, str | None, bool]:
    """A status callback as (our status, error text, whether the address is bad)."""
    ours = CALLBACK_STATUS.get(status.lower())
    code = int(error_code) if error_code and error_code.isdigit() else None
    if ours != "failed":
        return ours, None, False
    reason = f"twilio: {status}" + (f" (error {code}: {BAD_NUMBER.get(code, 'see Twilio error codes')})" if code else "")
    return ours, reason, code in BAD_NUMBER
