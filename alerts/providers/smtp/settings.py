"""SMTP's settings: EMERGENCY_SMTP__HOST, __PORT, __USER, __PASSWORD, __FROM, __STARTTLS, __TIMEOUT."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class SmtpSettings(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    host: str = Field(min_length=1)
    port: int = Field(25, ge=1, le=65535)
    user: str | None = None
    password: SecretStr | None = None
    from_: str = Field("noreply@example.org", alias="from", pattern=r"^[^@\s]+@[^@\s]+$")
    starttls: bool = False
    timeout: float = Field(20.0, gt=0)
