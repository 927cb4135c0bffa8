"""The command center's side of a warning's inspections: the review list (filters, photos served in
scope only), coverage by town against the database, assigning enterprises to an inspector (refused
outside its town, refused to a viewer, nothing written either way) and the violation register as
a workbook, per user's area. Both databases; the review and assign pages at both screen sizes."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.models import User
from accounts.permissions import Actor
from config import rulesets
from config.db import utcnow
from config.events import Event, EventKind
from emergency.inspections import service as inspections
from emergency.inspections.models import Assignment, Inspection
from emergency.warnings import service
from emergency.warnings.models import ActivatedEnterprise, Warning
from lists.models import Area, Enterprise, Measure
from tests.console import cheap_passwords, chromium, console, layout  # noqa: F401
from tests.factories import add_user, browser_sign_in

NOTE = "2号生产线仍在运行，现场未见停产公示牌"


@pytest.fixture(scope="module", autouse=True)
def media(tmp_path_factory):
    """Photos of this module go to a folder of the test (the console's settings read the variable)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMERGENCY_MEDIA_DIR", str(tmp_path_factory.mktemp("media")))
        yield


def jpeg(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (480, 360), color).save(out, "JPEG", quality=85)
    return out.getvalue()


def notice_enterprises(session: Session, warning: Warning) -> list[tuple[str, str, int]]:
    """(town, credit code, enterprise id) of the notice in force, in id order."""
    notice = inspections.latest_notice(session, warning)
    return session.execute(select(Area.name, Enterprise.credit_code, Enterprise.id)
                           .join(Enterprise, Enterprise.town_id == Area.id)
                           .join(ActivatedEnterprise, ActivatedEnterprise.enterprise_id == Enterprise.id)
                           .where(ActivatedEnterprise.activation_id == notice.id).order_by(Enterprise.id)).all()


def measures(session: Session, warning: Warning, enterprise_id: int) -> list[Measure]:
    notice = inspections.latest_notice(session, warning)
    return list(session.scalars(select(Measure).join(ActivatedEnterprise, and_(
        ActivatedEnterprise.list_version_id == Measure.list_version_id, ActivatedEnterprise.activation_id == notice.id,
        ActivatedEnterprise.enterprise_id == enterprise_id)).where(Measure.level == notice.level).order_by(Measure.position)))


def visit(session: Session, console, actor: Actor, warning: Warning, enterprise: tuple, *, failed: int = 0,
          note: str | None = None, photos: int = 0, minutes_ago: int = 1) -> int:
    """Record a visit as `actor`: the first `failed` measures not in place, the others in place."""
    now = utcnow()
    ids = [inspections.upload(session, actor=actor, data=jpeg((40 * i, 120, 200)), name=f"p{i}.jpg",
                              media_dir=console.settings.media_dir, now=now).id for i in range(photos)]
    found = measures(session, warning, enterprise[2])
    findings = [inspections.FindingIn(m.id, i >= failed, "未落实" if i < failed else None) for i, m in enumerate(found)]
    inspection, _ = inspections.record(
        session, actor=actor, warning_id=warning.id, credit_code=enterprise[1], at=now - timedelta(minutes=minutes_ago),
        result="violation" if failed or note else "compliant", findings=findings, note=note,
        location=inspections.Location(39.72681, 116.33412, 15) if photos else None, photos=ids, client_key=None,
        config=console.settings.app, zone=console.settings.tz, now=now)
    return inspection.id


@pytest.fixture(scope="module")
def world(console):
    """An orange warning for the demo district with three visits: an inspector of the town with the
    most enterprises in the notice found a violation (two photos) and a compliant enterprise (one
    photo); the office a violation in another town (a note, no measure). A viewer of that other
    town can sign in. (The demo inspector's town may hold no enterprise of a 40-enterprise demo.)"""
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
    with Session(console.engine) as session, session.begin():
        warning = session.get(Warning, warning_id)
        rows = notice_enterprises(session, warning)
        towns = [town for town, _, _ in rows]
        home = max(sorted(set(towns)), key=towns.count)
        areas = {a.name: a for a in session.scalars(select(Area).where(Area.name.in_(towns)))}
        inspector, console.passwords["town_inspector"] = add_user(session, "town_inspector", "inspector", areas[home])
        office = accounts.actor_of(session, session.scalars(select(User).where(User.username == "office")).one())
        mine = [r for r in rows if r[0] == home]
        measured = [r for r in mine if measures(session, warning, r[2])]
        other = next(r for r in rows if r[0] != home)
        violation = visit(session, console, inspector, warning, measured[0], failed=1, note=NOTE, photos=2, minutes_ago=3)
        visit(session, console, inspector, warning, next(r for r in mine if r != measured[0]), photos=1, minutes_ago=2)
        visit(session, console, office, warning, other, note="企业拒绝督查人员进入厂区", minutes_ago=1)
        first = measures(session, warning, measured[0][2])[0]
        failed = f"{first.target}：{first.description}"
        console.passwords["town_viewer"] = add_user(session, "town_viewer", "viewer", areas[other[0]])[1]
    assert len(mine) >= 4, "the test needs four enterprises of one town in the notice"
    yield {"id": warning_id, "home": home, "other_town": other[0], "mine": mine, "other": other,
           "violated": measured[0][1], "violation": violation, "failed": failed,
           "inspector": "town_inspector", "viewer2": "town_viewer"}
    console.close_open_warnings()


def signed_in(console, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=console.url, timeout=30)
    _, csrf = browser_sign_in(client, username, console.passwords[username])
    assert csrf, f"{username} could not sign in"
    return client, csrf


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr data-id="\d+" data-result="(\w+)"', html)


def test_the_review_list_filters_by_result_and_town_and_shows_photos_in_scope(console, world):
    office, _ = signed_in(console, "office")
    url = f"/warnings/{world['id']}/inspections"
    everything = office.get(url)
    assert everything.status_code == 200 and sorted(rows_of(everything.text)) == ["compliant", "violation", "violation"]
    target, description = world["failed"].split("：", 1)
    assert NOTE in everything.text and f"<b>{target}</b>：{description}" in everything.text
    assert rows_of(office.get(url, params={"result": "violation"}).text) == ["violation", "violation"]
    assert rows_of(office.get(url, params={"result": "compliant"}).text) == ["compliant"]
    other = office.get(url, params={"town": world["other_town"]}).text
    assert rows_of(other) == ["violation"] and world["other"][1] in other and world["violated"] not in other
    thumbs = re.findall(r'<img src="(/inspections/photos/\d+/thumb)"', everything.text)
    assert len(thumbs) == 3
    answer = office.get(thumbs[0])
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(answer.content)).format == "JPEG"
    stranger, _ = signed_in(console, world["viewer2"])  # a viewer of the other town
    assert stranger.get(thumbs[0]).status_code == 404
    assert stranger.get(thumbs[0].replace("thumb", "original")).status_code == 404
    assert rows_of(stranger.get(url).text) == ["violation"]  # only their town's visit


