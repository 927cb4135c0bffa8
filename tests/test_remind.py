"""Reminding by hand (催办) and the laggards pages without a browser: the service queues reminders
through the normal delivery path, once even when pressed twice, only for the unconfirmed, within
the per-number cap; the API and the page refuse a role that may not; the list filters by status
and town; the workbook export; one enterprise's timeline. Both databases."""
from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from accounts.permissions import Forbidden
from alerts.models import Delivery
from alerts.providers.base import TransportError
from config.db import utcnow
from config.events import Event, EventKind
from emergency.notices import acknowledge, escalation, remind
from emergency.warnings.models import Recipient
from emergency.warnings import service
from emergency.warnings.service import Invalid, Refused
from emergency.web.app import create_app
from lists.models import Area, Enterprise
from tests.console import cheap_passwords  # noqa: F401
from tests.factories import add_user, browser_sign_in, code, who
from tests.notifying import RULES, make_world

NOTE = "2号线已于22时停产，附照片"


@pytest.fixture
def world(db_url, tmp_path, cheap_passwords):  # noqa: F811
    """Five enterprises of 大兴区 (enterprise 4 in 西红门镇, enterprise 1 with two contacts), the
    clock at the present (the web application's time), an office user, a viewer and a town's office user."""
    world = make_world(db_url, tmp_path)
    world.clock.now = utcnow()
    world.passwords = {}
    with world.sessions() as session, session.begin():
        xhm = session.scalar(select(Area).where(Area.name == "西红门镇"))
        for name, role, area in (("office", "office", None), ("viewer", "viewer", None), ("xhm", "office", xhm)):
            world.passwords[name] = add_user(session, name, role, area)[1]
    return world


def issued(world, level: str = "orange") -> int:
    """A warning approved and its notices handed to the (fake) provider."""
    warning_id = world.issue(level)
    world.dispatcher().run(once=True)
    return warning_id


def press(world, warning_id: int, actor=None, **chosen) -> dict:
    """The office (or `actor`) reminds now; per_day is the configured cap unless given."""
    chosen.setdefault("per_day", world.settings.app.notify.per_recipient_per_day)
    with world.sessions() as session, session.begin():
        return remind.remind(session, warning_id=warning_id, actor=actor or who("office"), now=world.clock.now, **chosen)


def reminders(world) -> list[Delivery]:
    return world.deliveries(purpose="reminder")


def reminded_codes(world) -> set[str]:
    with world.sessions() as session:
        return set(session.scalars(select(Enterprise.credit_code).join(Recipient, Recipient.enterprise_id == Enterprise.id)
                                   .join(Delivery, Delivery.recipient_id == Recipient.id)
                                   .where(Delivery.purpose == "reminder")))


def confirm(world, n: int, note: str | None = None) -> None:
    """Enterprise n confirms every measure through its first contact's link (with a note on the first)."""
    with world.sessions() as session, session.begin():
        enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code(n)))
        recipient = session.scalars(select(Recipient).where(Recipient.enterprise_id == enterprise_id)
                                    .order_by(Recipient.id.desc())).first()
        notice = acknowledge.notice(session, recipient.id, world.clock.now)
        for i, m in enumerate(acknowledge.measures(session, notice) or [None]):
            acknowledge.confirm(session, notice, measure_id=m.id if m else None, note=note if i == 0 else None,
                                channel="web", now=world.clock.now)


# -- the service -------------------------------------------------------------------------------------

def test_pressing_remind_twice_queues_the_reminders_once(world):
    warning_id = issued(world)
    first = press(world, warning_id)
    # six numbers: enterprise 1 has two contacts, the four others one each; nobody has confirmed
    assert first["queued"] == 6 and first["enterprises"] == 5 and first["skipped_recent"] == 0
    second = press(world, warning_id)
    assert second["queued"] == 0 and second["skipped_recent"] == 6
    assert len(reminders(world)) == 6
    world.clock.advance(minutes=5)
    world.dispatcher().run(once=True)  # sent meanwhile: still too recent to repeat
    assert press(world, warning_id)["queued"] == 0 and len(reminders(world)) == 6
    world.clock.advance(minutes=remind.QUIET.total_seconds() / 60)
    assert press(world, warning_id)["queued"] == 6 and len(reminders(world)) == 12


