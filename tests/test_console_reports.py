"""The reports page in headless Chromium: reached from the warning page, the day chosen, the
workbook and the Word document downloaded by their buttons and opened, in both languages and at
both sizes; a typed date that is not one of the warning's days says so; a draft has no reports."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from config import rulesets
from config.db import make_sessionmaker, utcnow
from emergency.notices import acknowledge
from emergency.warnings import service
from emergency.warnings.models import Recipient
from tests.console import cheap_passwords, chromium, console, layout  # noqa: F401
from tests.factories import who

RULES = rulesets.load("national-2024")


def issue(console, *, approve: bool = True, drill: bool = False) -> int:
    """An orange warning for the demo district from the next hour, approved, one enterprise confirmed."""
    sessions = make_sessionmaker(console.engine)
    now = utcnow()
    with sessions() as session, session.begin():
        request = service.draft(session=session, rules=RULES, config=console.settings.app, area="大兴区", level="orange",
                                start=now + timedelta(hours=1), end=now + timedelta(days=3), reason="会商结论",
                                actor=who("duty"), now=now, drill=drill)
        if approve:
            service.approve(session=session, rules=RULES, config=console.settings.app, warning_id=request.warning_id,
                            actor=who("chief"), now=now)
    if approve:
        with sessions() as session, session.begin():
            recipient = session.scalars(select(Recipient).where(Recipient.enterprise_id.is_not(None))
                                        .order_by(Recipient.id.desc())).first()
            notice = acknowledge.notice(session, recipient.id, now)
            for measure in acknowledge.measures(session, notice) or [None]:
                acknowledge.confirm(session, notice, measure_id=measure and measure.id, note=None, channel="web", now=now)
    return request.warning_id


@pytest.fixture
def fresh(console):
    console.close_open_warnings()
    yield console
    console.close_open_warnings()


def download(page, card, name: str, path):
    """Click the card's download button; the file saved at `path`."""
    with page.expect_download() as info:
        card.get_by_role("link", name=name).click()
    info.value.save_as(path)
    return info.value


def test_the_office_downloads_the_daily_report_and_the_assessment(fresh, chromium, tmp_path):
    console = fresh
    warning_id = issue(console)
    office = console.sign_in(chromium, "office")
    office.goto(f"{console.url}/warnings/{warning_id}")
    with office.expect_navigation():
        office.get_by_role("link", name="日报与总结评估").click()
    assert office.url.endswith(f"/warnings/{warning_id}/reports")
    daily = office.locator("#daily")
    expect(daily.locator(".kpi").first).to_contain_text("涉及企业")
    expect(daily.locator("table.reduction tbody tr")).to_have_count(4)
    day = office.locator("select[name=date]").input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day)
    saved = download(office, daily, "下载 Excel 表格", tmp_path / "daily.xlsx")
    assert saved.suggested_filename == f"大兴区橙色预警（#{warning_id}）日报（{day}）.xlsx"  # the report's own title
    book = load_workbook(tmp_path / "daily.xlsx")
    assert book["概况"]["A1"].value.endswith(f"日报（{day}） — 概况")
    overview = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=3, values_only=True)}
    assert overview["已确认企业"] == 1 and str(overview["企业总数"]) in daily.locator(".kpi .value").first.inner_text()
    download(office, daily, "下载 Word 文档", tmp_path / "daily.docx")
    assert Document(tmp_path / "daily.docx").paragraphs[0].text.endswith(f"日报（{day}）")
    assessment = office.locator("#assessment")
    expect(assessment.locator(".notice.warn")).to_contain_text("尚未结束")
    download(office, assessment, "下载 Word 文档", tmp_path / "assessment.docx")
    assert Document(tmp_path / "assessment.docx").paragraphs[0].text.endswith("总结评估报告")
    assert office.get_by_role("link", name="JSON 数据").first.get_attribute("href") == \
        f"/api/v1/warnings/{warning_id}/reports/daily?date={day}"
    expect(office.locator("#sent")).to_contain_text("10:00")
    layout(office, "reports", console.backend)


def test_the_page_in_english_and_a_wrong_date_said_so(fresh, chromium):
    console = fresh
    warning_id = issue(console, drill=True)
    viewer = console.sign_in(chromium, "viewer", lang="en-US")
    viewer.goto(f"{console.url}/warnings/{warning_id}/reports?date=2020-01-01")
    expect(viewer.locator(".notice.error:not([hidden])")).to_contain_text("outside the warning")
    expect(viewer.locator(".level-banner")).to_contain_text("Drill")
    main = viewer.inner_text("main")
    assert "Daily report" in main and "Download Excel" in main and not re.search(r"[一-鿿]{2,}", main.replace("大兴区", ""))
    layout(viewer, "reports-en", console.backend)
    viewer.goto(f"{console.url}/warnings/{warning_id}/reports?date=tomorrow")
    expect(viewer.locator(".notice.error:not([hidden])")).to_contain_text("not a date")


def test_a_draft_has_no_reports_yet(fresh, chromium):
    console = fresh
    warning_id = issue(console, approve=False)
    duty = console.sign_in(chromium, "duty")
    duty.goto(f"{console.url}/warnings/{warning_id}/reports")
    expect(duty.locator("main .notice.info")).to_contain_text("尚未批准")
    assert duty.get_by_role("link", name="下载 Excel 表格").count() == 0
    answer = duty.request.get(f"{console.url}/warnings/{warning_id}/reports/daily.xlsx")
    assert answer.status == 409