def test_the_register_holds_exactly_the_violations_of_the_users_area(console, world):
    viewer, _ = signed_in(console, "viewer")
    answer = viewer.get(f"/warnings/{world['id']}/inspections/register.xlsx")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet.freeze_panes == "A3" and f"第 {world['id']} 号预警" in sheet["A1"].value
    header = [c.value for c in sheet[2]]
    assert header == ["检查时间", "企业名称", "统一社会信用代码", "所属街镇", "行业", "督查员", "未落实措施", "现场情况",
                      "照片数", "位置"]
    body = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=3)]
    assert [r["统一社会信用代码"] for r in body] == [world["violated"], world["other"][1]]  # oldest first
    ours, theirs = body
    assert ours["未落实措施"] == world["failed"] and ours["现场情况"] == NOTE and ours["照片数"] == 2
    assert ours["所属街镇"] == world["home"] and "39.72681" in ours["位置"] and ours["督查员"] == world["inspector"]
    assert theirs["未落实措施"] == "" or theirs["未落实措施"] is None
    assert theirs["现场情况"] == "企业拒绝督查人员进入厂区" and theirs["照片数"] == 0
    stranger, _ = signed_in(console, world["viewer2"])
    sheet = load_workbook(io.BytesIO(stranger.get(f"/warnings/{world['id']}/inspections/register.xlsx").content)).active
    assert [row[2].value for row in sheet.iter_rows(min_row=3)] == [world["other"][1]]