def test_two_presses_at_the_same_moment_queue_once(world, databases):
    if databases.backend != "postgresql":
        pytest.skip("SQLite has a single writer")
    warning_id = issued(world)
    answers = []
    with world.sessions() as session, session.begin():
        first = remind.remind(session, warning_id=warning_id, actor=who("office"), per_day=40, now=world.clock.now)
        other = threading.Thread(target=lambda: answers.append(press(world, warning_id)))
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive()  # waiting for the first press's transaction
    other.join()
    assert first["queued"] == 6 and answers[0]["queued"] == 0 and len(reminders(world)) == 6


def test_the_reminder_goes_out_through_the_normal_delivery_path(world):
    warning_id = issued(world)
    press(world, warning_id, credit_codes=[code(2)])
    world.dispatcher().run(once=True)
    [delivery] = reminders(world)
    [sent] = [m for m in world.fakes["sms"].sent if m.delivery_id == delivery.id]
    assert sent.address == "+8613800000002" and "催办" in sent.text
    assert world.deliveries(id=delivery.id)[0].status == "sent"


def test_an_already_confirmed_enterprise_is_skipped(world):
    warning_id = issued(world)
    confirm(world, 2)
    answer = press(world, warning_id, credit_codes=[code(2), code(3)])
    assert answer["skipped_confirmed"] == 1 and answer["enterprises"] == 1 and answer["queued"] == 1
    assert reminded_codes(world) == {code(3)}


def test_a_filter_reminds_the_unconfirmed_of_one_town_only(world):
    warning_id = issued(world)
    confirm(world, 1)
    answer = press(world, warning_id, town="黄村镇", status="unconfirmed")
    assert answer["matched"] == 3 and answer["skipped_confirmed"] == 0  # 2, 3, 5: 1 confirmed, 4 elsewhere
    assert reminded_codes(world) == {code(2), code(3), code(5)}
    answer = press(world, warning_id, town="西红门镇")
    assert answer["queued"] == 1 and reminded_codes(world) == {code(n) for n in (2, 3, 4, 5)}


def test_a_role_that_may_not_remind_is_refused_and_nothing_is_queued(world):
    warning_id = issued(world)
    for actor in (who("viewer"), who("duty"), who("chief")):
        with pytest.raises(Forbidden):
            press(world, warning_id, actor)
    assert reminders(world) == []


def test_numbers_at_the_daily_cap_are_not_queued_and_counted(world):
    warning_id = issued(world)  # every number has had its notice
    answer = press(world, warning_id, credit_codes=[code(1), code(2)], per_day=1)
    assert answer["at_cap"] == 3 and answer["queued"] == 0 and reminders(world) == []
    answer = press(world, warning_id, credit_codes=[code(1), code(2)], per_day=2)
    assert answer["at_cap"] == 0 and answer["queued"] == 3


def test_a_number_with_its_notice_still_queued_is_not_reminded_yet(world):
    warning_id = world.issue("orange")  # not dispatched
    answer = press(world, warning_id)
    assert answer["queued"] == 0 and answer["skipped_recent"] == 6


def test_a_number_the_provider_refused_is_not_reminded(world):
    world.fakes["sms"].fail("+8613800000003", TransportError("invalid number", permanent=True, bad_address=True))
    world.fakes["email"].fail("c3@example.com", TransportError("mailbox unknown", permanent=True, bad_address=True))
    warning_id = issued(world)
    answer = press(world, warning_id, credit_codes=[code(3)])
    assert answer["invalid"] == 1 and answer["queued"] == 0


def test_one_event_says_who_when_how_many_and_which_filter(world):
    warning_id = issued(world)
    answer = press(world, warning_id, town="西红门镇", credit_codes=[code(4), "91110115XXXXXXXXXX"])
    with world.sessions() as session:
        [event] = session.scalars(select(Event).where(Event.kind == EventKind.ESCALATED)).all()
    assert event.actor == "office" and event.at == world.clock.now and event.id == answer["event"]
    assert event.detail["manual"] is True and event.detail["queued"] == 1
    assert event.detail["filter"] == {"town": "西红门镇", "credit_codes": [code(4), "91110115XXXXXXXXXX"]}
    assert answer["not_found"] == ["91110115XXXXXXXXXX"]


def test_an_empty_choice_and_a_warning_not_in_force_are_refused(world):
    warning_id = issued(world)
    with pytest.raises(Invalid):
        press(world, warning_id, credit_codes=[" "])
    world.clock.advance(hours=100)  # past its end
    with pytest.raises(Refused) as refused:
        press(world, warning_id)
    assert refused.value.code == "not_in_force" and reminders(world) == []


# -- the API and the pages ---------------------------------------------------------------------------

