"""Helpers for the notification tests: a database with lists and an approved warning, committed
for real (workers and the web application use their own sessions), fake transports, a clock."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from alerts.models import Delivery
from alerts.providers.base import Message, Sent, TransportError
from alerts import providers
from alerts.providers.settings import ProviderSettings
from alerts.worker import Dispatcher
from config import rulesets
from config.db import make_engine, make_sessionmaker
from config.settings import Settings
from emergency.database import upgrade
from emergency.notices import tokens
from emergency.notices.render import Renderer
from emergency.warnings import service
from emergency.warnings.models import Recipient
from tests.factories import who, records_for_warnings, run_import, write_xlsx

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
RULES = rulesets.load("national-2024")


class Clock:
    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FakeTransport:
    """Records what it is given; told to fail for an address (a queue of errors, then success)."""

    rate_limited = False

    def __init__(self, channel: str):
        self.channel, self.sent, self.failures = channel, [], {}
        self.lock = threading.Lock()

    def fail(self, address: str, *errors: TransportError) -> None:
        self.failures.setdefault(address, []).extend(errors)

    def send(self, message: Message) -> Sent:
        with self.lock:
            queue = self.failures.get(message.address)
            if queue:
                raise queue.pop(0)
            self.sent.append(message)
            return Sent(provider_id=f"FAKE{message.delivery_id}x{len(self.sent)}")


def records_with_command_center() -> dict:
    records = records_for_warnings()
    records["units"].append({"name": "大兴区空气重污染应急指挥部办公室", "kind": "指挥部", "district": "大兴区",
                             "contact": "周八", "mobile": "13900000009", "email": "zhb@example.com"})
    return records


@dataclass
class World:
    """A committed database with lists imported, settings, sessions and a clock."""

    settings: Settings
    sessions: sessionmaker
    clock: Clock = field(default_factory=Clock)
    fakes: dict[str, FakeTransport] = field(default_factory=lambda: {c: FakeTransport(c) for c in ("sms", "voice", "email")})
    providers: ProviderSettings = field(default_factory=ProviderSettings)

    def issue(self, level: str = "orange", start_hours: float = 16, end_hours: float = 88, drill: bool = False) -> int:
        """Draft and approve a warning (or a drill) for 大兴区 at the clock's time; returns its id."""
        config = self.settings.app
        now = self.clock()
        with self.sessions() as session, session.begin():
            request = service.draft(session=session, rules=RULES, config=config, area="大兴区", level=level,
                                    start=now + timedelta(hours=start_hours), end=now + timedelta(hours=end_hours),
                                    reason="会商结论", actor=who("duty"), now=now, drill=drill)
            service.approve(session=session, rules=RULES, config=config, warning_id=request.warning_id,
                            actor=who("chief"), now=now)
            return request.warning_id

    def dispatcher(self, transports=None, name: str = "w1", **config) -> Dispatcher:
        notify = self.settings.app.notify.model_copy(update=config)
        return Dispatcher(sessions=self.sessions, transports=transports or self.fakes, render=Renderer(self.settings),
                          config=notify, name=name, clock=self.clock)

    def transports(self) -> dict:
        """The real transports of the providers configured for this world."""
        return providers.build(self.providers, self.sessions, public_url=self.settings.public_url)

    def deliveries(self, **where) -> list[Delivery]:
        with self.sessions() as session:
            query = select(Delivery).order_by(Delivery.id)
            for key, value in where.items():
                query = query.where(getattr(Delivery, key) == value)
            return list(session.scalars(query))

    def link(self, recipient_id: int) -> str:
        with self.sessions() as session:
            return f"/a/{tokens.make(tokens.key(session, self.settings), recipient_id)}"

    def recipients(self, **where) -> list[Recipient]:
        with self.sessions() as session:
            query = select(Recipient).order_by(Recipient.id)
            for key, value in where.items():
                query = query.where(getattr(Recipient, key) == value)
            return list(session.scalars(query))


def make_world(db_url: str, tmp_path: Path, providers: ProviderSettings | None = None, **settings) -> World:
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        result = run_import(session, write_xlsx(tmp_path / "lists.xlsx", records_with_command_center()))
        assert result.written, [str(e) for e in result.plan.errors]
    values = {"database_url": db_url, "public_url": "http://127.0.0.1:8000", "secret_key": "test-secret"} | settings
    return World(settings=Settings(**values), sessions=sessions, providers=providers or ProviderSettings())


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The web application served for real by uvicorn in a thread."""

    def __init__(self, app, port: int):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="off"))
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
