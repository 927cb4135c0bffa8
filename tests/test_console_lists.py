"""The lists and enterprise pages: a workbook's dry run with located errors, its import, the
export and template, searching enterprises and one enterprise's versions, in headless Chromium
and over plain HTTP, on both databases."""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from areas.models import Area
from emergency.enterprises import staging
from lists.models import Enterprise, ListVersion
from tests.console import chromium, console, cheap_passwords, layout  # noqa: F401
from tests.factories import add_user, browser_sign_in, code, records_for_warnings, table_counts, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def broken_workbook(path: Path) -> Path:
    """records_for_warnings with a word in enterprise 3's SO2 baseline (企业 row 4) and a hidden sheet."""
    records = records_for_warnings()
    records["enterprises"][2]["so2_base"] = "很多"
    write_xlsx(path, records)
    book = load_workbook(path)
    book.create_sheet("备注").sheet_state = "hidden"
    book.save(path)
    return path


def changed_workbook(path: Path) -> Path:
    """records_for_warnings where enterprise 2 is graded C, cuts more at red and adds an orange measure."""
    records = records_for_warnings()
    records["enterprises"][1]["grade"] = "C"
    red = next(m for m in records["measures"] if m["credit_code"] == code(2) and m["level"] == "红色")
    red["so2_cut"] = 4.5
    records["measures"].append({**red, "level": "橙色", "target": "2号锅炉", "description": "橙色预警期间锅炉停运",
                                "action": "停产", "limit_pct": None, "so2_cut": 0.5, "nox_cut": 0.5, "pm_cut": 0.5,
                                "vocs_cut": 0.5})
    return write_xlsx(path, records)


def counts(console) -> dict[str, int]:
    with Session(console.engine) as session:
        return table_counts(session)


def dry_run(page, console, path: Path) -> None:
    page.goto(f"{console.url}/lists")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="试导入（不写入）").click()
    page.wait_for_selector("#result #rejected, #result #valid, #result #problem")


def import_checked(page) -> str:
    """Press 导入, accept the confirmation; returns what it asked."""
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    with page.expect_navigation():
        page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_selector("#imported")
    return asked[0]


def http_client(console, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=console.url, follow_redirects=False, timeout=30)
    response, csrf = browser_sign_in(client, username, console.passwords[username])
    assert response.status_code == 303, response.text
    return client, csrf


def post_workbook(client: httpx.Client, csrf: str, name: str, content: bytes, htmx: bool = False) -> httpx.Response:
    return client.post("/lists/dry-run", files={"file": (name, content, XLSX)}, data={"csrf_token": csrf},
                       headers={"HX-Request": "true"} if htmx else {})


@pytest.fixture(scope="module", autouse=True)
def _no_workbooks_left_behind(console):
    yield
    shutil.rmtree(staging.folder_for(console.settings.database_url), ignore_errors=True)

# ---- in the browser --------------------------------------------------------------------------------


def test_a_bad_workbook_shows_each_error_by_sheet_row_and_column_and_writes_nothing(console, chromium, tmp_path):
    page = console.sign_in(chromium, "duty")
    before = counts(console)
    dry_run(page, console, broken_workbook(tmp_path / "清单.xlsx"))
    assert "未写入任何数据" in page.locator("#rejected").inner_text()
    rows = [[cell.strip() for cell in row.split("\t")] for row in page.locator("#errors tbody tr").all_inner_texts()]
    assert ["企业", "4", "SO2基数"] in [row[:3] for row in rows], rows
    assert "隐藏" in page.locator("#warnings").inner_text() and "备注" in page.locator("#warnings").inner_text()
    assert page.locator("#import").count() == 0  # no import offered for a refused workbook
    page.locator("#errors th", has_text="行").click()
    assert page.locator("#errors th", has_text="行").get_attribute("aria-sort") == "ascending"
    assert counts(console) == before
    layout(page, "lists", console.backend)
    page.context.close()


