"""The dispatch worker: claim due deliveries in small units, render them, send them with bounded
concurrency at each channel's rate, and record each outcome as soon as its provider call returns.
Several workers, on several machines, share the work through the database alone.

There is no batch barrier: the pool is topped up as sends finish, so a slow send holds only its
own thread. A live worker renews the lease on what it has claimed; a dead worker's rows go back
when their lease runs out (`claim_timeout_seconds`). What can then go out twice is only what was in
flight at its death (and outcomes not yet written, a fraction of a second's worth). A send whose
answer was lost after the request went out (a read timeout) is not retried: it is `unknown`, for a
person to check. When the database is away the worker waits with backoff and keeps its outcomes
until they can be written; only a signal stops it, and then it finishes what is in flight, releases
what it had not started and writes everything down."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from alerts import service, sms
from alerts.models import Delivery
from alerts.flow import Flow
from alerts.service import Outcome
from alerts.providers.base import Message, Transport, TransportError
from alerts.providers.simulator.transport import SimulatorTransport
from config.db import utcnow
from config.settings import CHANNELS, NotifyConfig

log = logging.getLogger(__name__)

# Renders claimed deliveries: a Message each, or a string saying why it is no longer to be sent.
Render = Callable[[Session, list[Delivery]], dict[int, Message | str]]


RECONCILE_EVERY, RECONCILE_AFTER = 15.0, 20.0  # seconds: how often to look, how long an unknown send settles
RECOVER_EVERY = 5.0  # seconds between looks for rows whose lease ran out (not at every claim)


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
        # Claimed and not yet written, at most: enough to keep every thread busy between claims. A
        # death repeats only what was in flight; the rest of the window is released or taken back.
        self.window = max(4 * config.concurrency, 1)
        self.practice = {channel: SimulatorTransport(channel, sessions) for channel in CHANNELS}
        self.practice_allow = {a.strip().lower() for a in config.practice_allow}

    def run(self, *, once: bool = False, idle: float = 1.0, stop: threading.Event | None = None) -> Counter:
        """Send until nothing is due and nothing is in flight (once) or until stopped; returns the
        outcomes by status."""
        stop = stop or threading.Event()
        flow = Flow()
        recorder = threading.Thread(target=self._recorder, args=(flow, stop), name="record", daemon=True)
        lease = threading.Thread(target=self._lease, args=(flow,), name="lease", daemon=True)
        recorder.start()
        lease.start()
        delay, quiet_until, next_check, next_recover = 0.0, 0.0, time.monotonic() + RECONCILE_EVERY, 0.0
        try:
            while not stop.is_set():
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + RECONCILE_EVERY
                    self._reconcile(flow, stop)
                free = flow.wait_for_room(self.window, timeout=0.5)
                if free == 0:
                    continue
                try:
                    recover = time.monotonic() >= max(quiet_until, next_recover)
                    units = self._claim(free, recover=recover)
                    next_recover = time.monotonic() + RECOVER_EVERY if recover else next_recover
                    delay = 0.0
                except DBAPIError as exc:  # a lost connection, a failover, a statement timeout: wait, go on
                    delay = min(max(1.0, delay * 2), 30.0)
                    # After an outage the other workers need a moment to renew their leases: do not
                    # take their rows back as if they were dead.
                    quiet_until = time.monotonic() + delay + self.config.claim_timeout_seconds
                    log.warning("database unavailable (%s); retrying in %.0f s", _first_line(exc), delay)
                    stop.wait(delay)
                    continue
                if not units:
                    if once and flow.settled():
                        break
                    stop.wait(0.05 if once else idle)
                    continue
                for delivery, message, capped in units:
                    flow.started(delivery.id)
                    self.pool.submit(self._task, flow, stop, delivery, message, capped)
        finally:
            flow.wait_idle()
            flow.closing.set()
            recorder.join()
            lease.join()
        return flow.totals

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def _reconcile(self, flow: Flow, stop: threading.Event) -> None:
        """Ask the provider about sends whose answer was lost: taken after all → sent; not taken →
        sent again (a retry); cannot tell → stays `unknown` for a person."""
        channels = [c for c, t in self.transports.items() if hasattr(t, "reconcile")]
        try:
            with self.sessions() as session, session.begin():
                rows = service.claim_unknown(session, worker=self.name, channels=channels, limit=50, now=self.clock(),
                                             settled_before=self.clock() - timedelta(seconds=RECONCILE_AFTER))
            if not rows:
                return
            with flow.cond:
                flow.held.update(d.id for d in rows)  # their lease is renewed while the provider is asked
            with self.sessions() as session:
                messages = self.render(session, rows)
        except DBAPIError as exc:
            log.warning("cannot reconcile now (%s)", _first_line(exc))
            return
        outcomes, unclear = [], []
        for d in rows:
            message = messages.get(d.id)
            if not isinstance(message, Message):
                outcomes.append(Outcome(d, cancelled=message or "nothing to send: its notice is gone"))
                continue
            try:
                found = self.transports[d.channel].reconcile(message, since=(d.sent_at or d.created_at) - timedelta(minutes=5))
            except TransportError as exc:
                unclear.append((d.id, exc.reason))
                continue
            outcomes.append(Outcome(d, sent=found) if found else Outcome(
                d, error=TransportError("the provider never took it: sent again", permanent=False)))
        if outcomes:
            self._record(outcomes, stop)
        if unclear:
            try:
                with self.sessions() as session, session.begin():
                    service.unreconciled(session, ids=[i for i, _ in unclear], reason=unclear[0][1], now=self.clock())
            except DBAPIError as exc:  # they go back to the queue when the lease runs out: asked again later
                log.warning("cannot record unclear reconciliations (%s)", _first_line(exc))
        with flow.cond:
            flow.held.difference_update(d.id for d in rows)
        log.info("reconciled %d unknown sends (%d unclear)", len(rows), len(unclear))

    def _claim(self, limit: int, *, recover: bool) -> list[tuple[Delivery, Message | str | None, bool]]:
        with self.sessions() as session, session.begin():
            if recover:
                service.recover(session, now=self.clock(), timeout_seconds=self.config.claim_timeout_seconds,
                                max_attempts=self.config.max_attempts, actor=self.name)
            claimed = service.claim(session, worker=self.name, limit=min(limit, self.config.batch), now=self.clock())
        if not claimed:
            return []
        with self.sessions() as session:
            messages = self.render(session, claimed)
            capped = self._capped(session, claimed, messages)
        return [(d, messages.get(d.id), d.id in capped) for d in claimed]

    def _task(self, flow: Flow, stop: threading.Event, delivery: Delivery, message, capped: bool) -> None:
        try:
            outcome = (Outcome(delivery, released=True) if stop.is_set()
                       else self._send(delivery, message, {delivery.id} if capped else set()))
        except Exception as exc:  # noqa: BLE001 — never lose a row to a bug here
            log.exception("sending delivery %s", delivery.id)
            outcome = Outcome(delivery, error=TransportError(f"{type(exc).__name__}: {exc}", permanent=False))
        flow.finished(outcome)

    def _recorder(self, flow: Flow, stop: threading.Event) -> None:
        """Writes outcomes as they come (a few at a time), retrying while the database is away."""
        while True:
            outcomes = flow.take(timeout=0.1)
            if not outcomes:
                if flow.closing.is_set() and flow.settled():
                    return
                continue
            flow.totals.update(self._record(outcomes, stop))
            flow.recorded(outcomes)

    def _lease(self, flow: Flow) -> None:
        """Renews the lease on this worker's claimed rows every third of it."""
        every = max(self.config.claim_timeout_seconds / 3, 1.0)
        while not flow.closing.wait(every):
            try:
                with self.sessions() as session, session.begin():
                    service.renew(session, worker=self.name, ids=flow.holding(), now=self.clock())
            except DBAPIError as exc:
                log.warning("cannot renew the lease (%s)", _first_line(exc))

    def _record(self, outcomes: list[Outcome], stop: threading.Event) -> Counter:
        """Write the outcomes back, retrying while the database is away: these messages went out,
        and a row left in `sending` would be sent again once its lease ran out."""
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
                        log.error("gave up recording %d outcomes: they go back when their lease runs out", len(outcomes))
                        return Counter()
                log.warning("cannot record %d outcomes (%s); retrying in %.0f s", len(outcomes), _first_line(exc), delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)

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

    def transport_for(self, message: Message) -> Transport | None:
        """The channel's transport; the simulator for a practice message not on the allow-list."""
        if message.practice and message.address.strip().lower() not in self.practice_allow:
            return self.practice[message.channel]
        return self.transports.get(message.channel)

    def _send(self, delivery: Delivery, message: Message | str | None, capped: set[int]) -> Outcome:
        if message is None:
            return Outcome(delivery, cancelled="nothing to send: its notice is gone")
        if isinstance(message, str):
            return Outcome(delivery, cancelled=message)
        if delivery.id in capped:
            return Outcome(delivery, error=TransportError(
                f"per-recipient limit: {self.config.per_recipient_per_day} messages in 24 h to this address",
                permanent=True))
        transport = self.transport_for(message)
        if transport is None:
            return Outcome(delivery, error=TransportError(f"no transport for channel {delivery.channel}", permanent=True))
        if delivery.channel == "sms" and (too_long := self._too_long(message, transport)):
            return Outcome(delivery, error=too_long)
        if getattr(transport, "rate_limited", True) and (limiter := self.limits.get(delivery.channel)) is not None:
            limiter.acquire()
        try:
            return Outcome(delivery, sent=transport.send(message))
        except TransportError as exc:
            return Outcome(delivery, error=exc)
        except Exception as exc:  # noqa: BLE001 — a transport bug must not lose the row: retry it
            log.exception("transport %s raised", delivery.channel)
            return Outcome(delivery, error=TransportError(f"{type(exc).__name__}: {exc}", permanent=False))

    def _too_long(self, message: Message, transport: Transport) -> TransportError | None:
        """An SMS over the configured number of segments, counted as its provider sends it (behind
        its 【signature】) under the rule of the number's country."""
        text = sms.signed(message.text, getattr(transport, "signature", None))
        if (parts := sms.segments(text, message.address)) <= self.config.sms_max_segments:
            return None
        return TransportError(f"SMS too long: {parts} segments ({sms.length(text, message.address)} characters), "
                              f"the limit is {self.config.sms_max_segments}", permanent=True)
