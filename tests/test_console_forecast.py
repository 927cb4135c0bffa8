"""The forecast page: a duty officer dry-runs a forecast CSV, imports the same file and sees the
assessment per area with its chart; bad files get located errors and write nothing; other roles see
the assessment of their own scope without the upload (Chromium, and FastAPI's test client where no
browser is needed)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.permissions import system
from areas import service as areas
from config.db import utcnow
from emergency.forecasts.importer import import_text
from emergency.forecasts.models import Forecast
from emergency.web.app import create_app
from tests.console import chromium, console, cheap_passwords, layout  # noqa: F401
from tests.factories import browser_sign_in

CJK = re.compile(r"[\u4e00-\u9fff]")


def stored(console) -> int:
    with Session(console.engine) as session:
        return session.scalar(select(func.count()).select_from(Forecast))


def episode(first: date) -> str:
    """大兴区 two days over 150 (yellow); 黄村镇 from PM2.5 only, three days over 200, one over 300 (red)."""
    d = [first + timedelta(days=i) for i in range(3)]
    return ("area,date,aqi,pm25\n"
            f"大兴区,{d[0]},160,\n大兴区,{d[1]},175,\n"
            f"黄村镇,{d[0]},,262\n黄村镇,{d[1]},,240\n黄村镇,{d[2]},,230\n")


def csv_file(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def web(console):
    with TestClient(create_app(console.settings), follow_redirects=False) as client:
        yield client


def sign_in_client(web, console, username: str) -> str:
    """Signs the test client in; returns the session's CSRF token."""
    web.cookies.clear()
    response, csrf = browser_sign_in(web, username, console.passwords[username])
    assert response.status_code == 303 and csrf
    return csrf


def dry_run(web, csrf: str, name: str, content: bytes):
    return web.post("/forecast/dry-run", files={"file": (name, content, "text/csv")},
                    headers={"X-CSRF-Token": csrf, "HX-Request": "true"})


def test_the_demo_forecast_is_assessed_before_any_upload(console, chromium):
    page = console.sign_in(chromium, "duty")
    page.goto(f"{console.url}/forecast")
    card = page.locator("article.area-assessment", has=page.locator("h3", has_text="大兴区"))
    assert card.locator(".badge.red").inner_text() == "红色预警"
    assert "预测日 AQI > 200，持续 3 天及以上，且其中至少 1 天 AQI > 300" in card.locator("dl.facts").inner_text()
    page.wait_for_selector("article.area-assessment .aqi-chart svg")


def test_duty_dry_runs_a_forecast_then_imports_the_same_file(console, chromium, tmp_path):
    page = console.sign_in(chromium, "duty")
    page.goto(f"{console.url}/forecast")
    page.set_input_files("input[name=file]", csv_file(tmp_path, "episode.csv", episode(date.today() + timedelta(days=1))))
    before = stored(console)
    page.get_by_role("button", name="试导入（不写入）").click()
    rows = page.locator("table.forecast-rows tbody tr")
    rows.first.wait_for()
    assert rows.count() == 5
    town_first = rows.filter(has_text="黄村镇").first.inner_text()
    assert "312" in town_first and "严重污染" in town_first and "PM2.5" in town_first and "按浓度计算" in town_first
    assert "试导入通过（episode.csv）：5 行，2 个区域" in page.locator("#forecast-result .notice.ok").inner_text()
    assert stored(console) == before
    layout(page, "forecast-dry-run", console.backend)

    with page.expect_navigation():
        page.get_by_role("button", name="导入", exact=True).click()
    assert "/forecast?imported=" in page.url
    assert "已导入 episode.csv：5 行" in page.locator(".notice.ok").inner_text()
    assert stored(console) == before + 5
    town = page.locator("article.area-assessment", has=page.locator("h3", has_text="黄村镇"))
    assert town.locator(".badge.red").inner_text() == "红色预警"
    assert town.locator("tr.trigger-day").count() == 3
    district = page.locator("article.area-assessment", has=page.locator("h3", has_text="大兴区"))
    assert district.locator(".badge.yellow").inner_text() == "黄色预警"
    assert "预测日 AQI > 150，持续 2 天及以上" in district.inner_text()
    town.locator(".aqi-chart svg").wait_for()
    draft = town.get_by_role("link", name="起草预警")
    assert draft.get_attribute("href") == "/warnings/new?level=red&area=%E9%BB%84%E6%9D%91%E9%95%87"
    layout(page, "forecast", console.backend)


