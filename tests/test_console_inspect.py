"""The inspector's phone pages: today's visit list (the inspector's town only, unconfirmed and
low-grade enterprises first), the enterprise page (404 for another town's), and recording a visit
in headless Chromium at 375×812 — a measure not in place, a photo uploaded as chosen, a reload
mid-visit that loses nothing, then the violation recorded and its notice queued. A file that is
not a photo is refused with the server's words and a retry, and nothing is stored. Both databases."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from alerts.models import Delivery
from config import rulesets
from config.db import utcnow
from emergency import demo_data
from accounts.models import User
from emergency.inspections.models import Finding, Inspection, Photo
from emergency.inspections.service import assign
from emergency.warnings import service
from emergency.warnings.models import ActivatedEnterprise, Activation, Recipient
from lists.models import Area, Enterprise, ListVersion, Measure
from tests.console import cheap_passwords, chromium, console, layout  # noqa: F401
from tests.factories import browser_sign_in

NOTE = "2号生产线未停产，现场有工人作业"
LINK = re.compile(r'href="/inspect/(\d+)/([0-9A-Z]+)"')


@pytest.fixture
def media(console):
    return console.settings.media_dir


@pytest.fixture
def warning(console):
    """An orange warning for the demo district, approved; in the inspector's town one enterprise
    confirmed, another unconfirmed of grade D (`first`), and one of another town."""
    console.close_open_warnings()
    config, now = console.settings.app, utcnow()
    with Session(console.engine) as session, session.begin():
        drafted = service.draft(session=session, rules=rulesets.load(config.rules), config=config, area="大兴区",
                                level="orange", start=now + timedelta(hours=16), end=now + timedelta(hours=88),
                                reason="会商结论", actor=Actor("duty", "duty_officer"), now=now)
        service.approve(session=session, rules=rulesets.load(config.rules), config=config,
                        warning_id=drafted.warning_id, actor=Actor("commander", "commander"), now=now,
                        override_reason="情况紧急")
        warning_id = drafted.warning_id
        notice = session.scalar(select(Activation.id).where(Activation.warning_id == warning_id))
        rows = session.execute(select(ActivatedEnterprise, Enterprise.credit_code, Area.name)
                               .join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id)
                               .join(Area, Area.id == Enterprise.town_id)
                               .where(ActivatedEnterprise.activation_id == notice).order_by(Enterprise.id)).all()
        mine = [(state, code) for state, code, town in rows if town == demo_data.TOWNS[0]]
        other = next(code for _, code, town in rows if town != demo_data.TOWNS[0])
        assert len(mine) >= 3, "the demo's first town needs three enterprises in the notice"
        measured = set(session.scalars(select(Measure.list_version_id).where(Measure.level == "orange")))
        (confirmed, confirmed_code) = mine[0]
        first, first_code = next((s, c) for s, c in reversed(mine[1:]) if s.list_version_id in measured)
        confirmed.confirmed_at = now
        session.execute(update(ListVersion).where(ListVersion.id == first.list_version_id).values(grade="D"))
        town = {code for _, code in mine}
    yield {"id": warning_id, "confirmed": confirmed_code, "first": first_code, "other": other, "town": town}
    console.close_open_warnings()


@contextmanager
def client_for(console, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as client:
        response, _ = browser_sign_in(client, username, console.passwords[username])
        assert response.status_code == 303, response.text
        yield client


def jpeg(path, color=(90, 120, 160)):
    Image.new("RGB", (640, 480), color).save(path, "JPEG", quality=80)
    return path


def stored_photos(console) -> int:
    with Session(console.engine) as session:
        return session.scalar(select(func.count()).select_from(Photo))


# ---- over HTTP ---------------------------------------------------------------------------------

def test_the_visit_list_holds_the_inspectors_town_with_unconfirmed_low_grades_first(console, warning):
    with client_for(console, "inspector") as inspector:
        page = inspector.get("/inspect")
        assert page.status_code == 200
        listed = [code for w, code in LINK.findall(page.text) if int(w) == warning["id"]]
        assert set(listed) == warning["town"] and len(listed) == len(warning["town"])
        assert listed.index(warning["first"]) < listed.index(warning["confirmed"])
        assert "已确认" in page.text and "未确认" in page.text and "D 级" in page.text
        found = inspector.get("/inspect", params={"q": warning["first"]})
        assert [code for _, code in LINK.findall(found.text)] == [warning["first"]]
        near = inspector.get("/inspect", params={"lat": 39.7, "lon": 116.4})
        assert near.status_code == 200 and "公里" in near.text and "已按优先级和距离排序" in near.text
        assert set(code for _, code in LINK.findall(near.text)) == warning["town"]
        with Session(console.engine) as session, session.begin():
            office = session.scalar(select(User).where(User.username == "office"))
            assign(session, actor=Actor("office", "office", user_id=office.id), warning_id=warning["id"],
                   credit_codes=[warning["confirmed"]], inspector="inspector", now=utcnow())
        assigned = inspector.get("/inspect").text
        assert LINK.findall(assigned)[0][1] == warning["confirmed"] and "已分派给我" in assigned


def test_another_towns_enterprise_is_not_found_and_a_viewer_may_not_inspect(console, warning):
    with client_for(console, "inspector") as inspector:
        assert inspector.get(f"/inspect/{warning['id']}/{warning['other']}").status_code == 404
        mine = inspector.get(f"/inspect/{warning['id']}/{warning['first']}")
        assert mine.status_code == 200 and 'id="visit"' in mine.text
        assert inspector.get(f"/inspect/{warning['id'] + 1000}/{warning['first']}").status_code == 404
    with client_for(console, "viewer") as viewer:
        assert viewer.get("/inspect").status_code == 403
        assert viewer.get(f"/inspect/{warning['id']}/{warning['first']}").status_code == 403
    with client_for(console, "office") as office:
        everywhere = {code for _, code in LINK.findall(office.get("/inspect").text)}
        assert warning["other"] in everywhere and warning["town"] <= everywhere


def test_a_drill_beside_the_warning_is_offered_in_a_selector(console, warning):
    config, now = console.settings.app, utcnow()
    with Session(console.engine) as session, session.begin():
        drafted = service.draft(session=session, rules=rulesets.load(config.rules), config=config, area="大兴区",
                                level="red", start=now + timedelta(hours=2), end=now + timedelta(hours=26),
                                reason="演练", actor=Actor("duty", "duty_officer"), now=now, drill=True)
        service.approve(session=session, rules=rulesets.load(config.rules), config=config,
                        warning_id=drafted.warning_id, actor=Actor("commander", "commander"), now=now)
        drill = drafted.warning_id
    with client_for(console, "inspector") as inspector:
        page = inspector.get("/inspect").text
        assert 'name="warning"' in page and f'value="{drill}"' in page
        assert {int(w) for w, _ in LINK.findall(page)} == {warning["id"]}  # the real one first
        chosen = inspector.get("/inspect", params={"warning": drill}).text
        assert {int(w) for w, _ in LINK.findall(chosen)} == {drill} and "演练" in chosen


def test_without_a_warning_in_force_the_list_says_so(console):
    console.close_open_warnings()
    with client_for(console, "inspector") as inspector:
        page = inspector.get("/inspect")
    assert page.status_code == 200 and "当前没有可督查的预警" in page.text and not LINK.search(page.text)


def test_the_pages_speak_english_to_an_english_browser(console, warning):
    with client_for(console, "inspector") as inspector:
        english = {"Accept-Language": "en-US,en;q=0.9"}
        listed = html.unescape(inspector.get("/inspect", headers=english).text)
        visit = html.unescape(inspector.get(f"/inspect/{warning['id']}/{warning['first']}", headers=english).text)
    assert "Today's visits" in listed and "Not confirmed" in listed and "今日督查" not in listed
    assert "Send the visit" in visit and "Not in place" in visit and "提交检查记录" not in visit
    assert not re.search(r">\s*inspect\.[a-z_.]+\s*<", listed + visit)  # no key shown for a missing word


# ---- in the browser, on a phone ----------------------------------------------------------------

def test_an_inspector_records_a_violation_with_a_photo_and_a_reload_loses_nothing(console, chromium, warning,
                                                                                     tmp_path):
    page = console.sign_in(chromium, "inspector", phone=True)
    page.context.grant_permissions(["geolocation"], origin=console.url)
    page.context.set_geolocation({"latitude": 39.72, "longitude": 116.35, "accuracy": 12})
    page.goto(f"{console.url}/inspect")
    page.wait_for_url(re.compile(r"lat=39\.72"))  # the phone's location orders the list
    expect(page.locator("#order")).to_contain_text("距离")
    layout(page, "inspect-list", console.backend)
    with page.expect_navigation():
        page.locator(f"a.visit[data-credit-code='{warning['first']}']").click()

    measure = page.locator("fieldset.measure").first
    measure_id = measure.get_attribute("data-measure")
    measure.get_by_text("未落实", exact=True).click()
    measure.locator("textarea").fill(NOTE)
    expect(page.locator("#result-violation")).to_be_checked()  # a measure not in place: a violation
    page.set_input_files("#photo-input", str(jpeg(tmp_path / "site.jpg")))
    done = page.locator("#photo-list li.photo[data-state=done] img")
    expect(done).to_have_count(1)
    expect(done).to_have_attribute("src", re.compile(r"^/inspections/photos/\d+/thumb$"))
    expect(page.locator("#location")).to_contain_text("±12 米")

    page.reload()
    expect(page.locator("#restored")).to_be_visible()
    expect(page.locator(f"#m{measure_id}-bad")).to_be_checked()
    expect(page.locator(f"fieldset[data-measure='{measure_id}'] textarea")).to_have_value(NOTE)
    expect(page.locator("#result-violation")).to_be_checked()
    expect(page.locator("#photo-list li.photo[data-state=done] img")).to_have_count(1)
    layout(page, "inspect-visit", console.backend)

    def lost_answer(route):  # the server records the visit, the phone never hears back
        route.fetch()
        route.abort("internetdisconnected")

    page.route("**/api/v1/inspections", lost_answer)
    page.click("#send")
    expect(page.locator("#visit-error")).to_contain_text("网络未连接")
    page.unroute("**/api/v1/inspections")
    page.click("#send")  # the same client_key: recorded once
    expect(page.locator("#sent")).to_contain_text("检查记录已提交")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('inspect:')).length") == 0
    with Session(console.engine) as session:
        enterprise = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == warning["first"]))
        visit = session.scalars(select(Inspection).where(Inspection.enterprise_id == enterprise,
                                                         Inspection.warning_id == warning["id"])).one()
        findings = session.scalars(select(Finding).where(Finding.inspection_id == visit.id)).all()
        photos = session.scalar(select(func.count()).select_from(Photo).where(Photo.inspection_id == visit.id))
        queued = session.scalar(select(func.count()).select_from(Delivery)
                                .join(Recipient, Recipient.id == Delivery.recipient_id)
                                .join(Activation, Activation.id == Recipient.activation_id)
                                .where(Activation.warning_id == warning["id"], Delivery.purpose == "violation"))
    assert visit.result == "violation" and visit.lat == pytest.approx(39.72) and visit.accuracy_m == 12
    assert [(f.measure_id, f.ok, f.note) for f in findings] == [(int(measure_id), False, NOTE)]
    assert photos == 1 and queued >= 1

    with page.expect_navigation():
        page.locator("#sent a").click()
    row = page.locator(f"a.visit[data-credit-code='{warning['first']}']")
    expect(row).to_contain_text("已检查 1 次")
    expect(row).to_contain_text("曾违规")
    with page.expect_navigation():
        row.click()
    earlier = page.locator("#earlier article.inspection")
    expect(earlier).to_have_count(1)
    expect(earlier).to_contain_text("违规")
    expect(earlier).to_contain_text(NOTE)
    expect(earlier.locator("img")).to_have_count(1)
    assert page.locator("#restored").is_hidden() and not page.locator(f"#m{measure_id}-bad").is_checked()
    layout(page, "inspect-visit-earlier", console.backend)

    # The command center sees it: on the board, on the enterprise's timeline, in the assessment.
    office = console.sign_in(chromium, "office")
    office.goto(f"{console.url}/warnings/{warning['id']}/board")
    expect(office.locator("a.kpi-inspections")).to_contain_text("违规 1 家")
    office.goto(f"{console.url}/warnings/{warning['id']}/enterprises/{warning['first']}")
    entry = office.locator("#timeline [data-kind=inspection]")
    expect(entry).to_contain_text(NOTE)
    expect(entry.locator("img")).to_have_count(1)
    office.goto(f"{console.url}/warnings/{warning['id']}/reports")
    expect(office.locator("#assessment .violations")).to_contain_text("督查发现违规企业 1 家")


def test_a_file_that_is_not_a_photo_is_refused_with_a_retry_and_nothing_stored(console, chromium, warning, tmp_path,
                                                                               media):
    before, files = stored_photos(console), sorted(media.rglob("*"))
    fake = tmp_path / "现场.jpg"
    fake.write_text("这不是照片 " * 50, encoding="utf-8")
    page = console.sign_in(chromium, "inspector", phone=True)
    page.goto(f"{console.url}/inspect/{warning['id']}/{warning['first']}")
    page.set_input_files("#photo-input", str(fake))
    failed = page.locator("#photo-list li.photo[data-state=failed]")
    expect(failed).to_contain_text("不是 JPEG、PNG 或 HEIC 照片")
    expect(failed.get_by_role("button", name="重试")).to_be_visible()
    expect(page.locator("#send")).to_be_disabled()
    expect(page.locator("#send-hint")).to_contain_text("重试或移除")
    failed.get_by_role("button", name="重试").click()
    expect(page.locator("#photo-list li.photo[data-state=failed]")).to_contain_text("不是 JPEG")
    assert stored_photos(console) == before and sorted(media.rglob("*")) == files
    page.reload()  # the file waits in the browser and is tried again
    expect(page.locator("#photo-list li.photo[data-state=failed]")).to_contain_text("不是 JPEG")
    page.locator("#photo-list li.photo").get_by_role("button", name="移除").click()
    expect(page.locator("#photo-list li.photo")).to_have_count(0)
    expect(page.locator("#send")).to_be_enabled()
