"""Message templates: every one renders in Chinese and English; every SMS is the mirror of a
registered template (it renders from its purpose's parameters alone) and fits its segments under
the mainland's rule, behind the configured 【signature】."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import meta

from alerts import sms
from config.settings import Settings
from emergency.notices import inbound
from emergency.notices import params as sms_params
from emergency.notices.render import ENV, TEMPLATES, Context, message

TZ = timezone(timedelta(hours=8))
START = datetime(2026, 12, 24, 0, 0, tzinfo=TZ)  # two-digit month and day: the longest dates
END = datetime(2026, 12, 27, 12, 30, tzinfo=TZ)
TOKEN = "2bi0fXovd0uokstI"  # the length of a token for recipient 4,000,000
SIGNATURE = "北京市大兴区应急办"  # a district office's registered signature: 【北京市大兴区应急办】
LONGEST_SIGNATURE = "乌鲁木齐市生态环境局应急"  # the providers' limit: 12 characters
MAINLAND, ABROAD = "+8613800000001", "+447700900001"
# Only mainland carriers ask for a 【signature】 (in English a 【】 would turn the text into UCS-2).
PHONE = {"zh": (MAINLAND, SIGNATURE), "en": (ABROAD, None)}
LONGEST_PHONE = {"zh": (MAINLAND, LONGEST_SIGNATURE), "en": (ABROAD, None)}
BASE = "http://127.0.0.1:8000"  # 21 characters, as short as a real one (https://yj.dxq.gov.cn is 20)
LONG_BASE = "https://hjbh.wlmq.xinjiang.gov.cn"


def context(kind="issue", *, area="大兴区", enterprise="北京宝丰京家具有限公司", unit=None, link_base=BASE,
            **params) -> Context:
    measure = SimpleNamespace(target="喷漆线", action="limit", limit_pct=40.0, description="红色预警期间喷漆线限产")
    return Context(kind=kind, level="red", level_zh="红色", level_en="red", area=area, start=START, end=END,
                   lift_at=END if kind == "lift" else None, warning_id=12345, seq=3, name="孙松", enterprise=enterprise,
                   unit=unit, link=f"{link_base}/a/{TOKEN}", path=f"a/{TOKEN}", measures=[measure], duties=["停止土石方作业"], queued=START,
                   params={"count": 1234, "total": 99999, "after": 120,
                           "enterprises": [{"name": "测试企业", "contact": "张三", "mobile": "+8613800000001"}],
                           "towns": [{"name": "西红门镇", "count": 12}]} | params)


def render(template: str, ctx: Context, lang: str = "zh", channel: str = "sms", base: str = BASE):
    return message(template.removeprefix(f"{channel}_"), ctx, delivery_id=7, channel=channel, address=MAINLAND,
                   base=base, lang=lang)


def longest(ctx: Context) -> Context:
    """The longest realistic times: a start at noon, an end and a lift at minutes past, a reminder at 12:30."""
    ctx.start, ctx.end = START.replace(hour=12), END
    ctx.lift_at = END if ctx.kind == "lift" else None
    ctx.queued = START.replace(hour=12, minute=30)
    return ctx


SMS = [("sms_notice", {"kind": k, **who}) for k in ("issue", "change", "lift")
       for who in ({}, {"enterprise": None, "unit": "西红门镇人民政府"})] + [("sms_reminder", {})]


@pytest.mark.parametrize(("template", "kwargs"), SMS)
def test_every_notice_sms_to_a_mainland_number_is_one_message_behind_the_signature(template, kwargs):
    """Mainland carriers count every character, the 【signature】 too: 70 for one message."""
    text = render(template, longest(context(**kwargs))).text
    signed = sms.signed(text, SIGNATURE)
    assert text.endswith(f"{BASE}/a/{TOKEN}") and "{" not in text and "【" not in text
    assert sms.segments(signed, MAINLAND) == 1, (sms.length(signed, MAINLAND), signed)


@pytest.mark.parametrize(("template", "kwargs"), SMS)
def test_every_notice_sms_in_english_is_one_gsm_segment(template, kwargs):
    # No signature: a 【】 would turn the whole text into UCS-2 (70 characters), and only mainland
    # carriers ask for one.
    text = render(template, longest(context(**kwargs, area="Daxing")), "en").text
    assert f"/a/{TOKEN}" in text and sms.segments(text, ABROAD) == 1, (len(text), text)


@pytest.mark.parametrize(("template", "kwargs"), SMS)
def test_every_notice_sms_stays_within_two_messages_with_the_longest_signature_and_url(template, kwargs):
    ctx = longest(context(area="新疆维吾尔自治区乌鲁木齐市", link_base=LONG_BASE, **kwargs))
    text = sms.signed(render(template, ctx, base=LONG_BASE).text, LONGEST_SIGNATURE)
    assert sms.segments(text, MAINLAND) <= Settings().app.notify.sms_max_segments == 2, (len(text), text)


def sms_templates() -> list[tuple[str, str]]:
    return sorted((lang, p.stem.removeprefix("sms_")) for lang in ("zh", "en")
                  for p in (Path(TEMPLATES) / lang).glob("sms_*.j2") if not p.stem.startswith("sms_reply"))


@pytest.mark.parametrize(("lang", "purpose"), sms_templates())
def test_every_sms_template_is_the_mirror_of_a_registered_one(lang, purpose):
    """It names exactly its purpose's parameters and the fixed base URL, nothing of the context."""
    source = ENV.loader.get_source(ENV, f"{lang}/sms_{purpose}.j2")[0]
    ctx = longest(context(**({} if purpose == "notice" else {"enterprise": None, "unit": "西红门镇人民政府"})))
    ctx.params = ctx.params | REPORT | VIOLATION
    params = sms_params.sms(purpose, ctx, lang)
    assert meta.find_undeclared_variables(ENV.parse(source)) == set(params) | ({"base"} if "path" in params else set())
    assert all(isinstance(v, str) and v for k, v in params.items() if k != "finding"), params
    m = render(f"sms_{purpose}", ctx, lang)
    assert m.params == params and m.purpose == purpose and m.lang == lang


