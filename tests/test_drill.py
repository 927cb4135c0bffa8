"""Drills (演练): the same sign-off and activation as a warning, but every message says 【演练】 first,
goes to the simulator unless its address is on the allow-list, its CAP notice is an Exercise, and it
neither blocks nor is blocked by a real warning for the same area."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from alerts.models import InboxMessage
from config.settings import NotifyConfig
from emergency.warnings import cap, service
from emergency.warnings.models import Warning
from tests.factories import who
from tests.notifying import RULES, make_world

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


@pytest.fixture
def world(db_url, tmp_path):
    return make_world(db_url, tmp_path)


def test_a_drill_goes_to_the_simulator_marked_and_real_warnings_to_the_providers(world):
    real = world.issue("orange")
    drill = world.issue("red", drill=True)  # the same area: a drill does not conflict with a real warning
    totals = world.dispatcher().run(once=True)
    assert totals["delivered"] + totals["sent"] > 0
    faked = [m for fake in world.fakes.values() for m in fake.sent]
    assert faked and all(not m.text.startswith("【演练】") for m in faked)
    with world.sessions() as session:
        inbox = session.scalars(select(InboxMessage).where(InboxMessage.direction == "out")).all()
        drill_deliveries = {d.id for d in world.deliveries() if d.recipient_id in
                            {r.id for r in world.recipients() if _warning_of(session, r) == drill}}
        assert {m.delivery_id for m in inbox} == drill_deliveries
        assert all(m.body.startswith("【演练】") for m in inbox)
        assert all(m.subject.startswith("【演练】") for m in inbox if m.channel == "email")
        xml = cap.notice_xml(session=session, warning_id=drill, seq=None, rules=RULES, config=world.settings.app.cap,
                             zone=world.settings.tz)
        assert ET.fromstring(xml).find(f"{CAP}status").text == "Exercise"
        xml = cap.notice_xml(session=session, warning_id=real, seq=None, rules=RULES, config=world.settings.app.cap,
                             zone=world.settings.tz)
        assert ET.fromstring(xml).find(f"{CAP}status").text == "Actual"


def test_an_allow_listed_number_gets_the_drill_for_real(world):
    world.issue("red", drill=True)
    allowed = "+8613800000002"
    world.dispatcher(practice_allow=[allowed]).run(once=True)
    faked = [m for m in world.fakes["sms"].sent]
    assert {m.address for m in faked} == {allowed}
    assert all(m.text.startswith("【演练】") for m in faked)


def test_a_second_drill_for_the_same_area_is_refused_but_a_real_warning_is_not(world):
    world.issue("orange", drill=True)
    with world.sessions() as session, session.begin():
        now = world.clock()
        from datetime import timedelta

        with pytest.raises(service.Refused) as refused:
            service.draft(session=session, rules=RULES, config=world.settings.app, area="大兴区", level="red",
                          start=now + timedelta(hours=2), end=now + timedelta(hours=30), reason="演练", actor=who("duty"),
                          now=now, drill=True)
        assert refused.value.code == "area_under_warning" and "演练" in refused.value.zh
        real = service.draft(session=session, rules=RULES, config=world.settings.app, area="大兴区", level="red",
                             start=now + timedelta(hours=2), end=now + timedelta(hours=30), reason="会商", actor=who("duty"),
                             now=now)
        assert session.get(Warning, real.warning_id).drill is False


def test_the_allow_list_is_configuration():
    assert NotifyConfig(practice_allow=["+8613800000002"]).practice_allow == ["+8613800000002"]


def _warning_of(session, recipient) -> int:
    from emergency.warnings.models import Activation

    return session.get(Activation, recipient.activation_id).warning_id
