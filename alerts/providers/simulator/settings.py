"""The simulator's settings: EMERGENCY_SIMULATOR__SIGNATURE, the 【signature】 its phones show
(that of the provider it stands in for), so that the demo reads as a real phone would."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from alerts.providers.templates import Signature


class SimulatorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signature: Signature | None = None

