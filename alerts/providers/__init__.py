"""The providers, one folder each (transport, callback routes, settings, error mapping), and the
registry that picks them per channel from the settings (`ProviderSettings.routes`).

A provider folder's `transport.py` has `build(config, *, sessions, public_url, pool)`, the
transports of the channels it serves; its `callbacks.py`, where it has one, `router(config, *,
public_url, inbound, transaction)`, the routes it is called back on, under /webhooks/<provider>.
They are imported only when built: importing this package (for Message or TransportError) must not
load a provider's client library."""
from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from sqlalchemy.orm import sessionmaker

from alerts.providers.base import Inbound, Message, Sent, Transport, TransportError
from alerts.providers.settings import ProviderSettings, load

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["Inbound", "Message", "ProviderSettings", "Sent", "Transport", "TransportError", "build", "load",
           "routers", "CALLBACKS"]

CALLBACKS = "/webhooks"  # every provider's callback routes are under it: not pages, no sign-in
WITH_CALLBACKS = ("twilio",)


def build(settings: ProviderSettings, sessions: sessionmaker, *, public_url: str,
          pool: int = 16) -> dict[str, Transport]:
    """The transport of each channel: its primary provider's."""
    made: dict[str, dict[str, Transport]] = {}
    registry = {}
    for channel, names in settings.routes().items():
        name = names[0]
        if name not in made:
            module = import_module(f"alerts.providers.{name}.transport")
            made[name] = module.build(settings.section(name), sessions=sessions, public_url=public_url, pool=pool)
        registry[channel] = made[name][channel]
    return registry


def routers(settings: ProviderSettings, *, public_url: str, inbound: Inbound,
            transaction: Callable) -> list[APIRouter]:
    """The callback routes of every configured provider that is called back. `transaction` is the
    application's dependency giving a session committed when the route returns."""
    return [import_module(f"alerts.providers.{name}.callbacks").router(
        settings.section(name), public_url=public_url, inbound=inbound, transaction=transaction)
        for name in WITH_CALLBACKS if settings.configured(name)]


def simulated(settings: ProviderSettings) -> bool:
    """True when no message can leave the machine (every channel goes to the simulator)."""
    return all(names == ["simulator"] for names in settings.routes().values())