@pytest.fixture
def client(world):
    with TestClient(create_app(world.settings)) as client:
        yield client


def bearer(client, world, username: str) -> dict:
    token = client.post("/api/v1/tokens", json={"username": username, "password": world.passwords[username]})
    return {"Authorization": f"Bearer {token.json()['token']}"}


def test_the_api_reminds_for_the_office_and_refuses_a_viewer(world, client):
    warning_id = issued(world)
    url = f"/api/v1/warnings/{warning_id}/remind"
    refused = client.post(url, json={"credit_codes": [code(2)]}, headers=bearer(client, world, "viewer"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert reminders(world) == []
    office = bearer(client, world, "office")
    answer = client.post(url, json={"town": "西红门镇", "status": "unconfirmed"}, headers=office)
    assert answer.status_code == 200 and answer.json()["queued"] == 1
    assert client.post(url, json={"town": "西红门镇"}, headers=office).json()["queued"] == 0
    assert client.post(url, json={"credit_codes": []}, headers=office).status_code == 422
    assert client.post(url, json={"status": "late"}, headers=office).status_code == 422
    assert client.post("/api/v1/warnings/999999/remind", json={}, headers=office).status_code == 404
    assert len(reminders(world)) == 1


def test_a_town_user_reminds_only_within_the_town(world, client):
    warning_id = issued(world)
    answer = client.post(f"/api/v1/warnings/{warning_id}/remind", json={"credit_codes": [code(2), code(4)]},
                         headers=bearer(client, world, "xhm")).json()
    assert answer["enterprises"] == 1 and answer["not_found"] == [code(2)]
    assert reminded_codes(world) == {code(4)}


def signed_in(client, world, username: str) -> str:
    _, csrf = browser_sign_in(client, username, world.passwords[username])
    return csrf


def test_the_list_filters_by_status_and_town(world, client):
    warning_id = issued(world)
    confirm(world, 2)
    signed_in(client, world, "viewer")
    codes = lambda html: set(re.findall(r'data-code="([0-9A-Z]{18})"', html))  # noqa: E731
    page = client.get(f"/warnings/{warning_id}/enterprises")
    assert page.status_code == 200 and codes(page.text) == {code(n) for n in range(1, 6)}
    assert codes(client.get(f"/warnings/{warning_id}/enterprises?status=confirmed").text) == {code(2)}
    assert codes(client.get(f"/warnings/{warning_id}/enterprises?status=unconfirmed&town=黄村镇").text) == {
        code(1), code(3), code(5)}
    assert 'name="credit_code"' not in page.text and "催办所选企业" not in page.text  # a viewer sees no remind button


def test_failed_numbers_stand_out_in_the_list(world, client):
    world.fakes["sms"].fail("+8613800000003", TransportError("invalid number", permanent=True, bad_address=True))
    warning_id = issued(world)
    signed_in(client, world, "office")
    html = client.get(f"/warnings/{warning_id}/enterprises?q={code(3)}").text
    row = re.search(r'<tr data-code="%s".*?</tr>' % code(3), html, re.S).group(0)
    assert 'class="failed"' in row and "号码无效" in row and 'data-status="failed"' in row


def test_a_viewer_posting_remind_on_the_page_is_refused(world, client):
    warning_id = issued(world)
    csrf = signed_in(client, world, "viewer")
    answer = client.post(f"/warnings/{warning_id}/remind", data={"csrf_token": csrf, "scope": "filter"})
    assert answer.status_code == 403 and "无权催办" in answer.text
    assert reminders(world) == []


def test_the_office_reminds_from_the_page_and_reads_what_was_queued(world, client):
    warning_id = issued(world)
    confirm(world, 2)
    csrf = signed_in(client, world, "office")
    form = {"csrf_token": csrf, "scope": "selected", "credit_code": [code(2), code(3)], "town": "黄村镇"}
    answer = client.post(f"/warnings/{warning_id}/remind", data=form, follow_redirects=False)
    assert answer.status_code == 303 and "town=" in answer.headers["location"]
    shown = client.get(answer.headers["location"]).text
    assert "已排队 1 条催办短信（1 家企业）" in shown and "跳过 1 家已落实企业" in shown
    again = client.get(client.post(f"/warnings/{warning_id}/remind", data=form, follow_redirects=False)
                       .headers["location"]).text
    assert "没有新的催办短信排队" in again and "30 分钟内已催办" in again
    nothing = client.post(f"/warnings/{warning_id}/remind", data={"csrf_token": csrf, "scope": "selected"})
    assert nothing.status_code == 422 and "请先选择要催办的企业" in nothing.text
    assert len(reminders(world)) == 1


def test_the_export_opens_and_has_the_filtered_rows(world, client):
    warning_id = issued(world)
    confirm(world, 2)
    signed_in(client, world, "viewer")
    answer = client.get(f"/warnings/{warning_id}/enterprises.xlsx?status=unconfirmed&town=黄村镇")
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("统一社会信用代码", "企业名称", "乡镇街道") and sheet.freeze_panes == "A2"
    assert {r[0] for r in rows[1:]} == {code(1), code(3), code(5)}
    assert all(r[2] == "黄村镇" and r[6] == "未收到" for r in rows[1:])


def test_the_enterprise_timeline_shows_the_confirmation_with_its_note(world, client):
    warning_id = issued(world)
    press(world, warning_id, credit_codes=[code(3)])
    world.dispatcher().run(once=True)
    world.clock.advance(minutes=1)
    confirm(world, 3, note=NOTE)
    signed_in(client, world, "office")
    html = client.get(f"/warnings/{warning_id}/enterprises/{code(3)}").text
    timeline = html[html.index('id="timeline"'):]
    for said in ("第 1 号通知", "通知短信已发出", "催办短信已发出", "由 office 手动催办", "确认收到（链接）", "措施已落实",
                 NOTE, "措施全部落实"):
        assert said in timeline, said
    assert timeline.index("催办短信已发出") < timeline.index(NOTE)
    assert "暂无督查记录" in html


def test_an_enterprise_outside_the_users_area_is_not_found(world, client):
    warning_id = issued(world)
    signed_in(client, world, "xhm")
    assert client.get(f"/warnings/{warning_id}/enterprises/{code(4)}").status_code == 200
    assert client.get(f"/warnings/{warning_id}/enterprises/{code(2)}").status_code == 404
    assert client.get(f"/warnings/{warning_id}/enterprises/NOSUCHCODE").status_code == 404
    html = client.get(f"/warnings/{warning_id}/enterprises").text
    assert set(re.findall(r'data-code="([0-9A-Z]{18})"', html)) == {code(4)}


def test_an_enterprise_a_change_left_unchanged_is_counted_apart(world):
    warning_id = issued(world, "orange")
    with world.sessions() as session, session.begin():  # to red: enterprise 5's measures are the same
        service.request_change(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                               level="red", end=None, reason="加重", actor=who("duty"), now=world.clock.now)
        service.approve(session=session, rules=RULES, config=world.settings.app, warning_id=warning_id,
                        actor=who("chief"), now=world.clock.now)
    world.dispatcher().run(once=True)
    answer = press(world, warning_id)
    assert answer["unchanged"] == 1 and answer["enterprises"] == 4 and code(5) not in reminded_codes(world)


def test_the_timeline_shows_the_ladder_calls_and_the_report_to_the_town(world, client):
    warning_id = issued(world)
    confirm(world, 2)
    world.clock.advance(minutes=91)  # the ladder: remind at 30, call at 60, report to the town office at 90
    with world.sessions() as session, session.begin():
        escalation.sweep(session=session, config=world.settings.app, now=world.clock.now)
    world.dispatcher().run(once=True)
    signed_in(client, world, "office")
    timeline = client.get(f"/warnings/{warning_id}/enterprises/{code(3)}").text.split('id="timeline"')[1]
    assert "催办短信已发出" in timeline and "催办电话" in timeline and "已列入报送乡镇街道" in timeline
    assert "手动催办" not in timeline  # the ladder's own, not by hand
    confirmed = client.get(f"/warnings/{warning_id}/enterprises/{code(2)}").text.split('id="timeline"')[1]
    assert "已列入报送乡镇街道" not in confirmed and "催办" not in confirmed


def test_a_draft_has_an_empty_list_and_no_remind(world, client):
    with world.sessions() as session, session.begin():
        draft = service.draft(session=session, rules=RULES, config=world.settings.app, area="大兴区", level="orange",
                              start=world.clock.now + timedelta(hours=16), end=world.clock.now + timedelta(hours=40),
                              reason="会商", actor=who("duty"), now=world.clock.now)
    signed_in(client, world, "office")
    page = client.get(f"/warnings/{draft.warning_id}/enterprises")
    assert page.status_code == 200 and "没有符合条件的企业" in page.text and "预警不在发布或生效期内" in page.text
    assert client.get(f"/warnings/{draft.warning_id}/enterprises/{code(1)}").status_code == 404
