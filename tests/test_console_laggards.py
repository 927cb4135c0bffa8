"""The laggards of a warning in headless Chromium, as the command center's office uses them: filter
one town, tick two enterprises, remind them now and read what was queued; one enterprise's
timeline with the note it confirmed with; a viewer sees no remind button. Both databases, both
screen sizes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from alerts.models import Delivery
from config import rulesets
from config.db import utcnow
from emergency.notices import acknowledge
from emergency.warnings import service
from emergency.warnings.models import ActivatedEnterprise, Activation, Recipient
from lists.models import Area, Enterprise
from tests.console import cheap_passwords, chromium, console, layout  # noqa: F401
from tests.test_console_warnings import dispatch
from tests.test_inspections_count import violation

NOTE = "1号窑炉已停火，烟气在线监测截图已上传"


@pytest.fixture
def warning(console):
    """An orange warning for the demo district, approved and sent to the simulator; the first
    enterprise confirmed every measure (with a note on the first), one number failed."""
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
    dispatch(console)
    with Session(console.engine) as session, session.begin():
        mine = Recipient.activation_id.in_(select(Activation.id).where(Activation.warning_id == warning_id))
        first = session.execute(select(Recipient.id, Recipient.enterprise_id)
                                .where(mine, Recipient.enterprise_id.is_not(None)).order_by(Recipient.id)).first()
        notice = acknowledge.notice(session, first.id, utcnow())
        for i, m in enumerate(acknowledge.measures(session, notice) or [None]):
            acknowledge.confirm(session, notice, measure_id=m.id if m else None, note=NOTE if i == 0 else None,
                                channel="web", now=utcnow())
        confirmed = session.scalar(select(Enterprise.credit_code).where(Enterprise.id == first.enterprise_id))
        failing = session.scalar(select(Delivery.id).join(Recipient, Recipient.id == Delivery.recipient_id)
                                 .where(mine, Recipient.enterprise_id != first.enterprise_id, Delivery.channel == "sms")
                                 .order_by(Delivery.id).limit(1))
        session.execute(update(Delivery).where(Delivery.id == failing).values(status="failed", error="invalid number"))
    yield {"id": warning_id, "confirmed": confirmed}
    console.close_open_warnings()


def unconfirmed_in_one_town(console, warning_id: int) -> tuple[str, list[str]]:
    """A town with at least two unconfirmed enterprises in the warning, and their credit codes."""
    with Session(console.engine) as session:
        rows = session.execute(select(Area.name, Enterprise.credit_code)
                               .join(Enterprise, Enterprise.town_id == Area.id)
                               .join(ActivatedEnterprise, ActivatedEnterprise.enterprise_id == Enterprise.id)
                               .join(Activation, Activation.id == ActivatedEnterprise.activation_id)
                               .where(Activation.warning_id == warning_id, ActivatedEnterprise.confirmed_at.is_(None))
                               .order_by(Enterprise.id)).all()
    towns: dict[str, list[str]] = {}
    for town, credit_code in rows:
        towns.setdefault(town, []).append(credit_code)
    return next((town, codes) for town, codes in towns.items() if len(codes) >= 2)


def test_the_office_filters_a_town_ticks_two_and_reminds_them(console, chromium, warning):
    office = console.sign_in(chromium, "office")
    office.goto(f"{console.url}/warnings/{warning['id']}")
    with office.expect_navigation():
        office.get_by_role("link", name="企业落实情况").click()
    layout(office, "laggards", console.backend)
    town, codes = unconfirmed_in_one_town(console, warning["id"])
    with office.expect_navigation():
        office.select_option("select[name=town]", town)
    assert {c.strip() for c in office.locator("#enterprises td:nth-child(3)").all_inner_texts()} == {town}
    button = office.locator("#remind-selected")
    expect(button).to_be_disabled()
    for credit_code in codes[:2]:
        office.check(f"input[name=credit_code][value='{credit_code}']")
    expect(office.locator("#chosen-count")).to_have_text("已选 2 家")
    office.once("dialog", lambda d: d.accept())
    with office.expect_navigation():
        button.click()
    expect(office.locator("#reminded")).to_contain_text("条催办短信（2 家企业）")
    assert office.locator("select[name=town]").input_value() == town  # the filter is kept
    with Session(console.engine) as session:
        reminded = set(session.scalars(select(Enterprise.credit_code).join(Recipient, Recipient.enterprise_id == Enterprise.id)
                                       .join(Delivery, Delivery.recipient_id == Recipient.id)
                                       .join(Activation, Activation.id == Recipient.activation_id)
                                       .where(Delivery.purpose == "reminder", Activation.warning_id == warning["id"])))
    assert reminded == set(codes[:2])
    layout(office, "laggards-reminded", console.backend)


def test_one_enterprise_shows_its_timeline_with_the_note(console, chromium, warning):
    violation(console.engine, console.settings, warning["id"], warning["confirmed"])
    office = console.sign_in(chromium, "office")
    office.goto(f"{console.url}/warnings/{warning['id']}/enterprises?status=confirmed")
    violations = office.locator(f"tr[data-code='{warning['confirmed']}'] td[data-violations='1']")
    expect(violations.locator(".badge.bad")).to_have_text("1")
    with office.expect_navigation():
        office.locator("#enterprises td.name a").first.click()
    timeline = office.inner_text("#timeline")
    assert "通知短信" in timeline and "措施已落实" in timeline and NOTE in timeline
    assert "督查检查：发现违规" in timeline and "夜查" in timeline
    assert NOTE in office.inner_text("#measures") and "其中发现违规 1 次" in office.inner_text("#inspections")
    layout(office, "laggards-enterprise", console.backend)


def test_a_viewer_reads_the_list_without_remind_buttons(console, chromium, warning):
    viewer = console.sign_in(chromium, "viewer")
    viewer.goto(f"{console.url}/warnings/{warning['id']}/enterprises")
    assert viewer.locator("#enterprises tbody tr").count() > 0
    assert viewer.locator("input[name=credit_code]").count() == 0 and viewer.locator("#remind-selected").count() == 0
    assert viewer.locator(".badge[data-status=failed]").count() == 1  # the failed number stands out


def test_the_english_page_is_in_english(console, chromium, warning):
    office = console.sign_in(chromium, "office", lang="en-US")
    office.goto(f"{console.url}/warnings/{warning['id']}/enterprises")
    assert "Remind the selected" in office.inner_text("#laggards")
    layout(office, "laggards-en", console.backend)
    office.goto(f"{console.url}/warnings/{warning['id']}/enterprises/{warning['confirmed']}")
    assert "Timeline" in office.inner_text("#timeline")
    layout(office, "laggards-enterprise-en", console.backend)