def test_a_good_workbook_is_dry_run_with_its_counts_then_imported(console, chromium, tmp_path):
    page = console.sign_in(chromium, "duty")
    before = counts(console)
    dry_run(page, console, write_xlsx(tmp_path / "good.xlsx", records_for_warnings()))
    shown = {el.get_attribute("data-count"): el.locator(".value").inner_text()
             for el in page.locator("#counts .kpi").all()}
    assert shown["enterprises"] == "5" and shown["contacts"] == "6" and shown["measures"] == "15"
    assert shown["versions"] == "5" and shown["unchanged"] == "0" and shown["new_enterprises"] == "5"
    assert "尚未写入" in page.locator("#valid").inner_text()
    assert counts(console) == before
    asked = import_checked(page)
    assert "5 家企业" in asked
    after = counts(console)
    assert after["imports"] == before["imports"] + 1 and after["list_versions"] == before["list_versions"] + 5
    assert after["enterprises"] == before["enterprises"] + 5 and after["measures"] == before["measures"] + 15
    assert "新版本 5 个" in page.locator("#imported").inner_text()
    page.context.close()


def test_the_upload_shows_its_progress_and_then_gives_the_form_back(console, chromium, tmp_path):
    page = console.sign_in(chromium, "duty")
    dry_run(page, console, write_xlsx(tmp_path / "good.xlsx", records_for_warnings()))
    assert page.locator(".upload-progress").is_hidden() and page.get_by_role("button", name="试导入（不写入）").is_enabled()
    page.evaluate("""() => {
        const form = document.querySelector('form[data-upload]');
        form.dataset.stage = 'upload';
        form.querySelector('.upload-progress').hidden = false;
        form.dispatchEvent(new CustomEvent('htmx:xhr:progress', {bubbles: true,
            detail: {lengthComputable: true, loaded: 42, total: 100}}));
    }""")
    assert page.locator("form[data-upload] progress").evaluate("bar => bar.value") == 42
    assert page.locator("[data-progress-text]").inner_text() == "正在上传 42%"
    page.context.close()


def test_a_workbook_over_50_mb_is_refused_with_a_message(console, chromium, tmp_path):
    big = tmp_path / "big.xlsx"
    with big.open("wb") as f:
        f.truncate(51 * 1024 * 1024)
    page = console.sign_in(chromium, "duty")
    before = counts(console)
    page.goto(f"{console.url}/lists")
    page.set_input_files("input[name=file]", str(big))
    assert page.locator("[data-file-name]").inner_text() == "big.xlsx"
    page.get_by_role("button", name="试导入（不写入）").click()
    page.wait_for_selector("#request-failed", state="visible")
    assert "文件过大" in page.locator("#request-failed").inner_text()
    assert page.locator(".upload-progress").is_hidden() and page.locator("#result").inner_text() == ""
    assert counts(console) == before
    page.context.close()

def test_a_viewer_has_no_lists_page_and_cannot_post_a_workbook(console, chromium, tmp_path):
    page = console.sign_in(chromium, "viewer")
    assert page.locator("nav.sections a[href='/lists']").count() == 0
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    assert page.goto(f"{console.url}/lists").status == 403
    content = write_xlsx(tmp_path / "good.xlsx", records_for_warnings()).read_bytes()
    before = counts(console)
    refused = page.request.post(f"{console.url}/lists/dry-run", headers={"X-CSRF-Token": token},
                                multipart={"file": {"name": "good.xlsx", "mimeType": XLSX, "buffer": content}})
    assert refused.status == 403
    assert page.request.post(f"{console.url}/lists/import", headers={"X-CSRF-Token": token},
                             form={"token": "1-" + "a" * 22}).status == 403
    assert counts(console) == before
    page.context.close()


def test_enterprises_are_found_by_name_and_by_town(console, chromium):
    with Session(console.engine) as session:
        name = session.scalar(select(Enterprise.name).order_by(Enterprise.id).offset(7))
        town = "西红门镇"
        in_town = session.scalar(select(func.count()).select_from(Enterprise).join(Area, Area.id == Enterprise.town_id)
                                 .where(Area.name == town))
    page = console.sign_in(chromium, "viewer")
    page.goto(f"{console.url}/enterprises")
    page.fill("input[name=q]", name)
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    names = page.locator("#enterprises tbody tr td:first-child").all_inner_texts()
    assert names == [name]
    page.goto(f"{console.url}/enterprises")
    with page.expect_navigation():
        page.select_option("select[name=town]", town)
    towns = page.locator("#enterprises tbody tr td:nth-child(3)").all_inner_texts()
    assert in_town > 0 and len(towns) == min(in_town, 25) and set(towns) == {town}
    assert f"共 {in_town} 家企业" in page.locator("h2").first.inner_text()
    layout(page, "enterprises", console.backend)
    page.context.close()


