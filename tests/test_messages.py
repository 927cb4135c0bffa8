"""Message templates: every one renders in Chinese and English, and every SMS fits its segments."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from alerts import sms
from config.settings import Settings
from emergency.notices import inbound
from emergency.notices.render import TEMPLATES, Context, message

TZ = timezone(timedelta(hours=8))
START = datetime(2026, 12, 24, 0, 0, tzinfo=TZ)  # two-digit month and day: the longest dates
END = datetime(2026, 12, 27, 12, 30, tzinfo=TZ)
TOKEN = "2bi0fXovd0uokstI"  # the length of a token for recipient 4,000,000


def context(kind="issue", *, area="大兴区", enterprise="北京宝丰京家具有限公司", unit=None, link_base="http://127.0.0.1:8000",
            **params) -> Context:
    measure = SimpleNamespace(target="喷漆线", action="limit", limit_pct=40.0, description="红色预警期间喷漆线限产")
    return Context(kind=kind, level="red", level_zh="红色", level_en="red", area=area, start=START, end=END,
                   lift_at=END if kind == "lift" else None, warning_id=12345, seq=3, name="孙松", enterprise=enterprise,
                   unit=unit, link=f"{link_base}/a/{TOKEN}", measures=[measure], duties=["停止土石方作业"], queued=START,
                   params={"count": 1234, "total": 99999, "after": 120,
                           "enterprises": [{"name": "测试企业", "contact": "张三", "mobile": "+8613800000001"}],
                           "towns": [{"name": "西红门镇", "count": 12}]} | params)


def render(template: str, ctx: Context, lang: str = "zh", channel: str = "sms"):
    return message(template, ctx, delivery_id=7, channel=channel, address="+8613800000001",
                   settings=Settings(public_url="http://127.0.0.1:8000"), lang=lang)


SMS = [("sms_notice", {"kind": k, **who}) for k in ("issue", "change", "lift")
       for who in ({}, {"enterprise": None, "unit": "西红门镇人民政府"})] + [("sms_reminder", {})]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("template", "kwargs"), SMS)
def test_every_notice_sms_is_one_segment_with_a_short_public_url(template, kwargs, lang):
    text = render(template, context(**kwargs, area="大兴区" if lang == "zh" else "Daxing"), lang).text
    assert f"/a/{TOKEN}" in text and "{" not in text
    assert sms.segments(text) == 1, (sms.length(text), text)


@pytest.mark.parametrize(("template", "kwargs"), SMS)
def test_every_notice_sms_stays_within_two_segments_with_a_long_area_and_url(template, kwargs):
    ctx = context(area="新疆维吾尔自治区乌鲁木齐市", link_base="https://hjbh.wlmq.xinjiang.gov.cn", **kwargs)
    text = render(template, ctx).text
    assert sms.segments(text) <= Settings().app.notify.sms_max_segments == 2, (sms.length(text), text)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("template", ["sms_town", "sms_command"])
def test_escalation_sms_to_units_fit_two_segments(template, lang):
    text = render(template, context(enterprise=None, unit="亦庄镇人民政府" if lang == "zh" else "Yizhuang"), lang).text
    assert "1234" in text and sms.segments(text) <= 2, (sms.length(text), text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_replies_are_one_segment(lang):
    settings = SimpleNamespace(app=SimpleNamespace(notify=SimpleNamespace(language=lang)))
    for which, values in (("help", {}), ("none", {}), ("ack", {"enterprise": True,
                                                            "link": f"http://127.0.0.1:8000/a/{TOKEN}"})):
        text = inbound._reply(settings.app.notify.language, which, **values)
        assert text and sms.segments(text) == 1, (which, text)


def test_reminder_is_worded_differently_from_the_notice():
    """Twilio to China rejects a third identical text within 24 h; providers flag repeats."""
    notice, reminder = render("sms_notice", context()).text, render("sms_reminder", context()).text
    assert notice != reminder and "催办" in reminder


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["issue", "change", "lift"])
def test_notice_email_has_subject_text_and_html_with_the_measures(kind, lang):
    m = render("email_notice", context(kind), lang, channel="email")
    assert m.subject and m.text and m.html.startswith("<!doctype html>")
    if kind != "lift":
        assert "喷漆线" in m.text and "喷漆线" in m.html and TOKEN in m.html
    unit = render("email_notice", context(kind, enterprise=None, unit="区住建委"), lang, channel="email")
    if kind != "lift":
        assert "停止土石方作业" in unit.text


def test_html_escapes_names():
    m = render("email_notice", context(enterprise="<script>x</script>有限公司"), channel="email")
    assert "<script>x" not in m.html and "&lt;script&gt;" in m.html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_voice_scripts_ask_to_press_1(lang):
    for template in ("voice_notice", "voice_call"):
        m = render(template, context(), lang, channel="voice")
        assert ("按1" in m.text) if lang == "zh" else ("Press 1" in m.text)
        assert m.voice_url == "http://127.0.0.1:8000/webhooks/twilio/voice/7"


def test_every_template_is_tested_in_both_languages():
    names = {p.stem for p in (Path(TEMPLATES) / "zh").glob("*.j2")}
    assert names == {p.stem for p in (Path(TEMPLATES) / "en").glob("*.j2")}
    tested = {"sms_notice", "sms_reminder", "sms_town", "sms_command", "sms_reply_ack", "sms_reply_help",
              "sms_reply_none", "email_notice", "email_town", "email_command", "voice_notice", "voice_call",
              "email_report", "sms_report",  # the report messages: tests/test_reports.py
              "sms_violation", "email_violation"}
    assert names == tested


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("template", ["email_town", "email_command"])
def test_escalation_emails_list_what_is_unconfirmed(template, lang):
    m = render(template, context(enterprise=None, unit="西红门镇人民政府"), lang, channel="email")
    assert m.subject and "1234" in m.text
    assert ("测试企业" in m.text) if template == "email_town" else ("西红门镇" in m.text)


VIOLATION = {"inspection": 4321, "enterprise": "北京市大兴区黄村镇某某某某某某某某某某某某包装印刷有限责任公司第二分公司",
             "credit_code": "91110115MA00000000", "inspector": "hc_inspector_01", "at": "12-24 22:10",
             "measures": ["2号喷漆线：红色预警期间停产（现场：2号线未停产）", "锅炉：停用"], "more": 3, "note": "夜查发现"}


def violation(unit: str) -> Context:
    ctx = context(enterprise=None, unit=unit)
    ctx.params = VIOLATION
    return ctx


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_violation_sms_names_the_enterprise_within_two_segments(lang):
    text = render("sms_violation", violation(unit="亦庄镇人民政府"), lang).text
    assert "北京市大兴区" in text and "12-24 22:10" in text and "5" in text
    assert sms.segments(text) <= 2, (sms.length(text), text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_violation_email_lists_the_measures_found_not_in_place(lang):
    m = render("email_violation", violation(unit="黄村镇人民政府"), lang, channel="email")
    assert VIOLATION["enterprise"] in m.subject and "2号线未停产" in m.text and "4321" in m.text
    assert "3" in m.text and "2号线未停产" in m.html


@pytest.mark.parametrize(("text", "segments"), [
    ("中" * 70, 1), ("中" * 71, 2), ("中" * 134, 2), ("中" * 135, 3),
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 70 + "中", 2), ("€" * 80, 1), ("€" * 81, 2), ("😀" * 35, 1), ("😀" * 36, 2),
])
def test_segments_count_ucs2_and_gsm(text, segments):
    assert sms.segments(text) == segments


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reminders_to_one_number_are_never_identical(lang):
    # Providers refuse a third identical text to a number within 24 h: each reminder names when it was queued.
    first, later = context(), context()
    later.queued = START + timedelta(minutes=30)
    assert render("sms_reminder", first, lang).text != render("sms_reminder", later, lang).text
