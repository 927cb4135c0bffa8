"""Units (town offices, departments, the command center) confirm too: opening their link, an SMS
reply or a keypress is their receipt; one 已传达 / 确认落实 button on their page is their
confirmation; `units.counts` gives the warning and home pages both per notice in one query.
(A unit confirming on a phone in the browser: tests/test_console_simulator.py, which holds the
browser for the module.)"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from config.events import Event, EventKind
from emergency.notices import inbound, units
from emergency.warnings import service
from emergency.warnings.models import ActivatedUnit, Activation
from emergency.web.app import create_app
from tests.factories import who
from tests.notifying import RULES, Clock, make_world

CONFIRM = "已传达 / 确认落实 Confirm"


@pytest.fixture
def world(db_url, tmp_path):
    """The test lists, on a clock at the real time: the pages read the real clock for link expiry."""
    world = make_world(db_url, tmp_path)
    world.clock = Clock(datetime.now(timezone.utc))
    return world


@pytest.fixture
def web(world):
    world.issue("orange", start_hours=-1)
    with TestClient(create_app(world.settings), follow_redirects=False) as client:
        yield client


def unit_recipient(world, name: str, activation_id: int | None = None):
    """The unit's contact on the notice (the latest one unless told)."""
    found = [r for r in world.recipients(name=name) if activation_id in (None, r.activation_id)]
    return found[-1]


def state(world, recipient) -> ActivatedUnit:
    with world.sessions() as session:
        return session.get(ActivatedUnit, (recipient.activation_id, recipient.unit_id))


def activations(world) -> list[int]:
    with world.sessions() as session:
        return list(session.scalars(select(Activation.id).order_by(Activation.id)))


def test_a_units_page_shows_its_duties_and_the_confirm_button_and_opening_it_is_receipt(world, web):
    bureau = unit_recipient(world, "王五")
    assert state(world, bureau).acknowledged_at is None
    page = web.get(world.link(bureau.id))
    assert page.status_code == 200 and "区生态环境局" in page.text and "橙色预警：执法检查" in page.text
    assert CONFIRM in page.text and 'name="measure"' not in page.text
    received = state(world, bureau)
    assert received.acknowledged_via == "web" and received.confirmed_at is None


def test_confirming_records_when_by_whom_the_note_and_the_event_once(world, web):
    bureau = unit_recipient(world, "王五")
    link = world.link(bureau.id)
    done = web.post(link + "/confirm", data={"note": "  已转发各执法队  "})
    assert done.status_code == 303 and done.headers["location"] == link + "#duties"
    confirmed = state(world, bureau)
    assert confirmed.confirmed_at is not None
    assert (confirmed.confirmed_by, confirmed.note) == ("王五", "已转发各执法队")
    again = web.post(link + "/confirm", data={"note": "又点了一次"})
    assert again.status_code == 303 and state(world, bureau).note == "已转发各执法队"
    with world.sessions() as session:
        events = session.scalars(select(Event).where(Event.kind == EventKind.UNIT_CONFIRMED)).all()
    assert [(e.detail["unit"], e.detail["note"], e.actor) for e in events] == [
        (bureau.unit_id, "已转发各执法队", f"recipient:{bureau.id} 王五")]
    page = web.get(link).text
    assert "已传达落实" in page and "已转发各执法队" in page and CONFIRM not in page


def test_units_counts_per_notice_for_two_notices(world, web):
    first = activations(world)[0]
    web.post(world.link(unit_recipient(world, "王五").id) + "/confirm", data={})
    web.get(world.link(unit_recipient(world, "钱七").id))  # receipt only
    with world.sessions() as session, session.begin():
        warning_id = session.scalar(select(Activation.warning_id))
        service.request_change(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                               level="red", end=None, reason="升级", actor=who("duty"), now=world.clock.now)
        service.approve(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                        actor=who("chief"), now=world.clock.now)
    second = activations(world)[1]
    web.get(world.link(unit_recipient(world, "周八", second).id))
    told = len([r for r in world.recipients(activation_id=first) if r.unit_id is not None])
    assert told == 4
    with world.sessions() as session:
        found = units.counts(session, [first, second, 999])
    assert found == {first: {"units": 4, "acknowledged": 2, "confirmed": 1},
                     second: {"units": 4, "acknowledged": 1, "confirmed": 0},
                     999: {"units": 0, "acknowledged": 0, "confirmed": 0}}


def test_a_units_sms_reply_is_its_receipt_and_is_counted(world, web):
    world.dispatcher().run(once=True)
    office = unit_recipient(world, "钱七")  # 西红门镇人民政府
    with world.sessions() as session, session.begin():
        answer = inbound.sms(session, world.settings, sender=office.mobile, body="收到", now=world.clock.now)
    assert answer.startswith("已确认收到")
    assert state(world, office).acknowledged_via == "sms"
    with world.sessions() as session:
        assert units.counts(session, [office.activation_id])[office.activation_id] == {
            "units": 4, "acknowledged": 1, "confirmed": 0}


def test_a_lift_asks_units_for_receipt_only(world, web):
    with world.sessions() as session, session.begin():
        warning_id = session.scalar(select(Activation.warning_id))
        service.request_lift(session=session, warning_id=warning_id, at=world.clock.now, reason="好转",
                             actor=who("duty"), now=world.clock.now)
        service.approve(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                        actor=who("chief"), now=world.clock.now)
    lift = activations(world)[-1]
    bureau = unit_recipient(world, "王五", lift)
    page = web.get(world.link(bureau.id))
    assert page.status_code == 200 and "已解除" in page.text and CONFIRM not in page.text
    refused = web.post(world.link(bureau.id) + "/confirm", data={"note": "x"})
    assert refused.status_code == 400 and "无需确认" in refused.text
    with world.sessions() as session:
        assert units.counts(session, [lift])[lift] == {"units": 4, "acknowledged": 1, "confirmed": 1}
