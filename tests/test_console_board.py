"""The live board of a warning in headless Chromium: its figures move when companies confirm,
without a reload; the wall screen (dark, no navigation, one 1920×1080 screen) and the phone; drills
marked; its JSON and the page refused to whoever may not see the warning."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.worker import Dispatcher
from config import rulesets
from config.db import make_sessionmaker, utcnow
from emergency.notices import acknowledge
from emergency.notices.render import Renderer
from emergency.warnings import service
from emergency.warnings.models import ActivatedEnterprise, Activation, Recipient
from emergency.web.app import create_app
from tests.console import SHOTS, cheap_passwords, chromium, console, layout, simulator  # noqa: F401
from tests.factories import browser_sign_in, who
from tests.test_inspections_count import violation

RULES = rulesets.load("national-2024")
WALL = {"width": 1920, "height": 1080}


@pytest.fixture
def fresh(console):
    console.close_open_warnings()
    yield console
    console.close_open_warnings()


def issue(console, level: str = "red", *, drill: bool = False) -> int:
    """A warning for the demo district approved now, starting in two hours; its notices handed over."""
    now = utcnow()
    with Session(console.engine) as session, session.begin():
        request = service.draft(session=session, rules=RULES, config=console.settings.app, area="大兴区", level=level,
                                start=now + timedelta(hours=2), end=now + timedelta(days=3), reason="会商结论",
                                actor=who("duty"), now=now, drill=drill)
        warning_id = request.warning_id
        service.approve(session=session, rules=RULES, config=console.settings.app, warning_id=warning_id,
                        actor=who("chief"), now=now)
    sessions = make_sessionmaker(console.engine)
    worker = Dispatcher(sessions=sessions, transports=simulator(console, sessions),
                        render=Renderer(console.settings), config=console.settings.app.notify, name="board-test")
    worker.run(once=True)
    worker.close()
    return warning_id


def draft_drill(console) -> int:
    """A drill drafted, not yet approved: nothing has gone out."""
    now = utcnow()
    with Session(console.engine) as session, session.begin():
        return service.draft(session=session, rules=RULES, config=console.settings.app, area="大兴区", level="yellow",
                             start=now + timedelta(hours=2), end=now + timedelta(days=1), reason="演练",
                             actor=who("duty"), now=now, drill=True).warning_id


def confirm(console, warning_id: int, count: int) -> None:
    """`count` enterprises of the notice not yet confirmed confirm every measure through their first contact's link."""
    with Session(console.engine) as session, session.begin():
        activation = session.scalar(select(Activation.id).where(Activation.warning_id == warning_id)
                                    .order_by(Activation.id.desc()).limit(1))
        recipients = session.execute(
            select(Recipient.enterprise_id, Recipient.id)
            .join(ActivatedEnterprise, (ActivatedEnterprise.activation_id == Recipient.activation_id)
                  & (ActivatedEnterprise.enterprise_id == Recipient.enterprise_id))
            .where(Recipient.activation_id == activation, ActivatedEnterprise.confirmed_at.is_(None))
            .order_by(Recipient.enterprise_id, Recipient.position)).all()
        first: dict[int, int] = {}
        for enterprise_id, recipient_id in recipients:
            first.setdefault(enterprise_id, recipient_id)
        for recipient in list(first.values())[:count]:
            notice = acknowledge.notice(session, recipient, utcnow())
            for measure in acknowledge.measures(session, notice) or [None]:
                acknowledge.confirm(session, notice, measure_id=measure and measure.id, note=None, channel="web",
                                    now=utcnow())


