"""The order and flow of sending: first notices before reminders, a change's notice before the one it
replaced, a slow send holding nobody, an ambiguous failure not repeated, a stop that releases."""
from __future__ import annotations

import threading
import time

from sqlalchemy import select

from alerts.models import Delivery
from alerts.providers.base import TransportError
from emergency.notices.schedule import deliveries
from emergency.warnings import service
from emergency.warnings.models import Recipient
from tests.factories import who
from tests.notifying import RULES, FakeTransport, make_world

import pytest


@pytest.fixture
def world(db_url, tmp_path):
    return make_world(db_url, tmp_path)


def sent_purposes(world, transport: FakeTransport) -> list[str]:
    purposes = {d.id: d.purpose for d in world.deliveries()}
    return [purposes[m.delivery_id] for m in transport.sent]


def test_first_notices_go_out_before_any_reminder_queued_ahead_of_them(world):
    world.issue()
    with world.sessions() as session, session.begin():  # reminders queued before any notice was sent
        deliveries(session, channel="sms", purpose="reminder", now=world.clock.now - __import__("datetime").timedelta(hours=1),
                   where=Recipient.enterprise_id.is_not(None))
    world.dispatcher(concurrency=1).run(once=True)
    order = sent_purposes(world, world.fakes["sms"])
    assert "reminder" in order and order.index("reminder") == order.count("notice")  # every notice first


def test_a_changes_notice_goes_before_the_rest_of_the_notice_it_replaced(world):
    warning_id = world.issue("orange")
    with world.sessions() as session, session.begin():
        service.request_change(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                               level="red", end=None, reason="升级", actor=who("duty"), now=world.clock.now)
        activation = service.approve(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                                     actor=who("chief"), now=world.clock.advance(minutes=5))
        newer = set(session.scalars(select(Delivery.id).join(Recipient, Recipient.id == Delivery.recipient_id)
                                    .where(Recipient.activation_id == activation.id, Delivery.channel == "sms")))
    world.dispatcher(concurrency=1).run(once=True)
    order = [m.delivery_id for m in world.fakes["sms"].sent]
    assert newer and set(order[:len(newer)]) == newer


class SlowFor(FakeTransport):
    """Hangs `seconds` for one address (a provider that accepts and then takes its time)."""

    def __init__(self, channel: str, address: str, seconds: float):
        super().__init__(channel)
        self.address, self.seconds = address, seconds

    def send(self, message):
        if message.address == self.address:
            time.sleep(self.seconds)
        return super().send(message)


def test_a_slow_send_holds_only_its_own_thread(world):
    world.issue()
    slow = SlowFor("sms", "+8613800000001", 2.0)
    worker = world.dispatcher(transports=dict(world.fakes, sms=slow), concurrency=4, batch=4)
    worker.run(once=True)
    order = [m.address for m in slow.sent]
    assert order[-1] == "+8613800000001" and len(order) > 4  # everything else went out while it hung


def test_an_ambiguous_failure_is_unknown_and_never_sent_again(world):
    world.issue()
    world.fakes["sms"].fail("+8613800000002", TransportError("ReadTimeout after the request", permanent=False,
                                                             ambiguous=True))
    world.dispatcher().run(once=True)
    [row] = world.deliveries(address="+8613800000002", channel="sms")
    assert row.status == "unknown" and "may have it" in row.error and row.attempts == 1
    world.clock.advance(hours=1)
    world.dispatcher().run(once=True)
    assert all(m.address != "+8613800000002" for m in world.fakes["sms"].sent)


class Gate(FakeTransport):
    """Blocks every send until opened; counts the sends that started."""

    def __init__(self, channel: str):
        super().__init__(channel)
        self.open, self.entered = threading.Event(), threading.Semaphore(0)

    def send(self, message):
        self.entered.release()
        self.open.wait(10)
        return super().send(message)


def test_a_stopped_worker_finishes_what_is_in_flight_and_releases_the_rest(world):
    world.issue()
    gate, mail = Gate("sms"), Gate("email")
    worker = world.dispatcher(transports=dict(world.fakes, sms=gate, email=mail), concurrency=2, batch=50)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, kwargs={"stop": stop})
    thread.start()
    assert gate.entered.acquire(timeout=10) or mail.entered.acquire(timeout=1)
    stop.set()  # SIGTERM: sends in flight finish, claimed ones not yet started go back
    gate.open.set()
    mail.open.set()
    thread.join(timeout=30)
    worker.close()
    rows = world.deliveries()
    sending = [d for d in rows if d.status == "sending"]
    sent = [d for d in rows if d.status == "sent"]
    assert not sending and 1 <= len(sent) <= 4
    back = [d for d in rows if d.status == "pending"]
    assert back and all(d.attempts == 0 and d.claimed_at is None for d in back)


def test_rows_claimed_just_before_the_database_went_away_go_back_once_the_lease_runs_out(world):
    """The claim committed, then rendering failed (the database gone): the worker goes on, does not
    renew the lease on rows it no longer holds, and they are sent once, later."""
    from sqlalchemy.exc import OperationalError

    world.issue()
    worker = world.dispatcher(batch=3, concurrency=1, claim_timeout_seconds=60)
    render, failed = worker.render, []

    def flaky(session, batch):
        if not failed:
            failed.extend(d.id for d in batch)
            raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))
        return render(session, batch)

    worker.render = flaky
    worker.run(once=True)
    assert {d.id for d in world.deliveries(status="sending")} == set(failed)  # held by nobody now
    world.clock.advance(seconds=61)
    worker.run(once=True)
    sends = [m.delivery_id for t in world.fakes.values() for m in t.sent]
    assert sorted(sends) == sorted(d.id for d in world.deliveries()) and set(failed) <= set(sends)
