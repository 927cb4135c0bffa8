"""Escalation with a frozen clock: the ladder frozen onto the notice, each rung at its minute,
only for who has not confirmed, never twice; and the auditor."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from config.events import Event, EventKind
from emergency.notices import acknowledge, audit, escalation
from emergency.warnings.models import Activation, Recipient
from lists.models import Enterprise
from tests.factories import who, code
from tests.notifying import NOW, make_world


@pytest.fixture
def world(db_url, tmp_path):
    world = make_world(db_url, tmp_path)
    issue = world.issue

    def issue_and_send(*args, **kwargs) -> int:
        warning_id = issue(*args, **kwargs)
        world.dispatcher().run(once=True)  # the notices are handed over at the minute of the approval
        return warning_id

    world.issue, world.issue_unsent = issue_and_send, issue
    return world


def sweep(world, minutes: float):
    world.clock.now = NOW + timedelta(minutes=minutes)
    with world.sessions() as session, session.begin():
        return escalation.sweep(session=session, config=world.settings.app, now=world.clock.now)


def escalations(world) -> Counter:
    return Counter((d.channel, d.purpose) for d in world.deliveries() if d.purpose != "notice")


def confirm_all(world, n: int) -> None:
    """Enterprise n confirms every measure through its link."""
    with world.sessions() as session, session.begin():
        enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code(n)))
        recipient = session.scalars(select(Recipient).where(Recipient.enterprise_id == enterprise_id)
                                    .order_by(Recipient.id.desc())).first()
        notice = acknowledge.notice(session, recipient.id, world.clock.now)
        for m in acknowledge.measures(session, notice) or [None]:
            acknowledge.confirm(session, notice, measure_id=m.id if m else None, note=None, channel="web",
                                now=world.clock.now)


def test_due_steps_is_a_pure_function_of_the_ladder_and_the_time():
    ladder = [{"after": 30, "action": "remind"}, {"after": 60, "action": "call"}]
    assert escalation.due_steps(ladder, 0, NOW, NOW + timedelta(minutes=29)) == []
    assert [i for i, _ in escalation.due_steps(ladder, 0, NOW, NOW + timedelta(minutes=61))] == [0, 1]
    assert [i for i, _ in escalation.due_steps(ladder, 1, NOW, NOW + timedelta(minutes=61))] == [1]


def test_the_ladder_is_frozen_onto_the_notice(world):
    world.issue("orange")
    world.settings.app.escalation["orange"] = []  # a later configuration change does not touch it
    with world.sessions() as session:
        ladder = session.scalars(select(Activation)).one().ladder
    assert [(s["after"], s["action"]) for s in ladder] == [(30, "remind"), (60, "call"), (90, "town"), (120, "command")]


def test_unconfirmed_enterprises_are_reminded_after_30_minutes_and_only_they(world):
    world.issue("orange")
    confirm_all(world, 2)
    assert sweep(world, 29) == [] and escalations(world) == Counter()
    [done] = sweep(world, 30)
    assert done["action"] == "remind" and done["unconfirmed"] == 4
    reminded = {d.recipient_id for d in world.deliveries(purpose="reminder")}
    with world.sessions() as session:
        enterprises = {session.get(Recipient, r).enterprise_id for r in reminded}
        two = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code(2)))
    assert two not in enterprises and len(enterprises) == 4
    assert escalations(world) == Counter({("sms", "reminder"): 5})  # 4 enterprises, one of them has 2 contacts
    assert sweep(world, 45) == []  # nothing twice
    assert escalations(world) == Counter({("sms", "reminder"): 5})


def test_unconfirmed_enterprise_is_escalated_to_its_town_after_90_minutes_and_the_command_center_after_120(world):
    world.issue("orange")
    for n in (1, 2, 3, 5):
        confirm_all(world, n)
    done = sweep(world, 90)  # three rungs at once after a long pause: in order, each once
    assert [d["action"] for d in done] == ["remind", "call", "town"]
    towns = world.deliveries(purpose="town")
    assert {d.channel for d in towns} == {"sms"}  # 西红门镇 has a mobile only; 黄村镇 has nothing unconfirmed
    assert towns[0].params["count"] == 1 and towns[0].params["enterprises"][0]["name"] == "测试企业4有限公司"
    [command] = sweep(world, 120)
    assert command["action"] == "command"
    sent = {d.channel: d for d in world.deliveries(purpose="command")}
    assert set(sent) == {"sms", "email"} and sent["sms"].params["count"] == 1
    assert sent["email"].params["towns"] == [{"name": "西红门镇", "count": 1}]
    with world.sessions() as session:
        logged = session.scalars(select(Event).where(Event.kind == EventKind.ESCALATED)).all()
    assert [e.detail["action"] for e in logged] == ["remind", "call", "town", "command"]


def test_the_ladder_stops_for_an_enterprise_that_confirms(world):
    world.issue("orange")
    sweep(world, 30)
    reminded = len(world.deliveries(purpose="reminder"))
    for n in range(1, 6):
        confirm_all(world, n)
    done = sweep(world, 200)  # no call is due for anyone; the reports find no one unconfirmed
    assert [(d["action"], d["unconfirmed"]) for d in done] == [("town", 0), ("command", 0)]
    assert world.deliveries(purpose="call") == [] and world.deliveries(purpose="town") == []
    assert world.deliveries(purpose="command") == []
    assert len(world.deliveries(purpose="reminder")) == reminded


def test_a_reminder_still_queued_when_its_enterprise_confirms_is_cancelled(world):
    world.issue("orange")
    world.dispatcher().run(once=True)  # the notices
    sweep(world, 30)
    for n in range(1, 6):
        confirm_all(world, n)
    world.dispatcher().run(once=True)
    reminders = world.deliveries(purpose="reminder")
    assert reminders and {d.status for d in reminders} == {"cancelled"}
    assert all(d.error == "the enterprise confirmed before this went out" for d in reminders)


def test_a_lifted_warning_escalates_no_further(world):
    from emergency.warnings import service
    from tests.notifying import RULES

    warning_id = world.issue("orange")
    with world.sessions() as session, session.begin():
        service.request_lift(session=session, warning_id=warning_id, at=world.clock.now, reason="好转", actor=who("duty"),
                             now=world.clock.now)
        service.approve(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id, actor=who("chief"),
                        now=world.clock.now)
    assert sweep(world, 500) == []


def test_auditor_logs_a_finding_once_and_its_resolution_once(world):
    world.issue_unsent("orange", start_hours=1)
    config = world.settings.app

    def run(minutes):
        world.clock.now = NOW + timedelta(minutes=minutes)
        with world.sessions() as session, session.begin():
            return audit.sweep(session=session, config=config, now=world.clock.now)

    assert run(1) == {"opened": [], "closed": []}
    late = run(10)  # nothing was sent for 10 minutes: no worker is running
    assert late["opened"] == ["deliveries:late"]
    assert run(11) == {"opened": [], "closed": []}  # still late: not logged again
    world.dispatcher().run(once=True)
    assert run(12)["closed"] == ["deliveries:late"]
    started = run(61)
    assert started["opened"] == [f"notice:{world.recipients()[0].activation_id}:unconfirmed-at-start"]
    with world.sessions() as session:
        kinds = [e.kind for e in session.scalars(select(Event).where(Event.actor == "auditor").order_by(Event.id))]
    assert kinds == [EventKind.AUDIT_FINDING, EventKind.AUDIT_RESOLVED, EventKind.AUDIT_FINDING]


def test_reminders_count_from_each_enterprises_own_notice_not_from_the_approval(world):
    world.issue_unsent("orange")
    with world.sessions() as session, session.begin():  # enterprise 3's notices are stuck in the queue
        from alerts.models import Delivery

        three = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code(3)))
        stuck = [r for r in session.scalars(select(Recipient.id).where(Recipient.enterprise_id == three))]
        session.query(Delivery).filter(Delivery.recipient_id.in_(stuck)).update(
            {"next_attempt_at": NOW + timedelta(minutes=40)}, synchronize_session=False)
    world.dispatcher().run(once=True)  # everyone else's notice goes out at the approval's minute
    sweep(world, 31)
    with world.sessions() as session:
        reminded = {session.get(Recipient, d.recipient_id).enterprise_id for d in world.deliveries(purpose="reminder")}
    assert reminded and three not in reminded  # its notice has not gone out: no reminder may overtake it
    assert all(d["action"] != "town" for d in sweep(world, 95))  # the notice is not all out yet: no report
    world.clock.now = NOW + timedelta(minutes=40)
    world.dispatcher().run(once=True)  # enterprise 3's notice goes out at minute 40
    sweep(world, 69)
    assert not [d for d in world.deliveries(purpose="reminder")
                if world.recipients(id=d.recipient_id)[0].enterprise_id == three]
    sweep(world, 70)  # 30 minutes after its own notice
    assert [d for d in world.deliveries(purpose="reminder") if world.recipients(id=d.recipient_id)[0].enterprise_id == three]
