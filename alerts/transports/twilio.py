"""Twilio SMS and voice through the official client. This module only calls Twilio and translates
its errors; limits, rendering and bookkeeping are the worker's."""
from __future__ import annotations

import logging

from datetime import datetime, timedelta

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from alerts.transports.base import Message, Sent, TransportError

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

# The client logs request headers at INFO; keep credentials and numbers out of our logs.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


def make_client(*, account_sid: str, auth_token: str, api_base: str, timeout: float = 15.0,
                pool: int = 16) -> Client:
    """The real client, pointed at `api_base` (Twilio's own, or a local server in tests)."""
    http = TwilioHttpClient(timeout=timeout)
    adapter = HTTPAdapter(pool_connections=pool, pool_maxsize=pool)
    http.session.mount("https://", adapter)
    http.session.mount("http://", adapter)
    client = Client(account_sid, auth_token, http_client=http)
    client.api.base_url = api_base
    return client


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


class _Twilio:
    def __init__(self, client: Client, *, from_: str | None, messaging_service_sid: str | None):
        self.client, self.from_, self.messaging_service_sid = client, from_, messaging_service_sid


class TwilioSms(_Twilio):
    channel = "sms"

    def send(self, message: Message) -> Sent:
        sender = ({"messaging_service_sid": self.messaging_service_sid} if self.messaging_service_sid
                  else {"from_": self.from_})
        try:
            sent = self.client.messages.create(to=message.address, body=message.text,
                                               status_callback=message.status_callback, **sender)
        except Exception as exc:  # noqa: BLE001 — every failure is translated, none escapes untyped
            raise translate(exc) from exc
        return Sent(provider_id=sent.sid)

    def reconcile(self, message: Message, since: datetime) -> Sent | None:
        """Did Twilio take this message after all (its answer was lost)? The message of the same text to
        the same number sent since the day before `since` (our texts carry a link unique to the
        recipient and notice), or None. Raises TransportError if it cannot tell."""
        try:
            found = self.client.messages.list(to=message.address, date_sent_after=since - timedelta(days=1), limit=50)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc) from exc
        return next((Sent(provider_id=m.sid) for m in found if m.body == message.text), None)


class TwilioVoice(_Twilio):
    channel = "voice"

    def send(self, message: Message) -> Sent:
        if not self.from_:
            raise TransportError("voice calls need EMERGENCY_TWILIO_FROM (a messaging service cannot call)",
                                 permanent=True)
        try:
            call = self.client.calls.create(to=message.address, from_=self.from_, url=message.voice_url,
                                            status_callback=message.status_callback)
        except Exception as exc:  # noqa: BLE001
            raise translate(exc) from exc
        return Sent(provider_id=call.sid)


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