def test_a_notice_is_a_purpose_per_wording():
    purposes = {(k, e): render("sms_notice", context(k, enterprise=e, unit=None if e else "区住建委")).purpose
                for k in ("issue", "change", "lift") for e in ("某公司", None)}
    assert purposes == {("issue", "某公司"): "notice", ("issue", None): "notice_unit", ("change", "某公司"): "change",
                        ("change", None): "change", ("lift", "某公司"): "lift", ("lift", None): "lift"}
    assert render("email_notice", context("lift"), channel="email").purpose == "notice"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("template", ["sms_town", "sms_command"])
def test_escalation_sms_to_units_fit_two_segments(template, lang):
    ctx = context(area="新疆维吾尔自治区乌鲁木齐市", enterprise=None, unit="乌鲁木齐市新市区二工乡人民政府")
    address, signature = LONGEST_PHONE[lang]
    text = sms.signed(render(template, ctx, lang).text, signature)
    assert "1234" in text and sms.segments(text, address) <= 2, (len(text), text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_replies_are_one_segment(lang):
    settings = SimpleNamespace(app=SimpleNamespace(notify=SimpleNamespace(language=lang)))
    for which, values in (("help", {}), ("none", {}), ("ack", {"enterprise": True,
                                                            "link": f"http://127.0.0.1:8000/a/{TOKEN}"})):
        address, signature = PHONE[lang]
        text = sms.signed(inbound._reply(settings.app.notify.language, which, **values), signature)
        assert text and sms.segments(text, address) == 1, (which, len(text), text)


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
        assert "/webhooks" not in m.text and m.purpose == template.removeprefix("voice_")


def test_every_template_is_tested_in_both_languages():
    names = {p.stem for p in (Path(TEMPLATES) / "zh").glob("*.j2")}
    assert names == {p.stem for p in (Path(TEMPLATES) / "en").glob("*.j2")}
    tested = {"sms_notice", "sms_notice_unit", "sms_change", "sms_lift", "sms_reminder", "sms_town", "sms_command",
              "sms_reply_ack", "sms_reply_help",
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
    address, signature = LONGEST_PHONE[lang]
    unit = "乌鲁木齐市新市区二工乡人民政府" if lang == "zh" else "亦庄镇人民政府"
    text = sms.signed(render("sms_violation", violation(unit=unit), lang).text, signature)
    assert "北京市大兴区" in text and "12-24 22:10" in text and "5" in text
    assert sms.segments(text, address) <= 2, (len(text), text)


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
    assert sms.segments(text, ABROAD) == segments


@pytest.mark.parametrize(("text", "segments"), [
    ("中" * 70, 1), ("中" * 71, 2), ("中" * 134, 2), ("中" * 135, 3),
    ("a" * 70, 1), ("a" * 71, 2), ("a" * 134, 2), ("😀" * 70, 1), ("😀" * 71, 2), ("€" * 71, 2),
])
def test_mainland_numbers_count_every_character_as_one(text, segments):
    assert sms.segments(text, MAINLAND) == segments and sms.length(text, MAINLAND) == len(text)


def test_the_signature_counts_toward_the_mainland_limit():
    assert sms.segments(sms.signed("中" * 59, SIGNATURE), MAINLAND) == 1
    assert sms.segments(sms.signed("中" * 60, SIGNATURE), MAINLAND) == 2
    assert sms.signed("中", None) == "中" and sms.signed("中", SIGNATURE) == f"【{SIGNATURE}】中"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reminders_to_one_number_are_never_identical(lang):
    # Providers refuse a third identical text to a number within 24 h: each reminder names when it was queued.
    first, later = context(), context()
    later.queued = START + timedelta(minutes=30)
    assert render("sms_reminder", first, lang).text != render("sms_reminder", later, lang).text


REPORT = {"report": "daily", "date": "2026-12-24", "confirmed": 99999, "enterprises": 99999,
          "reduction": [{"ok": True}, {"ok": True}, {"ok": False}, {"ok": True}],
          "url": "http://127.0.0.1:8000/warnings/12345/reports?date=2026-12-24"}