def test_coverage_by_town_matches_the_database(console, world):
    office, _ = signed_in(console, "office")
    html = office.get(f"/warnings/{world['id']}/inspections/coverage").text
    shown = {town: dict(re.findall(r'data-key="(\w+)">(?:<a [^>]*>)?(\d+)', block))
             for town, block in re.findall(r'<tr data-town="([^"]+)">(.*?)</tr>', html, re.S)}
    with Session(console.engine) as session:
        warning = session.get(Warning, world["id"])
        expected: dict[str, dict] = {}
        visited = set(session.scalars(select(Inspection.enterprise_id).where(Inspection.warning_id == warning.id)))
        assigned = set(session.scalars(select(Assignment.enterprise_id).where(Assignment.warning_id == warning.id)))
        for town, _, enterprise_id in notice_enterprises(session, warning):
            row = expected.setdefault(town, {"enterprises": 0, "visited": 0, "assigned": 0})
            row["enterprises"] += 1
            row["visited"] += enterprise_id in visited
            row["assigned"] += enterprise_id in assigned
    assert set(shown) == set(expected)
    for town, row in expected.items():
        assert int(shown[town]["enterprises"]) == row["enterprises"], town
        assert int(shown[town]["visited"]) == row["visited"], town
        assert int(shown[town]["assigned"]) == row["assigned"], town
        assert int(shown[town]["to_visit"]) == row["enterprises"] - row["visited"], town
    assert shown[world["home"]]["visited"] == "2" and shown[world["other_town"]]["violations"] == "1"


def assignments(console, warning_id: int) -> dict[str, str]:
    with Session(console.engine) as session:
        return dict(session.execute(select(Enterprise.credit_code, User.username)
                                    .join(Assignment, Assignment.enterprise_id == Enterprise.id)
                                    .join(User, User.id == Assignment.inspector_id)
                                    .where(Assignment.warning_id == warning_id)).all())


def assigned_events(console, warning_id: int) -> list[dict]:
    with Session(console.engine) as session:
        return [e.detail for e in session.scalars(select(Event).where(
            Event.kind == EventKind.INSPECTION_ASSIGNED, Event.subject_id == warning_id).order_by(Event.id))]


def test_the_office_assigns_three_enterprises_of_the_inspectors_town(console, chromium, world):
    page = console.sign_in(chromium, "office")
    page.goto(f"{console.url}/warnings/{world['id']}/inspections")
    layout(page, "inspections-review", console.backend)
    with page.expect_navigation():
        page.select_option("select[name=result]", "violation")
    assert set(page.locator("#inspection-list tbody tr").evaluate_all("rs => rs.map(r => r.dataset.result)")) == {"violation"}
    with page.expect_navigation():
        page.get_by_role("link", name="分派督查").click()
    with page.expect_navigation():
        page.select_option("select[name=town]", world["home"])
    codes = [c for _, c, _ in world["mine"]][:3]
    for code in codes:
        page.check(f"input[name=credit_code][value='{code}']")
    expect(page.locator("#chosen-count")).to_have_text("已选 3 家")
    page.select_option("#inspector", world["inspector"])
    before = len(assigned_events(console, world["id"]))
    with page.expect_navigation():
        page.click("#assign-selected")
    expect(page.locator("#assigned")).to_contain_text(f"已将 3 家企业分派给督查员 {world['inspector']}")
    assert page.locator("select[name=town]").input_value() == world["home"]  # the filter is kept
    mine = assignments(console, world["id"])
    assert {c: mine[c] for c in codes} == dict.fromkeys(codes, world["inspector"])
    events = assigned_events(console, world["id"])
    assert len(events) == before + 1 and events[-1]["inspector"] == world["inspector"]
    assert set(events[-1]["credit_codes"]) == set(codes)
    shown = page.locator(f"#inspectors tr[data-inspector={world['inspector']}] [data-key=assigned]").inner_text()
    assert shown == str(len([c for c, who in mine.items() if who == world["inspector"]]))
    layout(page, "inspections-assign", console.backend)


def test_an_enterprise_outside_the_inspectors_town_is_refused_and_kept_ticked(console, chromium, world):
    page = console.sign_in(chromium, "office")
    page.goto(f"{console.url}/warnings/{world['id']}/inspections/assign?town={world['other_town']}")
    code = world["other"][1]
    page.check(f"input[name=credit_code][value='{code}']")
    page.select_option("#inspector", world["inspector"])
    before, events = assignments(console, world["id"]), len(assigned_events(console, world["id"]))
    with page.expect_navigation():
        page.click("#assign-selected")
    expect(page.locator("#assign-error")).to_contain_text(f"企业 {code} 不在督查员 {world['inspector']} 的辖区内")
    assert page.locator(f"input[name=credit_code][value='{code}']").is_checked()
    assert page.locator("#inspector").input_value() == world["inspector"]
    assert assignments(console, world["id"]) == before and len(assigned_events(console, world["id"])) == events


