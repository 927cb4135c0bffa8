"""What every transport takes and returns, and the one error type they raise."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One rendered message for one address. `text` is the SMS, the plain-text email or the words
    spoken on a call; a call's script itself is fetched by the provider from `voice_url`."""

    delivery_id: int
    channel: str
    address: str
    text: str
    subject: str | None = None
    html: str | None = None
    voice_url: str | None = None
    status_callback: str | None = None
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