def test_a_bad_forecast_shows_located_errors_and_writes_nothing(console, chromium, tmp_path):
    page = console.sign_in(chromium, "duty")
    page.goto(f"{console.url}/forecast")
    text = "area,date,aqi\n大兴区,2030-01-01,180\n大兴区,2030-01-02,abc\n朝阳区,2030-01-03,200\n"
    page.set_input_files("input[name=file]", csv_file(tmp_path, "bad.csv", text))
    before = stored(console)
    page.get_by_role("button", name="试导入（不写入）").click()
    errors = page.locator("table.forecast-errors tbody tr")
    errors.first.wait_for()
    cells = [[c.strip() for c in row.locator("td").all_inner_texts()] for row in errors.all()]
    assert [c[:2] for c in cells] == [["3", "aqi"], ["4", "area"]]
    assert "不是整数：abc" in cells[0][2] and "未知区域：朝阳区" in cells[1][2]
    assert "未写入任何数据：2 处错误" in page.locator("#forecast-result .notice.error").inner_text()
    assert page.get_by_role("button", name="导入", exact=True).count() == 0
    assert stored(console) == before
    page.get_by_text("CSV 格式说明").click()
    assert page.locator(".format-help table").is_visible()
    layout(page, "forecast-errors", console.backend)


def test_a_file_changed_after_its_dry_run_is_not_imported(console, chromium, tmp_path):
    page = console.sign_in(chromium, "duty")
    page.goto(f"{console.url}/forecast")
    page.set_input_files("input[name=file]", csv_file(tmp_path, "a.csv", "area,date,aqi\n大兴区,2030-02-01,120\n"))
    page.get_by_role("button", name="试导入（不写入）").click()
    page.locator("table.forecast-rows").wait_for()
    page.set_input_files("input[name=file]", csv_file(tmp_path, "b.csv", "area,date,aqi\n大兴区,2030-02-01,480\n"))
    before = stored(console)
    with page.expect_navigation():
        page.get_by_role("button", name="导入", exact=True).click()
    assert "文件在试导入之后有了变化" in page.locator("#forecast-result").inner_text()
    assert stored(console) == before
    layout(page, "forecast-changed", console.backend)


def test_a_viewer_sees_the_assessment_without_the_upload_or_drafting(console, chromium):
    page = console.sign_in(chromium, "viewer")
    page.goto(f"{console.url}/forecast")
    assert page.locator("article.area-assessment h3", has_text="大兴区").count() == 1
    page.wait_for_selector("article.area-assessment .aqi-chart svg")
    assert page.locator("#forecast-upload").count() == 0
    assert page.locator("input[type=file]").count() == 0
    assert page.get_by_role("link", name="起草预警").count() == 0
    layout(page, "forecast-viewer", console.backend)


def test_the_page_is_in_english_after_the_language_switch(console, chromium):
    page = console.sign_in(chromium, "commander")
    page.goto(f"{console.url}/forecast")
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="English").click()
    assert page.url.endswith("/forecast")
    assert page.locator("main h1").inner_text() == "Forecast"
    assert page.locator("main h2").first.inner_text() == "Assessment by area"
    headings = page.locator("main th, main dt, main figcaption, main h2, main .badge").all_inner_texts()
    assert headings and not [h for h in headings if CJK.search(h)]
    assert "daily forecast AQI" in page.locator("article.area-assessment dl.facts").first.inner_text()
    layout(page, "forecast-en", console.backend)