def test_reassigning_asks_first_and_taking_back_removes_the_rows(console, chromium, world):
    code = world["mine"][3][1]
    office, csrf = signed_in(console, "office")
    assert office.post(f"/warnings/{world['id']}/inspections/assign", data={
        "csrf_token": csrf, "action": "assign", "inspector": world["inspector"], "credit_code": code}).status_code == 303
    with Session(console.engine) as session, session.begin():
        add_user(session, "town_inspector2", "inspector", session.scalars(select(Area).where(Area.name == world["home"])).one())
    page = console.sign_in(chromium, "office")
    page.goto(f"{console.url}/warnings/{world['id']}/inspections/assign?town={world['home']}")
    page.check(f"input[name=credit_code][value='{code}']")
    page.select_option("#inspector", "town_inspector2")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("#assign-selected")
    expect(page.locator(f"input[name=credit_code][value='{code}']")).to_be_checked()
    assert asked and "1 家已分派给其他督查员" in asked[0] and assignments(console, world["id"])[code] == world["inspector"]
    with page.expect_navigation():
        page.click("#unassign-selected")
    expect(page.locator("#assigned")).to_contain_text("已取消 1 家企业的分派")
    assert code not in assignments(console, world["id"])


def test_a_viewers_forged_assignment_is_refused_and_nothing_is_written(console, world):
    viewer, csrf = signed_in(console, "viewer")
    page = viewer.get(f"/warnings/{world['id']}/inspections/assign")
    assert page.status_code == 200 and 'name="credit_code"' not in page.text and "assign-selected" not in page.text
    before, events = assignments(console, world["id"]), len(assigned_events(console, world["id"]))
    answer = viewer.post(f"/warnings/{world['id']}/inspections/assign", data={
        "csrf_token": csrf, "action": "assign", "inspector": world["inspector"], "credit_code": world["mine"][0][1]})
    assert answer.status_code == 403 and 'id="assign-error"' in answer.text
    without_token = viewer.post(f"/warnings/{world['id']}/inspections/assign", data={
        "action": "unassign", "credit_code": world["mine"][0][1]})
    assert without_token.status_code == 403
    assert assignments(console, world["id"]) == before and len(assigned_events(console, world["id"])) == events


def test_the_office_is_told_to_choose_an_inspector_and_an_unknown_warning_is_404(console, world):
    office, csrf = signed_in(console, "office")
    answer = office.post(f"/warnings/{world['id']}/inspections/assign", data={
        "csrf_token": csrf, "action": "assign", "inspector": "", "credit_code": world["mine"][0][1], "town": world["home"]})
    assert answer.status_code == 422 and "请选择督查员" in answer.text
    assert f'value="{world["mine"][0][1]}"' in answer.text and "checked" in answer.text
    nobody = office.post(f"/warnings/{world['id']}/inspections/assign", data={
        "csrf_token": csrf, "action": "assign", "inspector": "viewer", "credit_code": world["mine"][0][1]})
    assert nobody.status_code == 422 and "不是可用的督查员账号" in nobody.text
    nothing = office.post(f"/warnings/{world['id']}/inspections/assign", data={
        "csrf_token": csrf, "action": "unassign"})
    assert nothing.status_code == 422 and "请先选择企业" in nothing.text
    for path in ("inspections", "inspections/coverage", "inspections/assign", "inspections/register.xlsx"):
        assert office.get(f"/warnings/999999/{path}").status_code == 404, path


def test_the_english_pages_are_in_english(console, chromium, world):
    page = console.sign_in(chromium, "office", lang="en-US")
    page.goto(f"{console.url}/warnings/{world['id']}/inspections")
    assert "Measures not in place" in page.inner_text("#inspections")
    assert re.search(r"[\u4e00-\u9fff]", page.inner_text(".insp-tabs")) is None
    layout(page, "inspections-review-en", console.backend)
    page.goto(f"{console.url}/warnings/{world['id']}/inspections/coverage")
    assert "To visit" in page.inner_text("#coverage")
    layout(page, "inspections-coverage-en", console.backend)
    phone = console.sign_in(chromium, "office", phone=True)
    phone.goto(f"{console.url}/warnings/{world['id']}/inspections/coverage")
    layout(phone, "inspections-coverage", console.backend)