def test_the_board_moves_when_companies_confirm_without_a_reload(fresh, chromium):
    warning_id = issue(fresh)
    page = fresh.sign_in(chromium, "office")
    page.goto(f"{fresh.url}/warnings/{warning_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="实时看板").click()
    assert page.url.endswith(f"/warnings/{warning_id}/board")
    expect(page.locator("[data-live=confirmed]")).to_have_text("0")
    assert page.locator("[data-live=enterprises]").inner_text() == "40"
    assert "距生效" in page.inner_text(".kpi-clock")
    expect(page.locator("[data-chart=board-towns] svg")).to_be_visible()
    assert page.locator(".ladder .rung").count() == 5  # the notice and the red ladder's four rungs
    page.evaluate("window.boardMarker = 42")  # gone if the page reloads

    confirm(fresh, warning_id, 3)
    expect(page.locator("[data-live=confirmed]")).to_have_text("3", timeout=15_000)
    expect(page.locator("[data-live=confirmed_pct]")).to_have_text("8%")
    expect(page.locator("[data-chart=board-funnel]")).to_contain_text("已落实  3")
    assert page.evaluate("window.boardMarker") == 42
    assert page.locator(".board.stale").count() == 0
    tile = page.locator("a.kpi-inspections")
    assert tile.get_attribute("href") == f"/warnings/{warning_id}/inspections"
    expect(tile.locator("[data-live=violating]")).to_have_text("违规 0 家")
    violation(fresh.engine, fresh.settings, warning_id)
    expect(tile.locator("[data-live=inspections]")).to_have_text("1", timeout=15_000)
    expect(tile.locator(".violating.passed")).to_have_text("违规 1 家")
    assert page.evaluate("window.boardMarker") == 42
    layout(page, "board", fresh.backend)


def test_the_wall_screen_is_dark_without_navigation_and_fits_one_screen(fresh, chromium):
    warning_id = issue(fresh, "orange")
    confirm(fresh, warning_id, 5)
    page = fresh.sign_in(chromium, "viewer")
    page.goto(f"{fresh.url}/warnings/{warning_id}/board?wall=1")
    assert page.locator("header.bar").count() == 0 and page.locator("body.wall").count() == 1
    expect(page.locator("[data-live=confirmed]")).to_have_text("5")
    assert page.locator(".board-kpis .kpi").count() == 8  # with the inspections' tile, in one row
    page.set_viewport_size(WALL)
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollHeight") <= WALL["height"]
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(11, 22, 34)"
    page.screenshot(path=str(SHOTS / f"board-wall-1920-{fresh.backend}.png"))
    layout(page, "board-wall", fresh.backend)
    confirm(fresh, warning_id, 1)  # the wall refreshes itself too
    expect(page.locator("[data-live=confirmed]")).to_have_text("6", timeout=15_000)


def test_a_drill_is_marked_and_the_board_speaks_english(fresh, chromium):
    warning_id = issue(fresh, "yellow", drill=True)
    page = fresh.sign_in(chromium, "commander", lang="en-US")
    page.goto(f"{fresh.url}/warnings/{warning_id}/board")
    assert page.locator(".board.is-drill .badge.drill").inner_text() == "Drill"
    assert "counted apart" in page.inner_text(".drill-note")
    assert "Until the start" in page.inner_text(".kpi-clock")
    layout(page, "board-drill-en", fresh.backend)


def test_the_board_is_refused_without_signing_in_or_for_an_unknown_warning(fresh):
    warning_id = issue(fresh, "orange")
    with TestClient(create_app(fresh.settings), follow_redirects=False) as client:
        assert client.get(f"/warnings/{warning_id}/board").status_code in (302, 303)
        assert client.get(f"/warnings/{warning_id}/board/live").status_code in (302, 303, 401)
        browser_sign_in(client, "viewer", fresh.passwords["viewer"])
        live = client.get(f"/warnings/{warning_id}/board/live")
        assert live.status_code == 200 and live.headers["cache-control"] == "no-store"
        body = live.json()
        assert set(body) == {"activation", "text", "widths", "flags", "charts"}
        assert body["text"]["enterprises"] == "40" and set(body["charts"]) == {
            "board-towns", "board-industries", "board-funnel", "board-curve"}
        drafted = draft_drill(fresh)
        page = client.get(f"/warnings/{drafted}/board")
        assert page.status_code == 200 and "尚未批准发出" in page.text
        assert client.get(f"/warnings/{drafted}/board/live").json()["activation"] is None
        assert client.get("/warnings/999999/board").status_code == 404
        assert client.get("/warnings/999999/board/live").status_code == 404
        assert client.get("/warnings/abc/board").status_code in (404, 422)
