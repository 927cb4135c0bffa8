"""The providers' settings: one nested model per provider, read from EMERGENCY_<PROVIDER>__<FIELD>
(EMERGENCY_TWILIO__ACCOUNT_SID, EMERGENCY_SMTP__HOST …), and which provider serves each channel
(EMERGENCY_CHANNELS__SMS=twilio). A provider is configured when its section is set; a channel
named nowhere goes to its configured provider, else to the simulator.

A list per channel (first = primary) is the shape failover will use; until failover is built, a
second provider is refused at start rather than silently ignored. Kept apart from config's Settings
because config knows no provider; the application context builds both."""
from __future__ import annotations

import os

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from alerts.providers.simulator.settings import SimulatorSettings
from alerts.providers.smtp.settings import SmtpSettings
from alerts.providers.twilio.settings import TwilioSettings
from config.settings import CHANNELS, ConfigError

# The channels each provider serves; which of them serves a channel by default when configured.
SERVES = {"twilio": ("sms", "voice"), "smtp": ("email",), "simulator": CHANNELS}
DEFAULT = {"sms": "twilio", "voice": "twilio", "email": "smtp"}
# Flat names of the past, refused with their new name so that a deployment does not silently fall
# back to the simulator.
RENAMED, NESTED = ("EMERGENCY_TWILIO_", "EMERGENCY_SMTP_"), ("EMERGENCY_TWILIO__", "EMERGENCY_SMTP__")


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMERGENCY_", env_nested_delimiter="__", extra="ignore")

    twilio: TwilioSettings | None = None
    smtp: SmtpSettings | None = None
    simulator: SimulatorSettings = Field(default_factory=SimulatorSettings)
    channels: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("channels", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        if isinstance(value, dict):  # EMERGENCY_CHANNELS__SMS=twilio,simulator
            return {k: [p.strip() for p in v.split(",") if p.strip()] if isinstance(v, str) else v
                    for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _routable(self) -> ProviderSettings:
        for channel, names in self.channels.items():
            where = f"EMERGENCY_CHANNELS__{channel.upper()}"
            if channel not in CHANNELS:
                raise ValueError(f"{where}: unknown channel; use one of {list(CHANNELS)}")
            if len(names) != 1:
                raise ValueError(f"{where}: name exactly one provider (failover to a second is not built yet)")
            for name in names:
                if name not in SERVES:
                    raise ValueError(f"{where}: unknown provider {name!r}; use one of {sorted(SERVES)}")
                if channel not in SERVES[name]:
                    raise ValueError(f"{where}: {name} does not serve {channel}")
                if not self.configured(name):
                    raise ValueError(f"{where} names {name}, which is not configured: set EMERGENCY_{name.upper()}__…")
        return self

    def configured(self, name: str) -> bool:
        return name == "simulator" or getattr(self, name, None) is not None

    def routes(self) -> dict[str, list[str]]:
        """The providers of each channel, primary first."""
        return {c: self.channels.get(c) or [DEFAULT[c] if self.configured(DEFAULT[c]) else "simulator"]
                for c in CHANNELS}

    def uses(self, name: str) -> bool:
        return any(name in names for names in self.routes().values())

    def section(self, name: str) -> BaseModel:
        return getattr(self, name)


def load(**values) -> ProviderSettings:
    """The providers' settings from the environment (and `values`). Raises ConfigError naming the variable."""
    if old := sorted(k for k in os.environ if k.startswith(RENAMED) and not k.startswith(NESTED)):
        new = old[0].replace("_TWILIO_", "_TWILIO__", 1).replace("_SMTP_", "_SMTP__", 1)
        raise ConfigError(f"{old[0]} is no longer read: provider settings are nested, use {new}")
    try:
        return ProviderSettings(**values)
    except SettingsError as exc:
        raise ConfigError(f"provider settings: {exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        what = error["msg"].removeprefix("Value error, ")
        where = "__".join(str(part) for part in error["loc"]).upper()
        raise ConfigError(f"EMERGENCY_{where}: {what}" if where else what) from None
