"""The message simulator as a demo tool, in the console: an admin finds a phone by number or by its
owner's name, pages through every inbox, watches the list refresh without losing the search, reads
an inbox whose bubbles hold just the message, and answers as a company or a unit would."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.models import Delivery, InboxMessage
from alerts.worker import Dispatcher
from config.db import make_sessionmaker, utcnow
from emergency.demo_data import DISTRICT
from emergency.notices.render import Renderer
from emergency.warnings import service
from emergency.warnings.models import ActivatedUnit, Recipient
from emergency.web.simulator import PER_PAGE
from lists.models import Enterprise, Unit
from tests.console import cheap_passwords, chromium, console, layout, simulator  # noqa: F401
from tests.factories import who
from tests.notifying import RULES

PAGE_OF = re.compile(r"第 (\d+) / (\d+) 页，共 (\d+) 条")


@pytest.fixture(scope="module")
def sent(console):
    """An orange warning for the demo district in force, its notices delivered to the simulator;
    returns an enterprise's and three units' (name, mobile)."""
    console.close_open_warnings()
    sessions = make_sessionmaker(console.engine)
    now, config = utcnow(), console.settings.app
    with sessions() as session, session.begin():
        request = service.draft(session=session, rules=RULES, config=config, area=DISTRICT, level="orange",
                                start=now - timedelta(hours=1), end=now + timedelta(hours=48), reason="会商结论",
                                actor=who("duty"), now=now)
        service.approve(session=session, rules=RULES, config=config, warning_id=request.warning_id,
                        actor=who("chief"), now=now)
    Dispatcher(sessions=sessions, transports=simulator(console, sessions),
               render=Renderer(console.settings), config=config.notify, name="simulator-test").run(once=True)
    with sessions() as session:
        enterprise = session.execute(select(Enterprise.name, Recipient.mobile)
                                     .join(Recipient, Recipient.enterprise_id == Enterprise.id)
                                     .where(Recipient.mobile.is_not(None)).order_by(Recipient.id).limit(1)).one()
        units = session.execute(select(Unit.name, Recipient.mobile).join(Recipient, Recipient.unit_id == Unit.id)
                                .where(Recipient.mobile.is_not(None)).order_by(Recipient.id).limit(3)).all()
    return {"enterprise": tuple(enterprise), "units": [tuple(u) for u in units]}


def open_simulator(console, chromium, **options):
    page = console.sign_in(chromium, "admin", **options)
    page.goto(f"{console.url}/simulator")
    return page


def listed(page) -> list[str]:
    return page.locator("#inboxes tbody tr td:first-child a").all_inner_texts()


def test_an_enterprises_phone_is_found_by_the_enterprises_name_or_by_its_number(console, chromium, sent):
    name, mobile = sent["enterprise"]
    page = open_simulator(console, chromium)
    page.fill("input[name=q]", name)
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert mobile in listed(page) and page.input_value("input[name=q]") == name
    owners = page.locator("#inboxes tbody tr td:nth-child(2)").all_inner_texts()
    assert all(name in cell for cell in owners)
    page.goto(f"{console.url}/simulator?q={mobile[-8:-4]}%20{mobile[-4:]}")  # typed with a space
    assert listed(page) == [mobile]
    page.goto(f"{console.url}/simulator?q=%25")  # a LIKE wildcard is just a character
    assert listed(page) == [] and "没有找到" in page.locator("#inboxes").inner_text()


def test_the_list_pages_instead_of_cutting_and_shows_the_owners(console, chromium, sent):
    page = open_simulator(console, chromium)
    first_page = listed(page)
    number, pages, total = map(int, PAGE_OF.search(page.locator(".pager").inner_text()).groups())
    assert (number, pages) == (1, -(-total // PER_PAGE)) and total > PER_PAGE and len(first_page) == PER_PAGE
    kinds = set(page.locator("#inboxes .owner .badge").all_inner_texts())
    layout(page, "simulator-list", console.backend)
    with page.expect_navigation():
        page.get_by_role("link", name="下一页").click()
    assert "page=2" in page.url and PAGE_OF.search(page.locator(".pager").inner_text()).group(1) == "2"
    assert listed(page) and not set(listed(page)) & set(first_page)
    kinds |= set(page.locator("#inboxes .owner .badge").all_inner_texts())
    assert kinds == {"企业", "单位"}


def test_the_list_refreshes_by_itself_and_keeps_what_is_typed_in_the_search_box(console, chromium, sent):
    page = open_simulator(console, chromium)
    page.fill("input[name=q]", "还没提交")
    with Session(console.engine) as session, session.begin():
        session.add(InboxMessage(channel="sms", address="+8613999990001", direction="out", body="新消息",
                                 at=utcnow()))
    page.locator("#inboxes a", has_text="+8613999990001").wait_for(timeout=15_000)
    assert page.input_value("input[name=q]") == "还没提交"


def test_the_list_part_alone_is_sent_to_htmx(console, chromium, sent):
    page = open_simulator(console, chromium)
    part = page.request.get(f"{console.url}/simulator?page=999", headers={"HX-Request": "true"})
    assert part.ok and 'id="inboxes"' in part.text() and "<header" not in part.text() and 'name="q"' not in part.text()
    pages = PAGE_OF.search(part.text()).group(2)
    assert PAGE_OF.search(part.text()).group(1) == pages  # past the end: the last page


def test_an_inbox_shows_its_owner_and_bubbles_hold_just_the_message(console, chromium, sent):
    name, mobile = sent["enterprise"]
    page = open_simulator(console, chromium)
    page.goto(f"{console.url}/simulator/inbox/{mobile.replace('+', '%2B')}")
    assert name in page.locator(".owners").inner_text()
    with Session(console.engine) as session:
        bodies = session.scalars(select(InboxMessage.body).where(InboxMessage.address == mobile)
                                 .order_by(InboxMessage.id)).all()
    assert page.locator(".bubble .text").all_inner_texts() == [b.strip() for b in bodies]
    raw = page.locator(".bubble .text").evaluate_all("els => els.map(e => e.textContent)")
    assert raw == [b.strip() for b in bodies]
    assert page.locator(".bubble .text a").first.get_attribute("href").startswith(f"{console.url}/a/")
    bubble = page.locator(".bubble").first.inner_text()
    assert bubble == bubble.strip() and "\n\n" not in bubble
    page.fill("#reply-body", "确认")
    with page.expect_navigation():
        page.get_by_role("button", name="回复").click()
    assert page.locator(".bubble.in .text").last.inner_text() == "确认"
    assert page.locator(".bubble.out .text").last.inner_text().startswith("已确认收到通知")
    layout(page, "simulator-inbox", console.backend)


def test_a_unit_acknowledges_from_the_simulator_by_reply_and_by_keypress(console, chromium, sent):
    (replying, mobile), (calling, called), _ = sent["units"]
    page = open_simulator(console, chromium)
    page.goto(f"{console.url}/simulator/inbox/{mobile.replace('+', '%2B')}")
    assert replying in page.locator(".owners").inner_text() and "单位" in page.locator(".owners").inner_text()
    page.fill("#reply-body", "1")
    with page.expect_navigation():
        page.get_by_role("button", name="回复").click()
    call = _a_call_to(console, called)
    page.goto(f"{console.url}/simulator/inbox/{called.replace('+', '%2B')}#msg{call}")
    with page.expect_navigation():
        page.locator(f"#msg{call}").get_by_role("button", name="按 1 确认收到").click()
    assert page.locator(".bubble.in .text").last.inner_text() == "按键 1"
    assert page.locator(".bubble.out .text").last.inner_text() == "已确认收到，谢谢。"
    assert page.locator(f"#msg{call} form").count() == 1 and page.locator(".bubble form").count() == 1
    with Session(console.engine) as session:
        via = dict(session.execute(select(Unit.name, ActivatedUnit.acknowledged_via)
                                   .join(ActivatedUnit, ActivatedUnit.unit_id == Unit.id)
                                   .where(Unit.name.in_([replying, calling]))).all())
    assert via == {replying: "sms", calling: "voice"}


def test_a_unit_follows_the_link_in_its_sms_and_confirms_on_a_phone(console, chromium, sent):
    name, mobile = sent["units"][2]
    page = open_simulator(console, chromium, phone=True)
    page.goto(f"{console.url}/simulator/inbox/{mobile.replace('+', '%2B')}")
    sms = page.locator(".bubble .text", has_text="请履职")
    page.goto(sms.locator("a").get_attribute("href"))
    assert page.locator("h2").inner_text() == name
    assert page.locator("#duties li").count() == 1 and page.locator("#duties li").inner_text().strip()
    layout(page, "unit-notice", console.backend)
    page.get_by_placeholder("备注（可选） note (optional)").fill("已通知各科室")
    with page.expect_navigation():
        page.get_by_role("button", name="已传达 / 确认落实 Confirm").tap()
    assert page.get_by_text("已传达落实").is_visible() and page.get_by_text("已通知各科室").is_visible()
    layout(page, "unit-notice-confirmed", console.backend)
    with Session(console.engine) as session:
        confirmed = session.execute(select(ActivatedUnit.confirmed_at, ActivatedUnit.confirmed_by, Recipient.name)
                                    .join(Unit, Unit.id == ActivatedUnit.unit_id)
                                    .join(Recipient, Recipient.unit_id == Unit.id)
                                    .where(Unit.name == name)).one()
    assert confirmed.confirmed_at is not None and confirmed.confirmed_by == confirmed.name


def test_the_simulator_in_english(console, chromium, sent):
    page = open_simulator(console, chromium, lang="en-US")
    assert page.locator("h1").inner_text() == "Message simulator"
    assert page.locator("#inboxes thead").inner_text().split() == ["Number", "/", "email", "Owner", "Messages",
                                                                   "Calls", "Latest"]
    assert re.search(r"page \d+ of \d+", page.locator(".pager").inner_text())
    chrome = page.locator("header.bar nav").inner_text() + page.locator("form.filters").inner_text()
    assert not re.search(r"[\u4e00-\u9fff]", chrome + page.locator("#inboxes thead").inner_text())
    layout(page, "simulator-list-en", console.backend)


def _a_call_to(console, address: str) -> int:
    """A call as the escalation would place it (a voice delivery, its script in the inbox); its message id."""
    now = utcnow()
    with Session(console.engine) as session, session.begin():
        recipient_id = session.scalar(select(Recipient.id).where(Recipient.mobile == address)
                                      .order_by(Recipient.id.desc()))
        delivery = Delivery(recipient_id=recipient_id, channel="voice", address=address, purpose="call",
                            status="delivered", next_attempt_at=now, created_at=now, sent_at=now)
        session.add(delivery)
        session.flush()
        call = InboxMessage(channel="voice", address=address, direction="out", delivery_id=delivery.id,
                            body="这里是应急指挥部。确认收到请按1。", at=now)
        session.add(call)
        session.flush()
        return call.id