def test_the_enterprise_page_shows_measures_per_level_and_what_a_reimport_changed(console, chromium, tmp_path):
    page = console.sign_in(chromium, "duty")
    dry_run(page, console, write_xlsx(tmp_path / "v1.xlsx", records_for_warnings()))
    if page.locator("#counts [data-count=versions] .value").inner_text() != "0":  # not imported by an earlier test
        import_checked(page)
    dry_run(page, console, changed_workbook(tmp_path / "v2.xlsx"))
    assert page.locator("#counts [data-count=versions] .value").inner_text() == "1"
    import_checked(page)

    page.goto(f"{console.url}/enterprises/{code(2)}")
    assert page.locator("h1").inner_text().startswith("测试企业2有限公司")
    for level, measures in (("yellow", 1), ("orange", 2), ("red", 1)):
        assert page.locator(f"#level-{level} table.measures tbody tr").count() == measures
    assert "2号锅炉" in page.locator("#level-orange").inner_text()
    fields = page.locator("#diff-fields tbody tr").all_inner_texts()
    assert any("绩效等级" in f and "B" in f and "C" in f for f in fields)
    assert page.locator("tr.diff-add", has_text="2号锅炉").count() == 1
    changed = page.locator("tr.diff-changed")
    assert changed.count() == 1 and changed.locator("del.diff-del").inner_text() == "3.00"
    assert changed.locator("ins.diff-add").inner_text() == "4.50"
    layout(page, "enterprise", console.backend)
    page.context.close()


def test_the_english_lists_page_speaks_english(console, chromium, tmp_path):
    page = console.sign_in(chromium, "admin", lang="en-US")
    dry_run_button = "Dry run (write nothing)"
    page.goto(f"{console.url}/lists")
    page.set_input_files("input[name=file]", str(broken_workbook(tmp_path / "bad.xlsx")))
    page.get_by_role("button", name=dry_run_button).click()
    page.wait_for_selector("#rejected")
    header = page.locator("#errors thead").inner_text()
    assert "Sheet" in header and "Row" in header and "Column" in header
    assert "企业 (enterprises)" in page.locator("#errors").inner_text()
    assert not re.search(r"\b(lists|enterprises|common)\.[a-z_]+", page.locator("main").inner_text())
    page.context.close()


# ---- over HTTP -------------------------------------------------------------------------------------


def test_files_that_are_no_workbook_get_a_clear_message_and_nothing_is_written(console):
    client, csrf = http_client(console, "duty")
    before = counts(console)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (12 * 1024 * 1024))
    renamed = post_workbook(client, csrf, "名单.xlsx", "统一社会信用代码,企业名称\n".encode())
    assert renamed.status_code == 422 and "不是 .xlsx 工作簿" in renamed.text
    assert "“名单.xlsx”是空文件" in post_workbook(client, csrf, "名单.xlsx", b"").text
    zipped = post_workbook(client, csrf, "bomb.xlsx", bomb.getvalue(), htmx=True)
    assert zipped.status_code == 200 and "压缩比异常" in zipped.text and 'name="token"' not in zipped.text
    nothing = client.post("/lists/dry-run", data={"csrf_token": csrf})
    assert "请先选择" in nothing.text
    assert counts(console) == before


def test_an_unknown_or_foreign_import_token_imports_nothing(console):
    client, csrf = http_client(console, "duty")
    before = counts(console)
    for token in ("", "../../etc/passwd", "1-" + "a" * 22, "999-" + "b" * 22):
        refused = client.post("/lists/import", data={"csrf_token": csrf, "token": token})
        assert refused.status_code == 410 and "已过期" in refused.text
    assert counts(console) == before


