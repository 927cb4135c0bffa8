"""What every provider takes and returns, the one error type they raise, and what a provider's
callback routes ask of the workflow.

A message is a *purpose* with *parameters* as well as a rendered text. A text provider (Twilio,
SMTP, the simulator) sends the text; a template provider (Aliyun, Tencent: mainland carriers only
take registered templates) sends the code it registered for the purpose with the parameters, and
the provider's platform fills them in. The workflow renders both from one Jinja2 template per
purpose that mirrors the registered one, so the simulator and the length checks see exactly what a
template provider's recipient will read."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Message:
    """One rendered message for one address. `text` is the SMS (without the provider's 【signature】),
    the plain-text email or the words spoken on a call; `params` are the flat template variables
    that render it, for providers that send a registered template instead of the text."""

    delivery_id: int
    channel: str
    address: str
    text: str
    purpose: str = ""
    lang: str = "zh"
    params: dict[str, str] = field(default_factory=dict)
    subject: str | None = None
    html: str | None = None
    # A practice message (an exercise): it goes to the built-in simulator unless its address is on
    # the configured allow-list, whatever transport the channel otherwise uses.
    practice: bool = False


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str = "sent"  # "delivered" when the transport knows it arrived (the simulator)


class TransportError(Exception):
    """Sending failed. `permanent`: retrying will not help; `bad_address`: the number or address
    itself is wrong or unreachable, and its contact should be corrected."""

    def __init__(self, reason: str, *, permanent: bool, bad_address: bool = False, code: int | str | None = None,
                 ambiguous: bool = False):
        super().__init__(reason)
        self.reason, self.permanent, self.bad_address, self.code = reason, permanent, bad_address, code
        # The request may have reached the provider (a timeout after it was written): sending again
        # could deliver it twice, so it is not retried blindly.
        self.ambiguous = ambiguous

    def __reduce__(self):  # keyword-only arguments: say how to rebuild it across processes
        return (_rebuild, (self.reason, self.permanent, self.bad_address, self.code, self.ambiguous))


def _rebuild(reason: str, permanent: bool, bad_address: bool, code, ambiguous: bool = False) -> TransportError:
    return TransportError(reason, permanent=permanent, bad_address=bad_address, code=code, ambiguous=ambiguous)


class Transport(Protocol):
    channel: str

    def send(self, message: Message) -> Sent:
        """Hand the message to the provider; returns its id. Raises TransportError."""


class Inbound(Protocol):
    """The workflow's answers to what recipients send back through a provider's callbacks. alerts
    knows nothing of notices: the application hands an implementation to the routers it mounts."""

    lang: str  # "zh" or "en": the language calls are spoken in

    def reply(self, session: Session, *, sender: str, body: str, now: datetime) -> str:
        """An SMS from `sender`; returns the text to answer with."""

    def keypress(self, session: Session, *, delivery_id: int, digits: str, now: datetime) -> bool:
        """Keys pressed on the call of a delivery; returns True when they acknowledged it."""

    def script(self, session: Session, *, delivery_id: int) -> str | None:
        """What the call of a delivery reads out, or None when it is no longer to be said."""


# What a call says around the workflow's script, in the language of the calls.
CALL_WORDS = {
    "zh": {"gone": "通知已失效。", "silent": "未收到按键，再见。", "acknowledged": "已确认收到，谢谢。",
           "not_acknowledged": "未确认。请通过短信链接确认。"},
    "en": {"gone": "This notice is no longer current.", "silent": "No key pressed. Goodbye.",
           "acknowledged": "Receipt confirmed, thank you.",
           "not_acknowledged": "Not confirmed. Please use the link in your text message."},
}