def test_bad_uploads_get_a_located_message_never_an_error_page(console, web):
    csrf = sign_in_client(web, console, "duty")
    before = stored(console)
    cases = {"empty.csv": (b"", "文件是空的"), "gbk.csv": ("area,date,aqi\n大兴区,2030-01-01,250\n".encode("gbk"), "不是 UTF-8"),
             "junk.bin": (bytes(range(256)) * 4, "不是文本文件"), "columns.csv": (b"where,when\nx,y\n", "未知的列：where, when"),
             "header.csv": (b"area,date\n", "缺少列"), "quote.csv": (b'area,date,aqi\n"\xe5\xa4\xa7,2030-01-01,1\r\n', "")}
    for name, (content, message) in cases.items():
        response = dry_run(web, csrf, name, content)
        assert response.status_code == 200, name
        assert "forecast-errors" in response.text and message in response.text, name
    no_file = web.post("/forecast/dry-run", files={"file": ("", b"", "application/octet-stream")},
                       headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert "请先选择预报文件" in no_file.text
    gbk_line = dry_run(web, csrf, "late.csv", "area,date,aqi\n大兴区,2030-01-01,250\n".encode()
                       + "黄村镇".encode("gbk") + b",2030-01-02,1\n")
    assert re.search(r'<td class="num"[^>]*>3</td>', gbk_line.text)
    assert stored(console) == before


def test_import_without_a_dry_run_is_refused(console, web):
    csrf = sign_in_client(web, console, "duty")
    before = stored(console)
    response = web.post("/forecast/import", files={"file": ("x.csv", "area,date,aqi\n大兴区,2030-03-01,100\n".encode(), "text/csv")},
                        data={"csrf_token": csrf})
    assert response.status_code == 409 and "请先试导入" in response.text
    assert stored(console) == before


def test_only_roles_that_import_may_post_and_only_staff_of_the_page_may_see_it(console, web):
    web.cookies.clear()
    assert web.get("/forecast").headers["location"].startswith("/login")
    csrf = sign_in_client(web, console, "viewer")
    assert web.get("/forecast").status_code == 200
    assert dry_run(web, csrf, "x.csv", "area,date,aqi\n大兴区,2030-01-01,250\n".encode()).status_code == 403
    sign_in_client(web, console, "inspector")
    assert web.get("/forecast").status_code == 403
    assert web.get("/forecast?imported=99999999999").status_code == 422


def test_a_town_user_sees_its_town_and_the_district_but_not_another_town(console, web):
    with Session(console.engine) as session, session.begin():
        town = areas.find(session, "西红门镇")
        text = "area,date,aqi\n西红门镇,2030-04-01,260\n旧宫镇,2030-04-01,270\n"
        assert not import_text(session=session, text=text, source="towns.csv", actor=system("tests"),
                               zone=console.settings.tz).errors
        _, password = accounts.add_user(session=session, actor=system("tests"), username="town.viewer", role="viewer",
                                        area=town, display_name="西红门镇只读", now=utcnow())
    console.passwords["town.viewer"] = password
    sign_in_client(web, console, "town.viewer")
    names = re.findall(r'<h3 id="aqi-chart-\d+-title">([^<]+)</h3>', web.get("/forecast").text)
    assert "西红门镇" in names and "大兴区" in names and "旧宫镇" not in names


def test_without_javascript_the_dry_run_answers_the_whole_page(console, web):
    csrf = sign_in_client(web, console, "duty")
    response = web.post("/forecast/dry-run", data={"csrf_token": csrf},
                        files={"file": ("plain.csv", "area,date,aqi\n大兴区,2030-05-01,120\n".encode(), "text/csv")})
    assert response.status_code == 200 and "<h1" in response.text and "各区域评估" in response.text
    assert "试导入通过（plain.csv）：1 行" in response.text and "请重新选择同一文件" in response.text


def test_a_forecast_of_a_few_megabytes_can_be_dry_run(console, web):
    csrf = sign_in_client(web, console, "duty")
    rows = "".join(f"大兴区,{date(2030, 1, 1) + timedelta(days=i)},120\n" for i in range(60_000))
    response = dry_run(web, csrf, "large.csv", f"area,date,aqi\n{rows}".encode())
    assert response.status_code == 200 and "试导入通过（large.csv）：60,000 行" in response.text
