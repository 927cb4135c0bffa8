"""Deliveries written at approval and the dispatch worker, with fake transports and a frozen
clock, on SQLite and PostgreSQL (committed for real: the worker uses its own sessions)."""
from __future__ import annotations

from tests.factories import who

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from alerts.models import Delivery, FlaggedAddress
from alerts.providers.base import TransportError
from config.events import Event, EventKind
from alerts import service as alerts
from emergency.notices.render import Renderer
from emergency.warnings import service
from tests.notifying import RULES, make_world


@pytest.fixture
def world(db_url, tmp_path):
    return make_world(db_url, tmp_path)


def by_channel(deliveries) -> Counter:
    return Counter((d.channel, d.purpose, d.status) for d in deliveries)


def test_approval_writes_one_pending_delivery_per_recipient_and_channel(world):
    world.issue()
    recipients = world.recipients()
    enterprise = [r for r in recipients if r.enterprise_id is not None]
    units = [r for r in recipients if r.unit_id is not None]
    expected = Counter()
    for r in enterprise:  # default: SMS and email to enterprises, SMS and email to units
        expected[("sms", "notice", "pending")] += r.mobile is not None
        expected[("email", "notice", "pending")] += r.email is not None
    for r in units:
        expected[("sms", "notice", "pending")] += r.mobile is not None
        expected[("email", "notice", "pending")] += r.email is not None
    assert by_channel(world.deliveries()) == expected
    assert expected[("sms", "notice", "pending")] == 9  # 6 contacts + 3 unit mobiles (黄村镇 has email only)


def test_a_refused_approval_writes_no_delivery(world):
    with world.sessions() as session, session.begin():
        request = service.draft(session=session, rules=RULES, config=world.settings.app, area="大兴区", level="orange",
                                start=world.clock.now + timedelta(hours=16), end=world.clock.now + timedelta(hours=88),
                                reason="r", actor=who("duty"), now=world.clock.now)
    with world.sessions() as session, session.begin(), pytest.raises(service.Refused):
        # the same person (same name, no stored user) in a commander's role: refused all the same
        service.approve(session=session, rules=RULES, config=world.settings.app, warning_id=request.warning_id,
                        actor=who("duty", "commander"), now=world.clock.now)
    assert world.deliveries() == []


def test_worker_sends_everything_due_and_records_provider_ids(world):
    world.issue()
    worker = world.dispatcher()
    totals = worker.run(once=True)
    sent = world.deliveries()
    assert {d.status for d in sent} == {"sent"}
    assert totals["sent"] == len(sent)
    assert all(d.provider_id and d.provider_id.startswith("FAKE") and d.attempts == 1 for d in sent)
    assert len(world.fakes["sms"].sent) + len(world.fakes["email"].sent) == len(sent)
    sms = world.fakes["sms"].sent[0]
    # A purpose and the parameters of its template travel with the text they render
    assert sms.purpose in ("notice", "notice_unit") and sms.text.endswith(sms.params["path"]) and "/a/" in sms.text
    email = next(m for m in world.fakes["email"].sent if "测试企业1" in m.text)
    assert "1号生产线" in email.text and "<table" in email.html and email.subject


def test_transient_failure_is_retried_with_backoff_kept_in_the_row(world):
    world.issue()
    number = "+8613800000002"
    world.fakes["sms"].fail(number, TransportError("twilio 429", permanent=False),
                            TransportError("twilio 500", permanent=False))
    worker = world.dispatcher(backoff_seconds=30)
    worker.run(once=True)
    [row] = world.deliveries(address=number)
    assert (row.status, row.attempts, row.error) == ("pending", 1, "twilio 429")
    assert row.next_attempt_at == world.clock.now + timedelta(seconds=30)
    worker.run(once=True)  # not due yet: nothing happens
    assert world.deliveries(address=number)[0].attempts == 1
    world.clock.advance(seconds=30)
    worker.run(once=True)
    row = world.deliveries(address=number)[0]
    assert (row.status, row.attempts) == ("pending", 2)
    assert row.next_attempt_at == world.clock.now + timedelta(seconds=60)  # doubled
    world.clock.advance(seconds=60)
    worker.run(once=True)
    row = world.deliveries(address=number)[0]
    assert (row.status, row.attempts, row.error) == ("sent", 3, None)


def test_transient_failures_give_up_after_the_limit(world):
    world.issue()
    number = "+8613800000003"
    world.fakes["sms"].fail(number, *[TransportError("twilio 503", permanent=False)] * 5)
    worker = world.dispatcher(max_attempts=3, backoff_seconds=1)
    for _ in range(4):
        worker.run(once=True)
        world.clock.advance(seconds=10)
    [row] = world.deliveries(address=number)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error == "gave up after 3 attempts: twilio 503"
    with world.sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == EventKind.DELIVERIES_FAILED)).one()
        assert row.id in event.detail["failed"]


def test_permanent_failure_fails_at_once_and_flags_the_address(world):
    world.issue()
    number = "+8613800000004"
    world.fakes["sms"].fail(number, TransportError("twilio 400 error 21211: invalid 'To' number", permanent=True,
                                                   bad_address=True, code=21211))
    world.dispatcher().run(once=True)
    [row] = world.deliveries(address=number)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "21211" in row.error
    with world.sessions() as session:
        flagged = session.get(FlaggedAddress, number)
        assert flagged is not None and "21211" in flagged.reason
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == EventKind.ADDRESS_FLAGGED)) == 1


