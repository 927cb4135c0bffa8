"""One transport class per channel, and the registry that picks them from the settings: Twilio
for SMS and calls when it is configured, SMTP for email when a host is set, else the simulator."""
from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from alerts.transports.base import Message, Sent, Transport, TransportError
from config.settings import Settings

# The concrete transports are imported when the registry is built: importing this package (for
# Message or TransportError) must not load the twilio client.

__all__ = ["Message", "Sent", "Transport", "TransportError", "build"]


def build(settings: Settings, sessions: sessionmaker, *, pool: int = 16) -> dict[str, Transport]:
    """The transport for each channel."""
    from alerts.transports.email import SmtpEmail
    from alerts.transports.simulator import SimulatorTransport
    from alerts.transports.twilio import TwilioSms, TwilioVoice, make_client

    registry: dict[str, Transport] = {c: SimulatorTransport(c, sessions) for c in ("sms", "voice", "email")}
    if settings.twilio:
        client = make_client(account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token.get_secret_value(),
                             api_base=settings.twilio_api_base, pool=pool, timeout=settings.twilio_timeout)
        sender = {"from_": settings.twilio_from, "messaging_service_sid": settings.twilio_messaging_service_sid}
        registry["sms"], registry["voice"] = TwilioSms(client, **sender), TwilioVoice(client, **sender)
    if settings.smtp_host:
        registry["email"] = SmtpEmail(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                                      user=settings.smtp_user, starttls=settings.smtp_starttls, timeout=settings.smtp_timeout,
                                      password=settings.smtp_password.get_secret_value() if settings.smtp_password else None)
    return registry


def simulated(registry: dict[str, Transport]) -> bool:
    """True when no message can leave the machine (every channel goes to the simulator)."""
    from alerts.transports.simulator import SimulatorTransport

    return all(isinstance(t, SimulatorTransport) for t in registry.values())
