"""The dispatch worker: claim due deliveries, render them, send them with bounded concurrency at
each channel's rate, write the outcomes back. Several workers, on several machines, share the
work through the database alone.

A worker that dies between claiming and recording leaves its batch in `sending`; the next cycle
of any worker takes it back after the claim timeout. Whatever of that batch had reached the
provider is then sent again: at-least-once, with the duplicates bounded by one batch."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from alerts import service, sms
from alerts.models import Delivery
from alerts.service import Outcome
from alerts.transports.base import Message, Transport, TransportError
from config.db import utcnow
from config.settings import NotifyConfig

log = logging.getLogger(__name__)

# Renders claimed deliveries: a Message each, or a string saying why it is no longer to be sent.
Render = Callable[[Session, list[Delivery]], dict[int, Message | str]]


def _first_line(exc: Exception) -> str:
    return (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]


class RateLimiter:
    """At most `rate` acquisitions per second, spaced evenly, across threads."""

    def __init__(self, rate: float, sleep: Callable[[float], None] = time.sleep):
        self.interval, self.sleep = 1.0 / rate, sleep
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        with self.lock:
            now = time.monotonic()
            slot = max(self.next, now)
            self.next = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


class Dispatcher:
    def __init__(self, *, sessions: sessionmaker, transports: dict[str, Transport], render: Render,
                 config: NotifyConfig, name: str | None = None, clock: Callable[[], datetime] = utcnow):
        self.sessions, self.transports, self.render, self.config, self.clock = sessions, transports, render, config, clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.limits = {channel: RateLimiter(rate) for channel, rate in config.rate.items()}
        self.pool = ThreadPoolExecutor(config.concurrency, thread_name_prefix="send")

    def cycle(self, stop: threading.Event | None = None) -> Counter:
        """One batch: take back stale claims, claim, send, record. Returns outcomes by status
        (empty when nothing was due). Raises the database's error when it cannot claim."""
        with self.sessions() as session, session.begin():
            service.recover(session, now=self.clock(), timeout_seconds=self.config.claim_timeout_seconds,
                            max_attempts=self.config.max_attempts, actor=self.name)
            batch = service.claim(session, worker=self.name, limit=self.config.batch, now=self.clock())
        if not batch:
            return Counter()
        with self.sessions() as session:
            messages = self.render(session, batch)
            capped = self._capped(session, batch, messages)
        outcomes = list(self.pool.map(lambda d: self._send(d, messages.get(d.id), capped), batch))
        return self._record(outcomes, stop or threading.Event())

    def _record(self, outcomes: list[Outcome], stop: threading.Event) -> Counter:
        """Write the outcomes back, retrying while the database is away: these messages went out,
        and a row left in `sending` would be sent again after the claim timeout."""
        delay, give_up = 1.0, None
        while True:
            try:
                with self.sessions() as session, session.begin():
                    return service.finish(session, outcomes, now=self.clock(), max_attempts=self.config.max_attempts,
                                          backoff_seconds=self.config.backoff_seconds, worker=self.name)
            except DBAPIError as exc:
                if stop.is_set():  # stopping: wait a little longer for the database, not forever
                    give_up = give_up or time.monotonic() + 30
                    if time.monotonic() > give_up:
                        raise
                log.warning("cannot record %d outcomes (%s); retrying in %.0f s", len(outcomes), _first_line(exc), delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)

    def run(self, *, once: bool = False, idle: float = 1.0, stop: threading.Event | None = None) -> Counter:
        """Cycle until nothing is due (once) or until stopped; returns the totals."""
        stop = stop or threading.Event()
        totals: Counter = Counter()
        delay = 0.0
        while not stop.is_set():
            try:
                done = self.cycle(stop)
                delay = 0.0
            except DBAPIError as exc:  # a lost connection, a failover, a statement timeout: wait, go on
                delay = min(max(1.0, delay * 2), 30.0)
                log.warning("database unavailable (%s); retrying in %.0f s", _first_line(exc), delay)
                stop.wait(delay)
                continue
            totals.update(done)
            if done:
                log.info("dispatched %s", dict(done))
            elif once:
                break
            else:
                stop.wait(idle)
        return totals

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def _capped(self, session: Session, batch: list[Delivery], messages: dict) -> set[int]:
        """Deliveries over the per-address daily cap (providers block numbers that get more)."""
        counts = service.sent_today(session, (d.address for d in batch), self.clock())
        over = set()
        for d in batch:
            if not isinstance(messages.get(d.id), Message):
                continue
            counts[d.address] += 1
            if counts[d.address] > self.config.per_recipient_per_day:
                over.add(d.id)
        return over

    def _send(self, delivery: Delivery, message: Message | str | None, capped: set[int]) -> Outcome:
        if message is None:
            return Outcome(delivery, cancelled="nothing to send: its notice is gone")
        if isinstance(message, str):
            return Outcome(delivery, cancelled=message)
        if delivery.id in capped:
            return Outcome(delivery, error=TransportError(
                f"per-recipient limit: {self.config.per_recipient_per_day} messages in 24 h to this address",
                permanent=True))
        if delivery.channel == "sms" and (parts := sms.segments(message.text)) > self.config.sms_max_segments:
            return Outcome(delivery, error=TransportError(
                f"SMS too long: {parts} segments ({sms.length(message.text)} characters), the limit is "
                f"{self.config.sms_max_segments}", permanent=True))
        transport = self.transports.get(delivery.channel)
        if transport is None:
            return Outcome(delivery, error=TransportError(f"no transport for channel {delivery.channel}", permanent=True))
        if getattr(transport, "rate_limited", True) and (limiter := self.limits.get(delivery.channel)) is not None:
            limiter.acquire()
        try:
            return Outcome(delivery, sent=transport.send(message))
        except TransportError as exc:
            return Outcome(delivery, error=exc)
        except Exception as exc:  # noqa: BLE001 — a transport bug must not lose the row: retry it
            log.exception("transport %s raised", delivery.channel)
            return Outcome(delivery, error=TransportError(f"{type(exc).__name__}: {exc}", permanent=False))
