"""The daily report and the post-event assessment, on both databases: the reduction against
hand-computed truth (only confirmed enterprises count, on the list versions the warning pinned),
the day a daily report covers, the workbook's and the Word document's figures equal to the JSON's,
drills marked, the command line and the API in the three formats, and the scheduler's job made and
sent once per day.

The scenario: an orange warning over the five enterprises of `records_for_warnings` (base per
enterprise SO2 10, NOx 20, PM 30, VOCs 40 kg/day), approved 2026-12-01 08:00 (+08:00), in force
from 12-02 00:00 to 12-05 00:00. Enterprises 1–4 promise 20 % at orange, enterprise 5 stops (30 %).
Enterprise 1 confirms at 08:20 and 5 at 08:40; 2 only acknowledges; 3 and 4 stay silent."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from accounts.models import Role
from config.events import Event
from emergency.notices import acknowledge
from emergency.reports import formats, jobs, service, tables
from emergency.warnings import service as warnings
from emergency.warnings.models import Recipient, Warning
from emergency.warnings.service import Invalid, Refused
from emergency.web.app import create_app
from lists.models import Area, Enterprise
from tests.factories import add_user, code, make_measure, run_import, who, write_xlsx
from tests.notifying import NOW, RULES, make_world, records_with_command_center
from tests.test_cli import run

BASE = {"so2": 10.0, "nox": 20.0, "pm": 30.0, "vocs": 40.0}


def at(world, **delta) -> datetime:
    world.clock.now = NOW + timedelta(**delta)
    return world.clock.now


def notice_of(session, n: int) -> acknowledge.Notice:
    enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code(n)))
    recipient = session.scalars(select(Recipient).where(Recipient.enterprise_id == enterprise_id)
                                .order_by(Recipient.id.desc(), Recipient.position)).first()
    return acknowledge.notice(session, recipient.id, NOW)


def acknowledges(world, n: int) -> None:
    with world.sessions() as session, session.begin():
        acknowledge.receipt(session, notice_of(session, n), channel="web", now=world.clock.now)


def confirms(world, n: int) -> None:
    with world.sessions() as session, session.begin():
        notice = notice_of(session, n)
        for measure in acknowledge.measures(session, notice) or [None]:
            acknowledge.confirm(session, notice, measure_id=measure and measure.id, note=None, channel="web",
                                now=world.clock.now)


@pytest.fixture
def scenario(db_url, tmp_path):
    world = make_world(db_url, tmp_path)
    world.warning_id = world.issue("orange")
    world.dispatcher().run(once=True)
    at(world, minutes=10), acknowledges(world, 2)
    at(world, minutes=20), confirms(world, 1)
    at(world, minutes=40), confirms(world, 5)
    return world


def report(world, kind: str = "daily", day: date | None = None, actor=None) -> dict:
    with world.sessions() as session:
        return service.report(session=session, warning=session.get(Warning, world.warning_id),
                              actor=actor or who("viewer"), config=world.settings.app, zone=world.settings.tz,
                              now=world.clock.now, kind=kind, day=day)


def test_the_reduction_counts_only_the_enterprises_that_confirmed(scenario):
    doc = report(scenario)
    [r] = doc["reduction"]
    assert (r["notice"], r["level"], r["required"], r["enterprises"], r["confirmed_enterprises"]) == (1, "orange", 0.2, 5, 2)
    for p, base in BASE.items():
        x = r["pollutants"][p]
        # 1 (20 %) and 5 (30 %) confirmed: half of one enterprise's base, a tenth of the area's
        assert x["baseline"] == 5 * base and x["base"] == "lists" and x["required"] == 0.2
        assert x["promised"] == {"cut": pytest.approx(1.1 * base), "ratio": pytest.approx(0.22)}
        assert x["confirmed"] == {"cut": pytest.approx(0.5 * base), "ratio": pytest.approx(0.1)}
        assert x["violated"] == {"cut": 0.0, "ratio": 0.0}
        assert x["achieved"] == x["confirmed"] and x["ok"] is False
    assert doc["inspections"]["visits"] == 0 and doc["inspections"]["enterprises"] == []  # nobody visited


def test_three_confirmed_and_a_reimport_later_the_pinned_lists_still_count(scenario, tmp_path):
    at(scenario, hours=20), confirms(scenario, 3)
    records = records_with_command_center()
    records["measures"] = [m for m in records["measures"] if not (m["credit_code"] == code(1) and m["level"] == "橙色")]
    records["measures"].append(make_measure(1, "橙色", 0.9))  # a new version promising far more
    with scenario.sessions() as session, session.begin():
        assert run_import(session, write_xlsx(tmp_path / "again.xlsx", records)).written
    x = report(scenario)["reduction"][0]["pollutants"]["so2"]
    assert x["confirmed"] == {"cut": pytest.approx(7.0), "ratio": pytest.approx(0.14)}
    assert x["promised"]["cut"] == pytest.approx(11.0)


def test_an_upgrade_reports_each_notice_at_its_level(scenario):
    at(scenario, hours=1)
    with scenario.sessions() as session, session.begin():
        warnings.request_change(session=session, rules=RULES, config=scenario.settings.app, warning_id=scenario.warning_id,
                                level="red", end=None, reason="加重", actor=who("duty"), now=scenario.clock.now)
        warnings.approve(session=session, rules=RULES, config=scenario.settings.app, warning_id=scenario.warning_id,
                         actor=who("chief"), now=scenario.clock.now)
    orange, red = report(scenario, day=date(2026, 12, 1))["reduction"]
    assert (orange["notice"], orange["required"], orange["confirmed_enterprises"]) == (1, 0.2, 2)
    # only 5, whose red measures are its orange ones, keeps its confirmation; 1 must confirm anew
    assert (red["notice"], red["level"], red["required"], red["confirmed_enterprises"]) == (2, "red", 0.3, 1)
    so2 = red["pollutants"]["so2"]
    assert so2["promised"]["ratio"] == pytest.approx(0.3) and so2["achieved"]["ratio"] == pytest.approx(0.06)
    assert not so2["ok"]


def lift(world) -> None:
    with world.sessions() as session, session.begin():
        warnings.request_lift(session=session, warning_id=world.warning_id, at=world.clock.now, reason="空气质量好转",
                              actor=who("duty"), now=world.clock.now)
        warnings.approve(session=session, rules=RULES, config=world.settings.app, warning_id=world.warning_id,
                         actor=who("chief"), now=world.clock.now)
        warnings.advance(session=session, now=world.clock.now + timedelta(seconds=1))


def test_the_assessment_after_the_lift_reports_the_notice_with_measures(scenario):
    at(scenario, hours=30), lift(scenario)
    at(scenario, hours=31)
    doc = report(scenario, "assessment")
    assert doc["final"] and doc["warning"]["status"] == "lifted"
    assert [n["kind"] for n in doc["notices"]] == ["issue", "lift"]
    assert [r["notice"] for r in doc["reduction"]] == [1] and doc["reduction"][0]["confirmed_enterprises"] == 2
    assert doc["in_period"] == {"acknowledged": 3, "confirmed": 2}
    assert doc["summary"]["confirmed"] == 2  # the notice with measures, not the lift's receipts


def test_a_town_reader_gets_the_reduction_of_their_town(scenario):
    with scenario.sessions() as session:
        town = session.scalar(select(Area).where(Area.name == "西红门镇"))
        reader = who("viewer", area_path=town.path)
    r = report(scenario, actor=reader)["reduction"][0]
    assert (r["enterprises"], r["confirmed_enterprises"]) == (1, 0)
    assert r["pollutants"]["nox"]["baseline"] == 20.0 and r["pollutants"]["nox"]["promised"]["ratio"] == 0.2


def test_the_daily_report_covers_one_local_day(scenario):
    at(scenario, days=1, hours=2), confirms(scenario, 3)
    first, second = report(scenario, day=date(2026, 12, 1)), report(scenario, day=date(2026, 12, 2))
    assert first["period"] == {"date": "2026-12-01", "from": "2026-12-01T00:00:00+08:00", "to": "2026-12-02T00:00:00+08:00"}
    assert first["in_period"] == {"acknowledged": 3, "confirmed": 2} and first["final"] is True
    assert second["in_period"] == {"acknowledged": 1, "confirmed": 1} and second["final"] is False
    assert [n["in_period"] for n in first["notices"]] == [True] and [n["in_period"] for n in second["notices"]] == [False]
    assert first["summary"]["confirmed"] == second["summary"]["confirmed"] == 3  # standing figures: as of now
    assert report(scenario)["period"]["date"] == "2026-12-01"  # yesterday by default
    with pytest.raises(Invalid, match="2026-11-30"):
        report(scenario, day=date(2026, 11, 30))
    with pytest.raises(Invalid):
        report(scenario, day=date(2026, 12, 3))  # not yet


def test_a_warning_not_yet_approved_has_no_report(db_url, tmp_path):
    world = make_world(db_url, tmp_path)
    with world.sessions() as session, session.begin():
        world.warning_id = warnings.draft(session=session, rules=RULES, config=world.settings.app, area="大兴区",
                                          level="red", start=NOW + timedelta(days=1), end=NOW + timedelta(days=2),
                                          reason="会商", actor=who("duty"), now=NOW).warning_id
    with pytest.raises(Refused, match="no report"):
        report(world)


def figures(book) -> dict:
    """The overview sheet: label → value."""
    return {row[0]: row[1] for row in book["概况"].iter_rows(min_row=3, values_only=True) if row[0]}


def test_the_workbook_holds_the_figures_of_the_json(scenario):
    doc = report(scenario)
    book = load_workbook(BytesIO(formats.render(doc, "xlsx")))
    expected = tables.tables(doc)
    assert book.sheetnames == [t.name for t in expected]
    for table in expected:
        sheet = book[table.name]
        assert sheet.freeze_panes == "A3" and sheet["A1"].value.startswith(doc["title"])
        assert [c.value for c in sheet[2]][:len(table.columns)] == [c.header for c in table.columns]
    overview = figures(book)
    s = doc["summary"]
    assert (overview["企业总数"], overview["已签收企业"], overview["已确认企业"]) == (s["enterprises"], s["acknowledged"], 2)
    assert overview["确认率"] == pytest.approx(0.4) and overview["当日确认企业"] == doc["in_period"]["confirmed"]
    rows = list(book["减排"].iter_rows(min_row=3, max_row=6, values_only=True))
    for row, p in zip(rows, ("so2", "nox", "pm", "vocs")):
        x = doc["reduction"][0]["pollutants"][p]
        assert row[3] == x["baseline"] and row[5] == x["required"] and row[6] == pytest.approx(x["promised"]["cut"])
        assert row[8] == pytest.approx(x["confirmed"]["cut"]) and row[12] == pytest.approx(x["achieved"]["ratio"])
        assert row[13] == "否"
    assert book["减排"]["M3"].number_format == "0.0%" and book["减排"]["D3"].number_format == "#,##0.0"
    towns = {row[0]: row[1:5] for row in book["分乡镇街道"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert towns == {t["area"]: (t["enterprises"], t["reached"], t["acknowledged"], t["confirmed"])
                     for t in s["by_town"]}
    assert book["通知"]["D3"].value == datetime(2026, 12, 2, 0, 0)


def test_the_word_document_holds_the_figures_of_the_json(scenario):
    doc = report(scenario)
    word = Document(BytesIO(formats.render(doc, "docx")))
    assert word.paragraphs[0].text == doc["title"]
    prose = "\n".join(p.text for p in word.paragraphs)
    s = doc["summary"]
    assert f"涉及企业{s['enterprises']}家" in prose and f"已确认落实减排措施{s['confirmed']}家（40.0%）" in prose
    assert "二氧化硫10.0%" in prose and "清单承诺：二氧化硫22.0%" in prose and "未达到要求" in prose
    expected = {tuple(c.header for c in t.columns): t for t in tables.tables(doc) if t.name != "概况"}
    found = {tuple(c.text for c in grid.rows[0].cells): grid for grid in word.tables}
    assert found.keys() == expected.keys()
    for headers, table in expected.items():
        cells = [[c.text for c in row.cells] for row in found[headers].rows[1:]]
        assert cells == [[tables.text(v, table.kind(r, c)) for c, v in enumerate(row)] for r, row in enumerate(table.rows)]
    reduction = next(found[h] for h, table in expected.items() if table.name == "减排")
    assert [c.text for c in reduction.rows[1].cells][12:] == ["10.0%", "否"]
    assert len(word.inline_shapes) == 2  # the reduction chart and the confirmed share by town


def test_a_drill_report_is_marked_everywhere(db_url, tmp_path):
    world = make_world(db_url, tmp_path)
    world.warning_id = world.issue("red", drill=True)
    doc = report(world, "assessment")
    assert doc["drill"] and doc["title"].startswith("【演练】") and doc["summary"]["drill"]
    assert formats.filename(doc, "xlsx") == f"warning-{world.warning_id}-assessment-drill.xlsx"
    book = load_workbook(BytesIO(formats.render(doc, "xlsx")))
    assert all(book[name]["A1"].value.startswith("【演练】") for name in book.sheetnames)
    word = Document(BytesIO(formats.render(doc, "docx")))
    assert word.paragraphs[0].text.startswith("【演练】") and "演练报告" in word.paragraphs[1].text


def test_the_command_line_prints_json_and_writes_the_files(scenario, tmp_path):
    url, wid = scenario.settings.database_url, str(scenario.warning_id)
    answer = run("report", "daily", wid, "--date", "2026-12-01", "--json", "--db", url)
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.stdout)["reduction"][0]["confirmed_enterprises"] == 2
    for name in ("daily.xlsx", "daily.docx"):
        written = run("report", "daily", wid, "--date", "2026-12-01", "--out", str(tmp_path / name), "--db", url)
        assert written.exit_code == 0 and (tmp_path / name).stat().st_size > 1000
    assert load_workbook(tmp_path / "daily.xlsx")["概况"]["B3"].value.endswith("日报（2026-12-01）")
    assert run("report", "assessment", wid, "--out", str(tmp_path / "a.docx"), "--db", url).exit_code == 0
    assert Document(tmp_path / "a.docx").paragraphs[0].text.endswith("总结评估报告")
    text = run("report", "assessment", wid, "--db", url)
    assert text.exit_code == 0 and "achieved   10.0%" in text.stdout
    assert run("report", "daily", wid, "--date", "2027-01-01", "--db", url).exit_code == 1
    assert run("report", "daily", "999", "--db", url).exit_code == 1
    assert run("report", "daily", wid, "--out", str(tmp_path / "x.pdf"), "--db", url).exit_code == 2


def test_the_api_serves_json_xlsx_and_docx(scenario):
    with scenario.sessions() as session, session.begin():
        _, password = add_user(session, "reader", Role.VIEWER)
        town = session.scalar(select(Area).where(Area.name == "西红门镇"))
        _, town_password = add_user(session, "towner", Role.VIEWER, area=town)
    base = f"/api/v1/warnings/{scenario.warning_id}/reports"
    with TestClient(create_app(scenario.settings)) as client:
        def token(user, secret):
            answer = client.post("/api/v1/tokens", json={"username": user, "password": secret})
            return {"Authorization": "Bearer " + answer.json()["token"]}

        reader = token("reader", password)
        answer = client.get(f"{base}/daily?date=2026-12-01", headers=reader)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
        assert answer.json()["reduction"][0]["confirmed_enterprises"] == 2
        workbook = client.get(f"{base}/daily?date=2026-12-01&format=xlsx", headers=reader)
        assert workbook.headers["content-type"] == formats.MEDIA_TYPES["xlsx"]
        assert 'filename="warning-1-daily-2026-12-01.xlsx"' in workbook.headers["content-disposition"]
        assert figures(load_workbook(BytesIO(workbook.content)))["已确认企业"] == 2
        word = client.get(f"{base}/assessment", headers=reader | {"Accept": formats.MEDIA_TYPES["docx"]})
        assert word.headers["content-type"] == formats.MEDIA_TYPES["docx"]
        assert Document(BytesIO(word.content)).paragraphs[0].text.endswith("总结评估报告")
        mine = client.get(f"{base}/assessment", headers=token("towner", town_password)).json()
        assert mine["summary"]["enterprises"] == 1 and mine["reduction"][0]["enterprises"] == 1
        outside = client.get(f"{base}/daily?date=2026-11-01", headers=reader)
        assert outside.status_code == 422 and outside.json()["error"]["code"] == "date_out_of_range"
        assert client.get(f"{base}/daily?date=yesterday", headers=reader).status_code == 422
        assert client.get(f"{base}/daily?format=pdf", headers=reader).status_code == 422
        assert client.get(f"{base}/weekly", headers=reader).status_code == 422
        assert client.get("/api/v1/warnings/999999/reports/daily", headers=reader).status_code == 404
        assert client.get(f"{base}/daily").status_code == 401


# -- the scheduler ---------------------------------------------------------------------------------

def sweep(world, when: datetime) -> list[dict]:
    world.clock.now = when
    with world.sessions() as session, session.begin():
        warnings.advance(session=session, now=when)
        return jobs.sweep(session=session, config=world.settings.app, zone=world.settings.tz,
                          public_url=world.settings.public_url, now=when)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=NOW.tzinfo)


def test_the_scheduler_makes_each_daily_report_once_and_the_assessment_the_day_after_the_end(db_url, tmp_path):
    world = make_world(db_url, tmp_path)
    world.warning_id = world.issue("orange", start_hours=16, end_hours=40)  # 12-02 00:00 to 12-03 00:00
    assert sweep(world, local(2, 9, 59)) == []  # before the hour
    assert sweep(world, local(2, 10)) == [{"warning": 1, "report": "daily", "date": "2026-12-01", "queued": 1}]
    assert sweep(world, local(2, 10, 1)) == [] and sweep(world, local(2, 23)) == []  # never twice
    assert sweep(world, local(3, 10)) == [{"warning": 1, "report": "daily", "date": "2026-12-02", "queued": 1},
                                          {"warning": 1, "report": "assessment", "date": None, "queued": 1}]
    assert sweep(world, local(3, 11)) == [] and sweep(world, local(4, 10)) == []
    sent = [d for d in world.deliveries(purpose="report")]
    assert [(d.channel, d.address) for d in sent] == [("email", "zhb@example.com")] * 3
    world.dispatcher().run(once=True)  # the warning has expired: its reports go out all the same
    mails = [m for m in world.fakes["email"].sent if "预警#1" in (m.subject or "")]
    assert [m.subject for m in mails] == ["【大兴区】橙色预警#1日报（2026-12-01）", "【大兴区】橙色预警#1日报（2026-12-02）",
                                          "【大兴区】橙色预警#1总结评估报告"]
    assert "http://127.0.0.1:8000/warnings/1/reports?date=2026-12-01" in mails[0].text
    assert "http://127.0.0.1:8000/warnings/1/reports" in mails[2].html
    with world.sessions() as session:
        events = session.scalars(select(Event).where(Event.kind == jobs.SENT).order_by(Event.id)).all()
    assert [e.detail["report"] for e in events] == ["daily", "daily", "assessment"]


def test_the_scheduler_catches_up_a_report_missed_at_its_hour_and_reports_drills_marked(db_url, tmp_path):
    world = make_world(db_url, tmp_path)
    world.warning_id = world.issue("yellow", drill=True)
    assert sweep(world, local(2, 16))[0]["date"] == "2026-12-01"  # the scheduler was down at 10:00
    world.dispatcher().run(once=True)
    assert not [m for m in world.fakes["email"].sent if m.address == "zhb@example.com"]  # a drill's go to the simulator
    [delivery] = world.deliveries(purpose="report")
    assert delivery.status == "delivered"  # the simulator took it


def test_the_scheduler_runs_the_report_job():
    from config.settings import Settings
    from emergency.scheduler import jobs as scheduled

    assert "reports" in scheduled(Settings().app, Settings())
    assert Settings().app.reports.daily_at == "10:00" and Settings().app.reports.recipients == ["command"]


def test_report_messages_render_in_both_languages():
    from alerts import sms
    from tests.test_messages import PHONE, context, render

    params = jobs.headline(report_like()) | {"url": "https://hjbh.example.gov.cn/warnings/12345/reports?date=2026-12-24"}
    for lang in ("zh", "en"):
        ctx = context(enterprise=None, unit="区空气重污染应急指挥部办公室", **params)
        mail = render("email_report", ctx, lang, channel="email")
        assert mail.subject and params["url"] in mail.text and "1200" in mail.text and "950" in mail.html
        text = render("sms_report", ctx, lang, base="https://hjbh.example.gov.cn").text
        address, signature = PHONE[lang]
        signed = sms.signed(text, signature)
        assert params["url"] in text and sms.segments(signed, address) <= 2, (len(signed), text)


def report_like() -> dict:
    pollutants = {p: {"achieved": {"ratio": 0.25}, "ok": p != "vocs"} for p in BASE}
    return {"report": "daily", "period": {"date": "2026-12-24"}, "generated_at": "2026-12-25T10:00:00+08:00",
            "summary": {"enterprises": 1200, "acknowledged": 1100, "confirmed": 950},
            "reduction": [{"required": 0.3, "pollutants": pollutants}]}



def test_the_charts_are_drawn_without_a_chinese_font(scenario, monkeypatch):
    from emergency.reports import chart

    monkeypatch.setattr(chart, "CJK_FONTS", (("/nonexistent/font.ttc", 0),))
    chart.fonts.cache_clear()
    try:
        word = Document(BytesIO(formats.render(report(scenario), "docx")))
        assert not chart.fonts().cjk and len(word.inline_shapes) == 2
    finally:
        chart.fonts.cache_clear()
