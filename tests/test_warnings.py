"""The warning lifecycle and activation, with a frozen clock, on SQLite and PostgreSQL.

Every refusal is checked to have changed nothing: the call runs in a savepoint, as a command runs
in its transaction, and the tables are compared before and after."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from config import rulesets
from config.events import Event
from config.settings import AppConfig
from emergency.warnings import service
from emergency.warnings.models import ActivatedDuty, ActivatedEnterprise, Activation, Recipient, Request, Warning
from lists.models import Enterprise, Measure
from tests.factories import who, code, make_measure, records_for_warnings, run_import, write_xlsx

RULES = rulesets.load("national-2024")
CONFIG = AppConfig()
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


@pytest.fixture
def lists(session, tmp_path):
    result = run_import(session, write_xlsx(tmp_path / "lists.xlsx", records_for_warnings()))
    assert result.written, [str(e) for e in result.plan.errors]
    return session


def draft(session, *, area="大兴区", level="orange", start=at(16), end=at(88), by="duty", now=NOW, reason="会商结论"):
    return service.draft(session=session, rules=RULES, config=CONFIG, area=area, level=level, start=start, end=end,
                         reason=reason, actor=who(by), now=now)


def approve(session, warning_id, *, by="chief", now=NOW, override=None):
    return service.approve(session=session, rules=RULES, config=CONFIG, warning_id=warning_id, actor=who(by, "commander"),
                           now=now, override_reason=override)


def change(session, warning_id, *, level=None, end=None, by="duty", now=NOW):
    return service.request_change(session=session, rules=RULES, config=CONFIG, warning_id=warning_id, level=level,
                                  end=end, reason="会商：形势变化", actor=who(by), now=now)


def lift(session, warning_id, *, when=NOW, by="duty", now=NOW):
    return service.request_lift(session=session, warning_id=warning_id, at=when, reason="空气质量好转", actor=who(by), now=now)


def issued(session, level="orange", **kwargs) -> int:
    warning_id = draft(session, level=level, **kwargs).warning_id
    approve(session, warning_id)
    return warning_id


def state(session) -> tuple:
    tables = (Warning, Request, Activation, ActivatedEnterprise, ActivatedDuty, Recipient, Event)
    counts = tuple(session.scalar(select(func.count()).select_from(t)) for t in tables)
    rows = tuple(session.execute(select(Warning.id, Warning.status, Warning.level, Warning.end_at, Warning.lifted_at)
                                 .order_by(Warning.id)).all())
    requests = tuple(session.execute(select(Request.id, Request.status).order_by(Request.id)).all())
    return counts, rows, requests


def refused(session, call, match: str) -> None:
    """The call is refused with a message matching `match`, and the database is as before."""
    before = state(session)
    with pytest.raises(service.Refused, match=match):
        with session.begin_nested():
            call()
    session.expire_all()
    assert state(session) == before


def status(session, warning_id) -> str:
    session.expire_all()
    return session.get(Warning, warning_id).status


# -- transitions ----------------------------------------------------------------------------------

def test_draft_then_approval_schedules_until_the_start_then_active_then_expired(lists):
    request = draft(lists)
    assert status(lists, request.warning_id) == "draft" and request.adequacy["ok"] is True
    approve(lists, request.warning_id)
    assert status(lists, request.warning_id) == "scheduled"
    service.advance(session=lists, now=at(15.9))
    assert status(lists, request.warning_id) == "scheduled"
    service.advance(session=lists, now=at(16))
    assert status(lists, request.warning_id) == "active"
    service.advance(session=lists, now=at(88))
    assert status(lists, request.warning_id) == "expired"
    kinds = lists.scalars(select(Event.kind).where(Event.subject_type == "warning").order_by(Event.id)).all()
    assert kinds == ["warning.drafted", "warning.approved", "warning.started", "warning.expired"]


def test_approval_after_the_start_makes_the_warning_active_at_once(lists):
    warning_id = issued(lists, start=at(-1))
    assert status(lists, warning_id) == "active"


def test_every_transition_logs_who_when_from_to_reason_and_the_forecast(lists):
    warning_id = issued(lists)
    event = lists.scalars(select(Event).where(Event.kind == "warning.approved")).one()
    assert (event.actor, event.at, event.subject_id) == ("chief", NOW, warning_id)
    assert event.detail["from"] == "draft" and event.detail["to"] == "scheduled"
    assert event.detail["reason"] == "会商结论" and "evidence" in event.detail
    assert event.detail["enterprises"] == 5


def test_upgrade_downgrade_and_extension_each_need_approval(lists):
    warning_id = issued(lists, start=at(-1))
    change(lists, warning_id, level="red")
    assert lists.get(Warning, warning_id).level == "orange"  # not before sign-off
    approve(lists, warning_id)
    assert lists.get(Warning, warning_id).level == "red"
    change(lists, warning_id, level="yellow", end=at(120))
    approve(lists, warning_id)
    warning = lists.get(Warning, warning_id)
    assert (warning.level, warning.end_at, warning.status) == ("yellow", at(120), "active")
    assert [r.kind for r in lists.scalars(select(Request).order_by(Request.seq))] == ["issue", "change", "change"]


def test_lift_now_ends_the_warning_and_a_later_lift_waits_for_its_time(lists):
    first = issued(lists, start=at(-1))
    lift(lists, first)
    approve(lists, first)
    assert status(lists, first) == "lifted"
    second = issued(lists, start=at(-1), now=NOW)
    lift(lists, second, when=at(10))
    approve(lists, second)
    assert status(lists, second) == "active"
    service.advance(session=lists, now=at(10))
    assert status(lists, second) == "lifted" and lists.get(Warning, second).lifted_at == at(10)


def test_a_scheduled_warning_can_be_lifted_before_it_starts(lists):
    warning_id = issued(lists)
    lift(lists, warning_id)
    approve(lists, warning_id)
    assert status(lists, warning_id) == "lifted"


def test_withdrawn_draft_frees_the_area(lists):
    request = draft(lists)
    service.withdraw(session=lists, warning_id=request.warning_id, reason="会商改期", actor=who("chief"), now=NOW)
    assert status(lists, request.warning_id) == "withdrawn"
    assert draft(lists).warning_id != request.warning_id


def test_a_pending_change_is_withdrawn_when_the_warning_expires(lists):
    warning_id = issued(lists, start=at(-1))
    change(lists, warning_id, level="red")
    service.advance(session=lists, now=at(88))
    assert lists.scalars(select(Request.status).where(Request.seq == 2)).one() == "withdrawn"


# -- refusals -------------------------------------------------------------------------------------

def test_the_drafter_cannot_approve(lists):
    request = draft(lists, by="duty")
    refused(lists, lambda: approve(lists, request.warning_id, by="Duty "), "another person must approve")


def test_a_second_draft_for_an_area_under_warning_names_the_existing_one(lists):
    warning_id = issued(lists)
    refused(lists, lambda: draft(lists), f"already under warning {warning_id}")
    refused(lists, lambda: draft(lists, area="黄村镇"), f"already under warning {warning_id}")


def test_a_pending_draft_also_blocks_the_area(lists):
    request = draft(lists)
    refused(lists, lambda: draft(lists, level="red"), f"already under warning {request.warning_id}")


def test_a_lifted_or_expired_warning_cannot_be_changed(lists):
    warning_id = issued(lists, start=at(-1))
    lift(lists, warning_id)
    approve(lists, warning_id)
    refused(lists, lambda: change(lists, warning_id, level="red"), "is lifted")
    refused(lists, lambda: lift(lists, warning_id), "is lifted")
    other = issued(lists, start=at(-1))
    refused(lists, lambda: change(lists, other, level="red", now=at(100)), "is expired")


def test_end_before_start_is_refused_for_a_draft_and_a_change(lists):
    refused(lists, lambda: draft(lists, start=at(10), end=at(10)), "must be after the start")
    warning_id = issued(lists)
    refused(lists, lambda: change(lists, warning_id, end=at(12)), "must be after the start")


def test_an_end_in_the_past_is_refused(lists):
    refused(lists, lambda: draft(lists, start=at(-30), end=at(-1)), "already passed")


def test_unknown_level_unknown_area_and_blank_reason_are_refused(lists):
    refused(lists, lambda: draft(lists, level="purple"), "no level 'purple'; use one of: yellow, orange, red")
    refused(lists, lambda: draft(lists, level="blue"), "no level 'blue'")  # only the 2017 rule set has blue
    refused(lists, lambda: draft(lists, area="朝阳区"), "unknown area")
    refused(lists, lambda: draft(lists, reason="  "), "give a reason")


def test_one_pending_request_at_a_time_and_nothing_to_approve(lists):
    warning_id = issued(lists)
    refused(lists, lambda: approve(lists, warning_id), "no request awaiting approval")
    change(lists, warning_id, level="red")
    refused(lists, lambda: change(lists, warning_id, end=at(100)), "already has a pending change")
    refused(lists, lambda: lift(lists, warning_id), "already has a pending change")


def test_a_change_that_changes_nothing_and_a_lift_after_the_end_are_refused(lists):
    warning_id = issued(lists)
    refused(lists, lambda: change(lists, warning_id, level="orange"), "neither the level nor the end")
    refused(lists, lambda: lift(lists, warning_id, when=at(88)), "not before the end")


def test_lists_missing_the_ratio_need_an_explicit_reason_to_approve(lists, tmp_path):
    weak = {"enterprises": [], "contacts": [],
            "measures": [make_measure(n, "红色", 0.01) for n in range(1, 6)]}  # replaces the red measures: 1 %
    assert run_import(lists, write_xlsx(tmp_path / "weak.xlsx", weak)).written
    request = draft(lists, level="red")
    assert request.adequacy["ok"] is False
    refused(lists, lambda: approve(lists, request.warning_id), "miss the required ratio")
    approve(lists, request.warning_id, override="区域传输为主，本地清单已尽力")
    assert lists.get(Request, request.id).override_reason == "区域传输为主，本地清单已尽力"


# -- activation -----------------------------------------------------------------------------------

def activated(session, activation_id) -> dict[str, tuple]:
    rows = session.execute(select(Enterprise.credit_code, ActivatedEnterprise.self_chosen, ActivatedEnterprise.changed,
                                  ActivatedEnterprise.list_version_id)
                           .join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id)
                           .where(ActivatedEnterprise.activation_id == activation_id)).all()
    return {c: (s, ch, v) for c, s, ch, v in rows}


def measures_of(session, activation_id, credit_code) -> list[str]:
    activation = session.get(Activation, activation_id)
    return session.scalars(select(Measure.description)
                           .join(ActivatedEnterprise, ActivatedEnterprise.list_version_id == Measure.list_version_id)
                           .join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id)
                           .where(ActivatedEnterprise.activation_id == activation_id, Enterprise.credit_code == credit_code,
                                  Measure.level == activation.level).order_by(Measure.position)).all()


def test_activation_covers_every_enterprise_of_the_area_marking_self_chosen_ones(lists):
    activation = approve(lists, draft(lists, level="red").warning_id)
    got = activated(lists, activation.id)
    assert set(got) == {code(n) for n in range(1, 6)}
    assert {c for c, (self_chosen, _, _) in got.items() if self_chosen} == {code(1), code(3)}  # grade A, guarantee
    current = dict(lists.execute(select(Enterprise.credit_code, Enterprise.current_version_id)).all())
    assert {c: v for c, (_, _, v) in got.items()} == current
    assert measures_of(lists, activation.id, code(2)) == ["红色预警期间限产"]
    assert (activation.enterprises, activation.changed) == (5, 5)


def test_recipients_are_contacts_in_order_and_the_units_of_the_area(lists):
    activation = approve(lists, draft(lists, level="red").warning_id)
    rows = lists.execute(select(Recipient.enterprise_id, Recipient.unit_id, Recipient.position, Recipient.name,
                                Recipient.mobile).where(Recipient.activation_id == activation.id)
                         .order_by(Recipient.enterprise_id, Recipient.position)).all()
    first = lists.scalar(select(Enterprise.id).where(Enterprise.credit_code == code(1)))
    assert [(r.position, r.name) for r in rows if r.enterprise_id == first] == [(1, "联系人1"), (2, "第二联系人")]
    assert sum(r.enterprise_id is not None for r in rows) == 6
    assert sum(r.unit_id is not None for r in rows) == 3 == activation.recipients - 6
    duties = lists.scalars(select(ActivatedDuty.duty).where(ActivatedDuty.activation_id == activation.id)).all()
    assert duties == ["红色预警：执法检查"]


def test_a_town_warning_activates_that_town_and_the_district_units_only(lists):
    activation = approve(lists, draft(lists, area="西红门镇", level="red").warning_id)
    assert set(activated(lists, activation.id)) == {code(4)}
    units = lists.scalars(select(Recipient.name).where(Recipient.activation_id == activation.id,
                                                       Recipient.unit_id.is_not(None)).order_by(Recipient.name)).all()
    assert units == ["王五", "钱七"]  # 区生态环境局 and 西红门镇, not 黄村镇


def test_a_list_reimported_during_the_warning_does_not_change_what_was_activated(lists, tmp_path):
    warning_id = draft(lists, level="orange", start=at(-1)).warning_id
    first = approve(lists, warning_id)
    revised = {"enterprises": [], "contacts": [],
               "measures": [make_measure(2, level, share, description=f"新版{level}措施")
                            for level, share in zip(("黄色", "橙色", "红色"), (0.1, 0.2, 0.3))]}
    assert run_import(lists, write_xlsx(tmp_path / "revised.xlsx", revised)).written
    assert measures_of(lists, first.id, code(2)) == ["橙色预警期间限产"]
    change(lists, warning_id, level="red")
    upgraded = approve(lists, warning_id)
    assert measures_of(lists, upgraded.id, code(2)) == ["红色预警期间限产"]  # still the pinned version
    pinned = {c: v for c, (_, _, v) in activated(lists, first.id).items()}
    assert {c: v for c, (_, _, v) in activated(lists, upgraded.id).items()} == pinned


def test_an_upgrade_knows_which_enterprises_obligations_changed(lists):
    warning_id = draft(lists, level="orange", start=at(-1)).warning_id
    approve(lists, warning_id)
    change(lists, warning_id, level="red")
    upgraded = approve(lists, warning_id)
    changed = {c for c, (_, ch, _) in activated(lists, upgraded.id).items() if ch}
    assert changed == {code(n) for n in range(1, 5)}  # enterprise 5: the same measures at orange and red
    notified = lists.scalars(select(Enterprise.credit_code).join(Recipient, Recipient.enterprise_id == Enterprise.id)
                             .where(Recipient.activation_id == upgraded.id).distinct()).all()
    assert set(notified) == changed
    assert (upgraded.enterprises, upgraded.changed) == (5, 4)


def test_an_extension_and_a_lift_concern_everyone(lists):
    warning_id = draft(lists, level="orange", start=at(-1)).warning_id
    approve(lists, warning_id)
    change(lists, warning_id, end=at(120))
    extended = approve(lists, warning_id)
    assert extended.changed == 5
    lift(lists, warning_id)
    lifted = approve(lists, warning_id)
    assert (lifted.kind, lifted.enterprises, lifted.changed, lifted.recipients) == ("lift", 5, 5, 9)


def test_nothing_follows_a_lift_approved_for_later(lists):
    warning_id = issued(lists, start=at(-1))
    lift(lists, warning_id, when=at(20))
    approve(lists, warning_id)
    refused(lists, lambda: change(lists, warning_id, end=at(120)), "to be lifted")
    refused(lists, lambda: lift(lists, warning_id, when=at(10)), "to be lifted")


def test_a_lift_in_the_past_is_refused(lists):
    warning_id = issued(lists, start=at(-1))
    refused(lists, lambda: lift(lists, warning_id, when=at(-2)), "has passed")
    assert lift(lists, warning_id, when=at(-0.05)).lift_at == at(-0.05)  # typed a few minutes ago: still now


def test_direction_overrides_are_taken_out_of_a_reason(lists):
    request = draft(lists, reason="会商\u202e结论\u2066")
    assert request.reason == "会商结论"


def test_a_commander_is_told_in_words_what_the_lists_miss(lists):
    demanding = RULES.model_copy(update={"levels": [lv.model_copy(update={"required": 0.99}) for lv in RULES.levels]})
    warning_id = draft(lists).warning_id
    with pytest.raises(service.Refused) as caught:
        service.approve(session=lists, rules=demanding, config=CONFIG, warning_id=warning_id,
                        actor=who("chief", "commander"), now=NOW)
    assert caught.value.code == "inadequate_lists"
    assert "二氧化硫" in caught.value.zh and "要求 99%" in caught.value.zh and "--reason" not in caught.value.zh
