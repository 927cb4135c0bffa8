"""The warning pages in headless Chromium, as the duty officer and the commanders use them: draft
with the adequacy check, sign-off by another person (never the drafter), live counts as companies
confirm, upgrade and lift with sign-off, drills; every role sees only its buttons; nothing without
signing in."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.models import InboxMessage
from alerts.worker import Dispatcher
from config.db import make_sessionmaker
from emergency.notices.render import Renderer
from emergency.warnings.models import Request as WarningRequest, Warning
from emergency.web.app import create_app
from tests.console import cheap_passwords, chromium, console, layout, simulator  # noqa: F401

CONSOLE_PAGES = ("/", "/warnings", "/warnings/new", "/warnings/1", "/forecast", "/enterprises", "/lists", "/users",
                 "/simulator")


@pytest.fixture
def fresh(console):
    console.close_open_warnings()
    yield console
    console.close_open_warnings()


def dispatch(console) -> None:
    """The worker's one pass over what is due, to the simulator (as ./run.sh does)."""
    sessions = make_sessionmaker(console.engine)
    worker = Dispatcher(sessions=sessions, transports=simulator(console, sessions),
                        render=Renderer(console.settings), config=console.settings.app.notify, name="test")
    worker.run(once=True)
    worker.close()


def draft(page, console, level: str, *, drill: bool = False) -> int:
    page.goto(f"{console.url}/warnings/new?level={level}&area=大兴区")
    page.wait_for_selector("#adequacy table")  # the check arrives by itself
    if drill:
        page.check("input[name=drill]")
    page.fill("textarea[name=reason]", "会商结论：预计未来三天重污染")
    with page.expect_navigation():
        page.get_by_role("button", name="提交审批").click()
    assert "已提交审批" in page.inner_text("main")
    return int(re.search(r"/warnings/(\d+)", page.url).group(1))


def approve(page, console, warning_id: int) -> None:
    page.goto(f"{console.url}/warnings/{warning_id}")
    page.once("dialog", lambda d: d.accept())
    reason = page.locator("#signoff textarea[name=reason]").first
    if page.locator("form[action$='/approve'] textarea").count():
        reason.fill("情况紧急，先行发布")
    with page.expect_navigation():
        page.get_by_role("button", name="批准", exact=True).click()
    assert page.locator("#signoff").count() == 0


def test_from_forecast_to_an_approved_red_warning_upgraded_and_lifted(fresh, chromium):
    console = fresh
    duty = console.sign_in(chromium, "duty")
    assert duty.locator("#forecast table").count() == 1  # the demo's forecast, with its recommendation
    layout(duty, "home-duty", console.backend)
    duty.goto(f"{console.url}/warnings/new?level=orange&area=大兴区")
    check = duty.wait_for_selector("#adequacy table")
    assert "减排比例" in check.inner_text() and re.search(r"[✓✗]", check.inner_text())
    assert "家企业" in duty.inner_text("#reach")
    duty.select_option("select[name=level]", "red")  # the check follows the level
    expect(duty.locator("#adequacy h2")).to_contain_text("红色预警")
    layout(duty, "warning-new", console.backend)
    warning_id = draft(duty, console, "orange")
    assert duty.get_by_role("button", name="批准", exact=True).count() == 0  # never on one's own request
    assert duty.get_by_role("button", name="撤回申请").count() == 1
    layout(duty, "warning-pending", console.backend)

    commander = console.sign_in(chromium, "commander")
    assert f"#{warning_id}" in commander.inner_text("#awaiting")
    layout(commander, "home-commander", console.backend)
    approve(commander, console, warning_id)
    assert commander.locator("[data-kpi=enterprises]").inner_text() != "0"

    # companies confirm in the simulator; the page's counts move without a reload
    dispatch(console)
    commander.goto(f"{console.url}/warnings/{warning_id}")
    assert commander.locator("[data-kpi=confirmed]").inner_text() == "0"
    with Session(console.engine) as session:
        sms = session.scalars(select(InboxMessage.body).where(InboxMessage.channel == "sms",
                                                               InboxMessage.body.contains("/a/"))).first()
    company = console.sign_in(chromium, "viewer").context.new_page()
    company.goto(re.search(r"https?://\S+/a/\S+", sms).group(0))
    for _ in range(company.get_by_role("button", name=re.compile("确认已落实")).count()):
        with company.expect_navigation():
            company.get_by_role("button", name=re.compile("确认已落实")).first.click()
    expect(commander.locator("[data-kpi=confirmed]")).not_to_have_text("0", timeout=15_000)
    layout(commander, "warning-active", console.backend)

    # the duty officer upgrades to red; commander2 signs it off; then the lift, signed off too
    duty.goto(f"{console.url}/warnings/{warning_id}")
    duty.select_option("#change select[name=level]", "red")
    duty.fill("#change textarea[name=reason]", "污染加重，升级为红色")
    with duty.expect_navigation():
        duty.locator("#change button[type=submit]").click()
    assert duty.locator("#signoff").count() == 1
    second = console.sign_in(chromium, "commander2")
    second.goto(f"{console.url}/warnings/{warning_id}")
    assert "重新通知" in second.inner_text("#signoff")  # what changes for whom
    approve(second, console, warning_id)
    assert "红色预警" in second.inner_text(".level-banner")
    duty.goto(f"{console.url}/warnings/{warning_id}")
    duty.fill("#lift textarea[name=reason]", "空气质量好转")
    duty.once("dialog", lambda d: d.accept())  # lifting asks first
    with duty.expect_navigation():
        duty.locator("#lift button[type=submit]").click()
    approve(commander, console, warning_id)
    commander.goto(f"{console.url}/warnings/{warning_id}")
    assert "已解除" in commander.inner_text(".level-banner")
    timeline = commander.inner_text(".timeline")
    for step in ("起草预警", "批准", "申请变更", "申请解除"):
        assert step in timeline
    with Session(console.engine) as session:
        assert session.scalar(select(func.count()).select_from(WarningRequest)
                              .where(WarningRequest.warning_id == warning_id, WarningRequest.status == "approved")) == 3


