"""Inspections where they count, on both databases: the summary, the laggards list (JSON, page,
workbook), the enterprise's timeline, the daily report of the visit's day (not the day before), the
notice a violation queues to the town office and the command center, and the reduction, which loses
exactly the cut of the measures found violated at enterprises that confirmed them (once however many
inspections found them).

The scenario: an orange warning over the five enterprises of `records_for_warnings` (each has one
measure at orange: 1–4 limit by 20 %, 5 stops, 30 %), approved 2026-12-01 08:00 (+08:00), in force
from 12-02 00:00. Enterprises 1 and 5 confirm at 08:20; an inspector of 黄村镇 (enterprises 1, 2, 3,
5) visits on 12-02 at 09:00 and after: 5 twice, its measure found not in place both times (the
first visit with a photo); 2, which never confirmed, found violating too; 1 compliant."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.db import utcnow
from config.settings import POLLUTANTS
from emergency.dashboard.service import summary
from emergency.inspections import service as inspecting
from emergency.inspections.service import FindingIn
from emergency.notices import acknowledge
from emergency.reports import formats, service as reports
from emergency.warnings import queries
from emergency.warnings.models import ActivatedEnterprise, Activation, Recipient, Warning
from emergency.web.app import create_app
from lists.models import Area, Enterprise, Measure, Unit
from tests.console import cheap_passwords  # noqa: F401
from tests.factories import add_user, browser_sign_in, code, who
from tests.notifying import NOW, make_world
from tests.test_cli import run

SEEN = "2号线未停产，烟囱冒烟"
DAY = date(2026, 12, 2)  # the visits' local day


def at(world, **delta) -> datetime:
    world.clock.now = NOW + timedelta(**delta)
    return world.clock.now


def confirms(world, n: int) -> None:
    with world.sessions() as session, session.begin():
        enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code(n)))
        recipient = session.scalars(select(Recipient).where(Recipient.enterprise_id == enterprise_id)
                                    .order_by(Recipient.id.desc(), Recipient.position)).first()
        notice = acknowledge.notice(session, recipient.id, world.clock.now)
        for measure in acknowledge.measures(session, notice) or [None]:
            acknowledge.confirm(session, notice, measure_id=measure and measure.id, note=None, channel="web",
                                now=world.clock.now)


def measure_of(session, warning_id: int, n: int) -> Measure:
    """Enterprise n's one measure at the level of the warning's notice (of the version it pinned)."""
    activation = session.scalars(select(Activation).where(Activation.warning_id == warning_id)
                                 .order_by(Activation.id.desc())).first()
    return session.scalars(
        select(Measure).join(ActivatedEnterprise, (ActivatedEnterprise.list_version_id == Measure.list_version_id)
                             & (ActivatedEnterprise.activation_id == activation.id))
        .join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id)
        .where(Enterprise.credit_code == code(n), Measure.level == activation.level)).one()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 200)).save(out, "JPEG")
    return out.getvalue()


def inspect(world, n: int, *, violated: bool, photo: bool = False) -> int:
    """The inspector visits enterprise n now: its measure found in place or not (with what was seen)."""
    with world.sessions() as session, session.begin():
        measure = measure_of(session, world.warning_id, n)
        photos = [inspecting.upload(session, actor=world.inspector, data=jpeg(), name="p.jpg",
                                    media_dir=world.settings.media_dir, now=world.clock.now).id] if photo else []
        inspection, _ = inspecting.record(
            session, actor=world.inspector, warning_id=world.warning_id, credit_code=code(n), at=world.clock.now,
            result="violation" if violated else "compliant",
            findings=[FindingIn(measure.id, not violated, SEEN if violated else None)],
            note="夜查" if violated else None, location=None, photos=photos, client_key=None,
            config=world.settings.app, zone=world.settings.tz, now=world.clock.now)
        return inspection.id


def violation(engine, settings, warning_id: int, credit_code: str | None = None) -> str:
    """The office records a violation now at an enterprise of the warning's notice (the first, unless
    given): its first measure, if it has one, not in place. For the browser tests; returns the code."""
    now = utcnow()
    with Session(engine) as session, session.begin():
        notice = inspecting.latest_notice(session, session.get(Warning, warning_id))
        query = (select(Enterprise.credit_code, Measure.id).select_from(ActivatedEnterprise)
                 .join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id)
                 .outerjoin(Measure, (Measure.list_version_id == ActivatedEnterprise.list_version_id)
                            & (Measure.level == notice.level))
                 .where(ActivatedEnterprise.activation_id == notice.id).order_by(Enterprise.id, Measure.position))
        if credit_code is not None:
            query = query.where(Enterprise.credit_code == credit_code)
        found, measure_id = session.execute(query).first()
        inspecting.record(session, actor=Actor("office", "office"), warning_id=warning_id, credit_code=found, at=now,
                          result="violation", findings=[FindingIn(measure_id, False, SEEN)] if measure_id else [],
                          note="夜查", location=None, photos=[], client_key=None, config=settings.app,
                          zone=settings.tz, now=now)
    return found


@pytest.fixture
def world(db_url, tmp_path, cheap_passwords):  # noqa: F811
    world = make_world(db_url, tmp_path, media_dir=tmp_path / "media")
    world.passwords = {}
    with world.sessions() as session, session.begin():
        huangcun = session.scalar(select(Area).where(Area.name == "黄村镇"))
        world.inspector, world.passwords["insp"] = add_user(session, "insp", "inspector", huangcun)
        world.passwords["office"] = add_user(session, "office", "office")[1]
        world.xhm_path = session.scalar(select(Area.path).where(Area.name == "西红门镇"))
    world.warning_id = world.issue("orange")
    world.dispatcher().run(once=True)
    at(world, minutes=20), confirms(world, 1), confirms(world, 5)
    return world


@pytest.fixture
def visited(world):
    """Four visits on 12-02 from 09:00 (local), the notices they queued handed to the fake transports."""
    at(world, hours=25)
    world.first = inspect(world, 5, violated=True, photo=True)
    at(world, hours=26), inspect(world, 5, violated=True)
    at(world, hours=27), inspect(world, 2, violated=True)
    at(world, hours=28), inspect(world, 1, violated=False)
    return world


def report(world, kind: str, day: date | None = None, actor=None) -> dict:
    with world.sessions() as session:
        return reports.report(session=session, warning=session.get(Warning, world.warning_id),
                              actor=actor or who("viewer"), config=world.settings.app, zone=world.settings.tz,
                              now=world.clock.now, kind=kind, day=day)


def cuts(world, n: int) -> dict[str, float]:
    with world.sessions() as session:
        m = measure_of(session, world.warning_id, n)
        return {p: getattr(m, f"{p}_cut") for p in POLLUTANTS}


# -- the reduction -----------------------------------------------------------------------------------

def test_a_violation_reduces_the_achieved_reduction_by_exactly_the_violated_measures_cut(world):
    before = report(world, "assessment")["reduction"][0]["pollutants"]
    at(world, hours=25), inspect(world, 5, violated=True)
    once = report(world, "assessment")["reduction"][0]["pollutants"]
    at(world, hours=26), inspect(world, 5, violated=True)  # the same measure found again: subtracted once
    at(world, hours=27), inspect(world, 2, violated=True)  # 2 never confirmed: its cut was never counted
    at(world, hours=28), inspect(world, 1, violated=False)
    whole = report(world, "assessment")["reduction"][0]
    after = whole["pollutants"]
    assert (whole["violating_enterprises"], whole["deducted_enterprises"]) == (2, 1)  # 5 and 2; only 5 confirmed
    five, one = cuts(world, 5), cuts(world, 1)
    for p in POLLUTANTS:
        assert five[p] > 0
        assert before[p]["violated"]["cut"] == 0 and before[p]["achieved"] == before[p]["confirmed"]
        assert before[p]["confirmed"]["cut"] == pytest.approx(one[p] + five[p])
        for x in (once[p], after[p]):
            assert x["confirmed"] == before[p]["confirmed"]
            assert x["violated"]["cut"] == pytest.approx(five[p])
            assert x["violated"]["ratio"] == pytest.approx(five[p] / x["baseline"])
            assert x["achieved"]["cut"] == pytest.approx(before[p]["achieved"]["cut"] - five[p])
            assert x["achieved"]["cut"] == pytest.approx(one[p])


def test_the_reduction_of_a_town_keeps_to_its_own_violations(visited):
    whole = report(visited, "assessment")["reduction"][0]["pollutants"]
    town = report(visited, "assessment", actor=who("viewer", area_path=visited.xhm_path))["reduction"][0]["pollutants"]
    for p in POLLUTANTS:
        assert whole[p]["violated"]["cut"] > 0
        assert town[p]["violated"]["cut"] == 0 and town[p]["confirmed"]["cut"] == 0  # 西红门镇: enterprise 4 only


def test_a_violation_queues_the_notice_to_the_town_office_and_the_command_center(world):
    at(world, hours=25), inspect(world, 5, violated=True)
    inspect(world, 1, violated=False)  # compliant: nobody is told
    queued = world.deliveries(purpose="violation")
    with world.sessions() as session:
        units = {session.get(Unit, session.get(Recipient, d.recipient_id).unit_id).name for d in queued}
    assert units == {"黄村镇人民政府", "大兴区空气重污染应急指挥部办公室"}  # not 西红门镇's office
    assert {d.channel for d in queued} == {"sms", "email"} and len(queued) == 3  # 黄村镇's office has no mobile
    world.dispatcher().run(once=True)
    texts = {(m.channel, m.address): m.text for fake in world.fakes.values() for m in fake.sent}
    for address in (("sms", "+8613900000009"), ("email", "zhb@example.com"), ("email", "hc@example.com")):
        assert "测试企业5有限公司" in texts[address], address
    assert "测试企业1有限公司" not in " ".join(t for (c, a), t in texts.items() if a in ("+8613900000009", "zhb@example.com"))
    assert {d.status for d in world.deliveries(purpose="violation")} == {"sent"}


# -- the counts --------------------------------------------------------------------------------------

def test_the_summary_counts_visits_and_violations_in_the_readers_area(visited):
    with visited.sessions() as session:
        warning = session.get(Warning, visited.warning_id)
        whole = summary(session, warning, who("viewer"), visited.settings.tz, visited.clock.now)
        town = summary(session, warning, who("viewer", area_path=visited.xhm_path), visited.settings.tz,
                       visited.clock.now)
    assert whole["inspections"] == {"visits": 4, "violations": 3, "enterprises_visited": 3, "enterprises_violating": 2}
    assert town["inspections"] == {"visits": 0, "violations": 0, "enterprises_visited": 0, "enterprises_violating": 0}


def test_the_laggards_json_page_and_workbook_count_per_enterprise(visited):
    with visited.sessions() as session:
        found = queries.enterprises(session, session.get(Warning, visited.warning_id), who("viewer"),
                                    visited.settings.tz, per_page=10)
    counts = {e["credit_code"]: (e["inspections"], e["violations"]) for e in found["items"]}
    assert counts == {code(1): (1, 0), code(2): (1, 1), code(3): (0, 0), code(4): (0, 0), code(5): (2, 2)}
    with TestClient(create_app(visited.settings)) as client:
        browser_sign_in(client, "office", visited.passwords["office"])
        assert client.get(f"/api/v1/warnings/{visited.warning_id}/enterprises?q={code(5)}").json()["items"][0][
            "violations"] == 2
        html = client.get(f"/warnings/{visited.warning_id}/enterprises").text
        row = re.search(r'<tr data-code="%s".*?</tr>' % code(5), html, re.S).group(0)
        assert 'data-inspections="2"' in row and re.search(r'data-violations="2"><span class="badge bad">2<', row)
        assert 'data-violations="0"' in re.search(r'<tr data-code="%s".*?</tr>' % code(1), html, re.S).group(0)
        book = load_workbook(io.BytesIO(client.get(f"/warnings/{visited.warning_id}/enterprises.xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][-2:] == ("督查次数", "违规次数")
    assert {r[0]: r[-2:] for r in rows[1:]}[code(5)] == (2, 2)


def test_the_board_shows_the_visits_and_the_violating_enterprises(visited):
    with TestClient(create_app(visited.settings)) as client:
        browser_sign_in(client, "office", visited.passwords["office"])
        page = client.get(f"/warnings/{visited.warning_id}/board").text
        live = client.get(f"/warnings/{visited.warning_id}/board/live").json()
    tile = re.search(r'<a class="kpi kpi-inspections" href="([^"]+)">.*?</a>', page, re.S)
    assert tile.group(1) == f"/warnings/{visited.warning_id}/inspections"
    assert 'data-live="inspections">4<' in tile.group(0) and "违规 2 家" in tile.group(0)
    assert live["text"]["inspections"] == "4" and live["text"]["violating"] == "违规 2 家"
    assert live["flags"]["violating"] is True


def test_the_enterprise_timeline_shows_each_inspection(visited):
    with TestClient(create_app(visited.settings)) as client:
        browser_sign_in(client, "office", visited.passwords["office"])
        html = client.get(f"/warnings/{visited.warning_id}/enterprises/{code(5)}").text
        assert "暂无督查记录" in client.get(f"/warnings/{visited.warning_id}/enterprises/{code(3)}").text
    timeline = html.split('id="timeline"')[1]
    assert timeline.count('data-kind="inspection"') == 2 and "督查检查：发现违规" in timeline
    assert "督查员 insp" in timeline and SEEN in timeline and "夜查" in timeline
    with visited.sessions() as session:
        measure = measure_of(session, visited.warning_id, 5)
    assert measure.target in timeline and measure.description in timeline
    assert re.search(r'<a href="/inspections/photos/(\d+)/view"[^>]*><img src="/inspections/photos/\1/thumb"', timeline)
    assert timeline.index("措施已落实") < timeline.index("督查检查")  # confirmed on 12-01, visited on 12-02
    assert "本次预警督查 2 次，其中发现违规 2 次" in html.split('id="inspections"')[1]


# -- the reports -------------------------------------------------------------------------------------

def test_the_daily_report_of_the_visits_day_names_them_and_the_day_before_does_not(visited):
    day = report(visited, "daily", DAY)["inspections"]
    assert (day["visits"], day["violations"], day["enterprises_visited"], day["enterprises_violating"]) == (4, 3, 3, 2)
    five = next(e for e in day["enterprises"] if e["credit_code"] == code(5))
    with visited.sessions() as session:
        measure = measure_of(session, visited.warning_id, 5)
    assert (five["visits"], five["violations"], five["town"]) == (2, 2, "黄村镇")
    assert [m["measure_id"] for m in five["violated"]] == [measure.id]  # found twice, named once
    assert [e["credit_code"] for e in day["enterprises"]][:2] == [code(5), code(2)]  # the violations first
    before = report(visited, "daily", DAY - timedelta(days=1))["inspections"]
    assert before["visits"] == 0 and before["enterprises"] == []
    assert report(visited, "assessment")["inspections"]["visits"] == 4


def test_the_report_page_shows_the_visits_and_the_cut_deducted(visited):
    with TestClient(create_app(visited.settings)) as client:
        browser_sign_in(client, "office", visited.passwords["office"])
        html = client.get(f"/warnings/{visited.warning_id}/reports").text
    assessment = html.split('id="assessment"')[1].split("</section>")[0]
    assert "督查次数（违规 2 家）" in assessment and "督查扣减" in assessment
    assert re.search(r'data-label="督查扣减">−\d', assessment)  # some pollutant's cut is deducted


def test_the_workbook_document_and_command_line_carry_the_inspections(visited):
    doc = report(visited, "assessment")
    book = load_workbook(io.BytesIO(formats.render(doc, "xlsx")))
    sheet = list(book["督查检查"].iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in sheet if r[1]] == [e["credit_code"] for e in doc["inspections"]["enterprises"]]
    with visited.sessions() as session:
        measure = measure_of(session, visited.warning_id, 5)
    assert sheet[0][3:5] == (2, 2) and sheet[0][6] == f"{measure.target}：{measure.description}"
    overview = {r[0]: r[1] for r in book["概况"].iter_rows(min_row=3, values_only=True)}
    assert (overview["督查检查（次）"], overview["违规企业"]) == (4, 2)
    reduction = list(book["减排"].iter_rows(min_row=3, max_row=6, values_only=True))
    assert [r[10] for r in reduction] == pytest.approx([doc["reduction"][0]["pollutants"][p]["violated"]["cut"]
                                                       for p in POLLUTANTS])
    text = "\n".join(p.text for p in Document(io.BytesIO(formats.render(doc, "docx"))).paragraphs)
    assert "督查检查4次" in text and "测试企业5有限公司" in text and "已扣除督查发现未落实措施" in text
    assert "尚未" not in text.split("督查检查4次")[0][-40:]
    answer = run("report", "assessment", str(visited.warning_id), "--db", visited.settings.database_url)
    assert answer.exit_code == 0, answer.stderr
    assert "4 visits of 3 enterprises, 3 violations at 2 enterprises" in answer.stdout and "测试企业5有限公司" in answer.stdout


def test_a_drills_inspections_stay_with_the_drill(visited):
    at(visited, hours=29)
    real, drill = visited.warning_id, visited.issue("orange", drill=True)
    with visited.sessions() as session:
        doc = summary(session, session.get(Warning, drill), who("viewer"), visited.settings.tz, visited.clock.now)
    assert doc["drill"] is True and doc["inspections"]["visits"] == 0
    visited.warning_id = drill
    visited.dispatcher().run(once=True)
    confirms(visited, 5)
    inspect(visited, 5, violated=True)
    assert report(visited, "assessment")["inspections"]["visits"] == 1
    with visited.sessions() as session:
        counts = [summary(session, session.get(Warning, w), who("viewer"), visited.settings.tz,
                          visited.clock.now)["inspections"]["visits"] for w in (real, drill)]
    assert counts == [4, 1]
