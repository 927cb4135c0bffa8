"""Registered templates and signatures, as configuration.

Mainland carriers take an SMS (or a text-to-speech call) only as a template registered in advance
with the provider, sent with a registered signature that the provider puts in front as 【signature】.
A template provider's settings therefore carry a `Templates`: its signature and, per channel, the
code it registered for each purpose (EMERGENCY_ALIYUN__TEMPLATES__SIGNATURE=北京市大兴区应急办,
EMERGENCY_ALIYUN__TEMPLATES__SMS__NOTICE=SMS_123456789 …). The codes are configuration and not code
because each command center registers its own, and a provider's review changes them.

The workflow's Jinja2 template for a purpose is the mirror of the registered one: it renders the
registered text from the same parameters, so the simulator shows and the length checks count what
the phone will show. A link is the registered fixed base URL followed by the recipient's path, which
is the parameter (a URL inside a parameter is refused by the providers' review)."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from alerts.providers.base import TransportError

# Aliyun and Tencent accept a signature of 2 to 12 characters, letters and digits, and put it in
# brackets themselves.
SIGNATURE_LENGTH = (2, 12)


def signature_name(value: str) -> str:
    """The signature without brackets. Raises ValueError when a provider would refuse it."""
    name = value.strip().removeprefix("【").removesuffix("】")
    low, high = SIGNATURE_LENGTH
    if not low <= len(name) <= high or not name.isalnum():
        raise ValueError(f"the SMS signature {value!r} must be {low} to {high} letters or digits (no brackets, "
                         f"spaces or punctuation): the provider shows it as 【…】")
    return name


Signature = Annotated[str, AfterValidator(signature_name)]


class Templates(BaseModel):
    """What a template provider registered: its signature, and a template code per channel and purpose."""

    model_config = ConfigDict(extra="forbid")

    signature: Signature
    sms: dict[str, str] = Field(default_factory=dict)
    voice: dict[str, str] = Field(default_factory=dict)

    def code(self, channel: str, purpose: str, *, provider: str) -> str:
        """The registered code. Raises a permanent TransportError naming the setting when there is none."""
        found = getattr(self, channel, {}).get(purpose) if channel in ("sms", "voice") else None
        if not found:
            raise TransportError(f"{provider} has no registered {channel} template for {purpose!r}: set "
                                 f"EMERGENCY_{provider.upper()}__TEMPLATES__{channel.upper()}__{purpose.upper()}",
                                 permanent=True)
        return found
