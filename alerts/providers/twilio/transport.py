"""Twilio SMS and voice through the official client. This module only calls Twilio; its errors are
translated in errors.py; limits, rendering and bookkeeping are the worker's. Twilio is a text
provider: it sends the rendered text, behind the configured 【signature】."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from requests.adapters import HTTPAdapter
from sqlalchemy.orm import sessionmaker
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from alerts import sms
from alerts.providers.base import Message, Sent, Transport, TransportError
from alerts.providers.twilio.errors import translate
from alerts.providers.twilio.settings import TwilioSettings

# The client logs request headers at INFO; keep credentials and numbers out of our logs.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
PREFIX = "/webhooks/twilio"


def build(config: TwilioSettings, *, sessions: sessionmaker, public_url: str, pool: int = 16) -> dict[str, Transport]:
    """SMS and voice, sharing one client."""
    client = make_client(account_sid=config.account_sid, auth_token=config.auth_token.get_secret_value(),
                         api_base=config.api_base, pool=pool, timeout=config.timeout)
    common = {"from_": config.from_, "messaging_service_sid": config.messaging_service_sid, "public_url": public_url}
    return {"sms": TwilioSms(client, signature=config.signature, **common), "voice": TwilioVoice(client, **common)}


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


def status_url(public_url: str, delivery_id: int) -> str:
    """Where Twilio reports a delivery's status: the id rides along, so a report that overtakes the
    worker's own record of the SID still finds its row."""
    return f"{public_url}{PREFIX}/status?d={delivery_id}"


class _Twilio:
    def __init__(self, client: Client, *, from_: str | None, messaging_service_sid: str | None, public_url: str,
                 signature: str | None = None):
        self.client, self.from_, self.messaging_service_sid = client, from_, messaging_service_sid
        self.public_url, self.signature = public_url, signature


class TwilioSms(_Twilio):
    channel = "sms"

    def send(self, message: Message) -> Sent:
        sender = ({"messaging_service_sid": self.messaging_service_sid} if self.messaging_service_sid
                  else {"from_": self.from_})
        try:
            sent = self.client.messages.create(to=message.address, body=sms.signed(message.text, self.signature),
                                               status_callback=status_url(self.public_url, message.delivery_id),
                                               **sender)
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
        body = sms.signed(message.text, self.signature)
        return next((Sent(provider_id=m.sid) for m in found if m.body == body), None)


class TwilioVoice(_Twilio):
    channel = "voice"

    def send(self, message: Message) -> Sent:
        if not self.from_:
            raise TransportError("voice calls need EMERGENCY_TWILIO__FROM (a messaging service cannot call)",
                                 permanent=True)
        try:
            call = self.client.calls.create(to=message.address, from_=self.from_,
                                            url=f"{self.public_url}{PREFIX}/voice/{message.delivery_id}",
                                            status_callback=status_url(self.public_url, message.delivery_id))
        except Exception as exc:  # noqa: BLE001
            raise translate(exc) from exc
        return Sent(provider_id=call.sid)