def test_a_checked_workbook_is_imported_once_however_often_import_is_pressed(console, tmp_path):
    client, csrf = http_client(console, "duty")
    records = records_for_warnings()
    records["enterprises"][0]["grade"] = "A+"
    checked = post_workbook(client, csrf, "regraded.xlsx", write_xlsx(tmp_path / "regraded.xlsx", records).read_bytes(),
                            htmx=True)
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)
    before = counts(console)
    first = client.post("/lists/import", data={"csrf_token": csrf, "token": token})
    again = client.post("/lists/import", data={"csrf_token": csrf, "token": token})
    assert first.status_code == 303 and again.status_code == 410
    assert counts(console)["imports"] == before["imports"] + 1

def test_the_template_is_for_everyone_and_the_export_imports_back_unchanged(console):
    viewer, _ = http_client(console, "viewer")
    template = viewer.get("/lists/template.xlsx")
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    assert load_workbook(io.BytesIO(template.content)).sheetnames[:3] == ["企业", "联系人", "措施"]
    assert viewer.get("/lists/export.xlsx").status_code == 403

    client, csrf = http_client(console, "duty")
    exported = client.get("/lists/export.xlsx")
    assert exported.status_code == 200 and "filename*=utf-8''" in exported.headers["content-disposition"]
    with Session(console.engine) as session:
        total = session.scalar(select(func.count()).select_from(Enterprise))
    back = post_workbook(client, csrf, "export.xlsx", exported.content, htmx=True)
    assert re.search(r'data-count="enterprises"><div class="value">([\d,]+)<', back.text).group(1) == f"{total:,}"
    assert re.search(r'data-count="unchanged"><div class="value">([\d,]+)<', back.text).group(1) == f"{total:,}"


def test_a_town_duty_officer_exports_and_sees_only_their_town(console):
    with Session(console.engine) as session, session.begin():
        town = session.scalars(select(Area).where(Area.name == "西红门镇")).one()
        _, password = add_user(session, "duty_xhm", "duty_officer", area=town)
        mine = session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.town_id == town.id))
        town_id = town.id
    console.passwords["duty_xhm"] = password
    client, _ = http_client(console, "duty_xhm")
    book = load_workbook(io.BytesIO(client.get("/lists/export.xlsx").content), read_only=True)
    towns = [row[3] for row in book["企业"].iter_rows(min_row=2, values_only=True)]
    assert len(towns) == mine and set(towns) == {"西红门镇"}
    assert len(list(book["单位"].iter_rows(min_row=2))) == 0  # a town may not import units either
    listed = client.get("/enterprises").text
    assert f"共 {mine} 家企业" in listed
    with Session(console.engine) as session:
        foreign = session.scalar(select(Enterprise.credit_code).where(Enterprise.town_id != town_id))
    assert client.get(f"/enterprises/{foreign}").status_code == 404


def test_unknown_enterprises_and_versions_answer_plainly(console):
    client, _ = http_client(console, "office")
    missing = client.get("/enterprises/91110115000000000X")
    assert missing.status_code == 404 and "没有统一社会信用代码为" in missing.text
    with Session(console.engine) as session:
        some = session.scalar(select(Enterprise.credit_code).order_by(Enterprise.id))
        versions = session.scalar(select(func.count()).select_from(ListVersion)
                                  .join(Enterprise, Enterprise.id == ListVersion.enterprise_id)
                                  .where(Enterprise.credit_code == some))
    page = client.get(f"/enterprises/{some}", params={"from": 1, "to": versions + 5})
    assert page.status_code == 200 and f"该企业没有第 {versions + 5} 版清单" in page.text
    assert client.get(f"/enterprises/{some}", params={"from": "x"}).status_code == 422
    assert client.get("/enterprises", params={"grade": "none", "industry": "包装印刷"}).status_code == 200


def test_pages_need_a_sign_in(console):
    client = httpx.Client(base_url=console.url, follow_redirects=False)
    for url in ("/lists", "/enterprises", f"/enterprises/{code(1)}", "/lists/export.xlsx", "/lists/template.xlsx"):
        assert client.get(url).headers["location"].startswith("/login"), url
    assert client.post("/lists/dry-run").headers["location"].startswith("/login")

