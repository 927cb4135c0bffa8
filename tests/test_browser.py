"""The confirmation page in headless Chromium on a phone-sized screen: open the link from the
SMS, confirm each measure by tapping, see it confirmed; nothing wider than the screen."""
from __future__ import annotations

from emergency.web.app import create_app
from tests.console import chromium  # noqa: F401
from tests.notifying import LiveServer, free_port, make_world


def test_a_company_confirms_its_measures_on_a_phone(db_url, tmp_path, chromium):
    port = free_port()
    world = make_world(db_url, tmp_path, public_url=f"http://127.0.0.1:{port}")
    world.issue("orange", start_hours=-1)
    world.dispatcher().run(once=True)
    sms = next(m for m in world.fakes["sms"].sent if m.address == "+8613800000002")
    link = sms.text[sms.text.index("http"):]
    with LiveServer(create_app(world.settings), port):
        page = chromium.new_page(viewport={"width": 375, "height": 667}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="zh-CN")
        page.goto(link)
        assert page.locator("h2").inner_text() == "测试企业2有限公司"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        buttons = page.get_by_role("button", name="确认已落实 Confirm")
        count = buttons.count()
        assert count >= 1
        for _ in range(count):
            page.get_by_placeholder("备注（可选） note (optional)").first.fill("已停产")
            with page.expect_navigation():
                page.get_by_role("button", name="确认已落实 Confirm").first.tap()
        assert page.get_by_text("全部措施已落实").is_visible()
        assert page.get_by_text("已停产").first.is_visible()
        page.screenshot(path=str(tmp_path / "confirmed.png"), full_page=True)
    with world.sessions() as session:
        from sqlalchemy import func, select

        from emergency.warnings.models import ActivatedEnterprise

        assert session.scalar(select(func.count(ActivatedEnterprise.confirmed_at))) == 1