def test_per_recipient_cap_stops_what_would_exceed_it(world):
    warning_id = world.issue()
    world.dispatcher(per_recipient_per_day=1).run(once=True)
    world.clock.advance(minutes=1)
    with world.sessions() as session, session.begin():
        # a second notice to the same numbers within the day (an upgrade)
        service.request_change(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                               level="red", end=None, reason="升级", actor=who("duty"), now=world.clock.now)
        service.approve(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                        actor=who("chief"), now=world.clock.now)
    world.dispatcher(per_recipient_per_day=1).run(once=True)
    second = [d for d in world.deliveries() if d.status == "failed"]
    assert second and all("per-recipient limit" in d.error for d in second)
    assert {d.address for d in second} <= {d.address for d in world.deliveries(status="sent")}


def test_an_sms_over_the_segment_limit_fails_with_the_reason(world):
    world.issue()
    world.settings.public_url = "https://" + "x" * 120 + ".example.org"
    world.dispatcher(sms_max_segments=1).run(once=True)
    sms = world.deliveries(channel="sms")
    assert {d.status for d in sms} == {"failed"}
    assert all(d.error.startswith("SMS too long: 3 segments") or d.error.startswith("SMS too long: 2 segments")
               for d in sms)
    assert world.fakes["sms"].sent == []


def test_worker_killed_between_claim_and_send_loses_nothing(world):
    """The dead worker's claimed rows are taken back after the timeout and sent by another worker.
    Nothing had reached the provider, so nothing is duplicated."""
    world.issue()
    dead = world.dispatcher(name="dead", batch=4)
    with world.sessions() as session, session.begin():
        claimed = alerts.claim(session, worker="dead", limit=4, now=world.clock.now)  # …and then it died
    assert len(claimed) == 4
    dead.close()
    alive = world.dispatcher(name="alive", claim_timeout_seconds=300)
    alive.run(once=True)
    assert {d.id for d in world.deliveries(status="sending")} == {d.id for d in claimed}  # not yet: within timeout
    world.clock.advance(seconds=301)
    alive.run(once=True)
    assert world.deliveries(status="sending") == []
    sends = Counter(m.delivery_id for t in world.fakes.values() for m in t.sent)
    assert all(sends[d.id] == 1 for d in claimed)
    assert set(sends.values()) == {1}
    with world.sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == EventKind.DELIVERIES_RECOVERED)).one()
        assert set(event.detail["ids"]) == {d.id for d in claimed} and event.detail["workers"] == ["dead"]


def test_worker_killed_after_the_provider_accepted_sends_that_message_twice(world):
    """What is duplicated: a message the provider accepted before the worker could record it goes
    out again after recovery (at-least-once). Exactly those, nothing else."""
    world.issue()
    with world.sessions() as session, session.begin():
        [claimed] = alerts.claim(session, worker="dead", limit=1, now=world.clock.now)
    with world.sessions() as session:
        message = Renderer(world.settings)(session, [claimed])[claimed.id]
    world.fakes[claimed.channel].send(message)  # the provider accepted it; the worker died before recording
    world.clock.advance(seconds=301)
    world.dispatcher(name="alive").run(once=True)
    sends = Counter(m.delivery_id for t in world.fakes.values() for m in t.sent)
    assert sends[claimed.id] == 2
    assert {n for i, n in sends.items() if i != claimed.id} == {1}


def test_two_workers_never_send_the_same_delivery(world):
    world.issue()
    with world.sessions() as session, session.begin():
        # many more rows: copy the due deliveries 60 times over
        rows = session.execute(select(Delivery.recipient_id, Delivery.channel, Delivery.address)).all()
        session.add_all(Delivery(recipient_id=r, channel=c, address=a, purpose="notice", status="pending", attempts=0,
                                 next_attempt_at=world.clock.now, created_at=world.clock.now)
                        for _ in range(60) for r, c, a in rows)
    total = len(world.deliveries())
    workers = [world.dispatcher(name=f"w{i}", batch=25, concurrency=4, per_recipient_per_day=10_000) for i in range(2)]
    threads = [threading.Thread(target=w.run, kwargs={"once": True}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    sends = Counter(m.delivery_id for t in world.fakes.values() for m in t.sent)
    assert len(sends) == total and set(sends.values()) == {1}
    claimed_by = Counter(d.claimed_by for d in world.deliveries())
    assert set(claimed_by) == {"w0", "w1"}, claimed_by  # both took a share


def test_the_segment_limit_counts_the_providers_signature_under_the_mainland_rule(world):
    """A notice of 66 characters is one message bare, two behind a 【signature】 of 12 (every
    character counts to a +86 number): with a limit of one it fails, and nothing reaches the provider."""
    from alerts import sms as segments
    from tests.notifying import FakeTransport

    world.issue()
    rows = world.deliveries(channel="sms")
    with world.sessions() as session:
        bare = Renderer(world.settings)(session, rows[:1])[rows[0].id].text
    world.settings.public_url += "/" + "x" * (65 - len(bare))
    with world.sessions() as session:
        texts = [m.text for m in Renderer(world.settings)(session, rows).values()]
    assert {len(t) for t in texts} == {66} and {segments.segments(t, "+8613800000001") for t in texts} == {1}
    signed = FakeTransport("sms")
    signed.signature = "乌鲁木齐市生态环境局应急"
    world.dispatcher(transports=dict(world.fakes, sms=signed), sms_max_segments=1).run(once=True)
    failed = world.deliveries(channel="sms")
    assert {d.status for d in failed} == {"failed"} and signed.sent == []
    assert all(d.error == "SMS too long: 2 segments (80 characters), the limit is 1" for d in failed)