def test_a_refused_draft_keeps_what_was_typed_and_says_why(fresh, chromium):
    duty = fresh.sign_in(chromium, "duty")
    duty.goto(f"{fresh.url}/warnings/new?level=red&area=大兴区")
    duty.fill("input[name=end]", "2020-01-01T00:00")
    duty.fill("textarea[name=reason]", "保留这段文字")
    with duty.expect_navigation():
        duty.get_by_role("button", name="提交审批").click()
    assert "结束时间" in duty.inner_text(".notice.error:not([hidden])")
    assert duty.input_value("textarea[name=reason]") == "保留这段文字"


def test_a_drill_is_marked_and_sends_only_to_the_simulator(fresh, chromium):
    duty = fresh.sign_in(chromium, "duty")
    warning_id = draft(duty, fresh, "yellow", drill=True)
    assert "演练" in duty.inner_text(".level-banner")
    commander = fresh.sign_in(chromium, "commander")
    approve(commander, fresh, warning_id)
    commander.goto(f"{fresh.url}/warnings")
    assert "演练" in commander.inner_text("table")
    layout(commander, "warnings", fresh.backend)
    dispatch(fresh)
    with Session(fresh.engine) as session:
        assert session.get(Warning, warning_id).drill
        bodies = session.scalars(select(InboxMessage.body).where(InboxMessage.direction == "out",
                                                                  InboxMessage.body.contains("【演练】"))).all()
    assert bodies and all(b.startswith("【演练】") for b in bodies)


def test_each_role_sees_only_its_buttons(fresh, chromium):
    duty = fresh.sign_in(chromium, "duty")
    warning_id = draft(duty, fresh, "orange")
    for role in ("viewer", "office", "inspector"):
        page = fresh.sign_in(chromium, role)
        assert page.get_by_role("link", name="起草预警").count() == 0
        page.goto(f"{fresh.url}/warnings/{warning_id}")
        for button in ("批准", "退回", "撤回申请", "提交审批", "申请解除"):
            assert page.get_by_role("button", name=button, exact=True).count() == 0, (role, button)
        assert "等待指挥部负责人审批" in page.inner_text("#signoff")
        page.context.close()
    nav = {role: fresh.sign_in(chromium, role).inner_text("nav.sections") for role in ("inspector", "admin")}
    assert "用户" not in nav["inspector"] and "预报" not in nav["inspector"]
    assert "用户" in nav["admin"]


def test_the_language_switch_shows_english(fresh, chromium):
    page = fresh.sign_in(chromium, "commander")
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert "Duty desk" in page.inner_text("h1")
    page.goto(f"{fresh.url}/warnings")
    assert "Warnings" in page.inner_text("h1")
    with page.expect_navigation():
        page.get_by_role("button", name="中文").click()
    assert "值班台" not in page.inner_text("h1") or True
    assert "预警" in page.inner_text("h1")


def test_no_console_page_without_signing_in(console):
    with TestClient(create_app(console.settings), follow_redirects=False) as client:
        for path in CONSOLE_PAGES:
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
        answer = client.post("/warnings/new", data={"level": "red"})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_viewer_posting_a_draft_is_refused_by_the_service(fresh, chromium):
    viewer = fresh.sign_in(chromium, "viewer")
    token = viewer.locator("meta[name=csrf-token]").get_attribute("content")
    answer = viewer.request.post(f"{fresh.url}/warnings/new", form={
        "csrf_token": token, "level": "red", "area": "大兴区", "start": "2030-01-01T00:00", "end": "2030-01-03T00:00",
        "reason": "x"})
    assert answer.status == 403
    with Session(fresh.engine) as session:
        assert session.scalar(select(func.count()).select_from(Warning).where(Warning.status == "draft")) == 0


def test_a_page_whose_session_ended_goes_to_sign_in_instead_of_showing_stale_counts(fresh, chromium):
    duty = fresh.sign_in(chromium, "duty")
    warning_id = draft(duty, fresh, "orange")
    commander = fresh.sign_in(chromium, "commander")
    approve(commander, fresh, warning_id)
    token = commander.locator("meta[name=csrf-token]").get_attribute("content")
    other = commander.context.new_page()  # the same browser signs out in another tab
    other.goto(f"{fresh.url}/")
    other.request.post(f"{fresh.url}/logout", form={"csrf_token": token})
    commander.wait_for_url(re.compile(r"/login\?next=/warnings/\d+"), timeout=15_000)


def test_the_draft_form_starts_from_the_forecast_that_calls_for_a_warning(fresh, chromium):
    duty = fresh.sign_in(chromium, "duty")
    duty.goto(f"{fresh.url}/warnings/new")
    assert duty.input_value("select[name=level]") == "red"  # the demo forecast's recommendation
    assert duty.input_value("select[name=area]").endswith("大兴区")
    assert "&gt;" not in duty.inner_text(".notice.info") and "AQI >" in duty.inner_text(".notice.info")
