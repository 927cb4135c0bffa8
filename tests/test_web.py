"""The confirmation page's boundaries, the simulator and staff sign-in (FastAPI's test client)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import add_user, browser_sign_in
from emergency.web.app import create_app
from emergency.warnings import service
from lists.models import Measure
from tests.notifying import make_world


@pytest.fixture
def world(db_url, tmp_path):
    return make_world(db_url, tmp_path)


@pytest.fixture
def web(world):
    world.issue("orange", start_hours=-1)  # in force now, so that links are open in real time
    with TestClient(create_app(world.settings), follow_redirects=False) as client:
        yield client


def enterprise_recipient(world, n: int):
    return next(r for r in world.recipients() if r.mobile == f"+861380000{n:04d}")


def test_a_link_shows_its_enterprise_only_and_opening_it_is_receipt(world, web):
    page = web.get(world.link(enterprise_recipient(world, 2).id))
    assert page.status_code == 200 and "测试企业2有限公司" in page.text
    assert not re.search(r"测试企业[13-5]有限公司", page.text)
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "width=device-width" in page.text  # phone screens


def test_a_token_cannot_confirm_another_enterprises_measure(world, web):
    mine, theirs = enterprise_recipient(world, 2), enterprise_recipient(world, 4)
    with world.sessions() as session:
        their_measure = session.scalars(select(Measure.id).where(Measure.level == "orange")
                                        .order_by(Measure.id)).all()
        page = web.get(world.link(theirs.id)).text
    theirs_ids = re.findall(r'name="measure" value="(\d+)"', page)
    refused = web.post(world.link(mine.id) + "/confirm", data={"measure": theirs_ids[0]})
    assert refused.status_code == 400 and "不属于本企业" in refused.text
    assert len(their_measure) >= 4


@pytest.mark.parametrize("token", ["1AAAAAAAAAAA", "zzzzzzzzzzzzzzzzzzzzzz", "1", "a-b.c_d~e"])
def test_forged_tokens_show_nothing(web, token):
    page = web.get(f"/a/{token}")
    assert page.status_code == 404 and "链接无效" in page.text and "测试企业" not in page.text


def test_a_token_with_another_recipients_id_is_refused(world, web):
    link = world.link(enterprise_recipient(world, 2).id)
    other = world.link(enterprise_recipient(world, 3).id)
    swapped = "/a/" + other.removeprefix("/a/")[:-11] + link[-11:]
    assert web.get(swapped).status_code == 404


def test_links_expire_when_the_warning_is_over(world, web):
    recipient = enterprise_recipient(world, 2)
    with world.sessions() as session, session.begin():
        from emergency.warnings.models import Warning

        warning = session.scalars(select(Warning)).one()
        warning.end_at = world.clock.now.replace(year=2020)  # long over
        service.advance(session=session, now=world.clock.now)
    page = web.get(world.link(recipient.id))
    assert page.status_code == 404 and "已结束" in page.text


def test_a_unit_sees_its_duties(world, web):
    unit = next(r for r in world.recipients() if r.name == "王五")  # 区生态环境局
    page = web.get(world.link(unit.id))
    assert page.status_code == 200 and "区生态环境局" in page.text and "执法检查" in page.text


def test_simulator_needs_a_staff_sign_in_and_replies_take_the_real_path(world, web):
    assert web.get("/simulator").status_code == 303
    with world.sessions() as session, session.begin():
        _, password = add_user(session, "office", "admin")
    assert browser_sign_in(web, "office", "wrong")[0].status_code == 401
    signed_in, csrf = browser_sign_in(web, "office", password, next="/simulator")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/simulator"
    world.dispatcher().run(once=True)  # the notices go out (fake transports)
    assert web.get("/simulator").status_code == 200
    # a reply typed in the simulator goes through the same inbound path as a real SMS
    from alerts.models import Acknowledgment, InboxMessage

    assert web.post("/simulator/inbox/+8613800000002/reply", data={"body": "收到"}).status_code == 403  # no CSRF token
    reply = web.post("/simulator/inbox/+8613800000002/reply", data={"body": "收到", "csrf_token": csrf})
    assert reply.status_code == 303
    with world.sessions() as session:
        answers = session.scalars(select(InboxMessage).where(InboxMessage.address == "+8613800000002")
                                  .order_by(InboxMessage.id)).all()
        assert [(m.direction, m.body[:7]) for m in answers] == [("in", "收到"), ("out", "已确认收到通知")]
        assert session.scalars(select(Acknowledgment).where(Acknowledgment.channel == "sms")).one()


def test_the_simulator_shows_what_was_sent(world, web):
    from alerts.providers.settings import ProviderSettings
    from alerts.providers.simulator.settings import SimulatorSettings

    world.providers = ProviderSettings(simulator=SimulatorSettings(signature="北京市大兴区应急办"))
    world.dispatcher(transports=world.transports()).run(once=True)
    with world.sessions() as session, session.begin():
        _, password = add_user(session, "duty", "admin")
    browser_sign_in(web, "duty", password)
    listing = web.get("/simulator")
    assert "+8613800000002" in listing.text and "c2@example.com" in listing.text
    inbox = web.get("/simulator/inbox/+8613800000002")
    assert "【北京市大兴区应急办】橙色预警" in inbox.text and "请落实：" in inbox.text and "/a/" in inbox.text


def test_simulator_actions_need_a_sign_in(web):
    refused = web.post("/simulator/inbox/+8613800000002/reply", data={"body": "1"})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


def test_the_simulator_is_for_admins_only(world, web):
    with world.sessions() as session, session.begin():
        _, password = add_user(session, "office", "office")
    browser_sign_in(web, "office", password)
    refused = web.get("/simulator")
    assert refused.status_code == 403 and "仅限管理员" in refused.text
