"""Twilio's settings: EMERGENCY_TWILIO__ACCOUNT_SID, __AUTH_TOKEN, __FROM or __MESSAGING_SERVICE_SID,
__API_BASE, __TIMEOUT, __SIGNATURE."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from alerts.providers.templates import Signature
from config.settings import HttpBase


class TwilioSettings(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: SecretStr
    from_: str | None = Field(None, alias="from")
    messaging_service_sid: str | None = None
    api_base: HttpBase = "https://api.twilio.com"
    timeout: float = Field(15.0, gt=0)  # seconds for one API call; a later answer makes the send `unknown`
    # Mainland carriers refuse SMS without a 【signature】 naming the sender; Twilio sends our text as it
    # is, so the signature is put in front of it here (as the template providers' platforms do).
    signature: Signature | None = None

    @model_validator(mode="after")
    def _sender(self) -> TwilioSettings:
        if not (self.from_ or self.messaging_service_sid):
            raise ValueError("set EMERGENCY_TWILIO__FROM (a number; calls need one) or "
                             "EMERGENCY_TWILIO__MESSAGING_SERVICE_SID")
        return self
