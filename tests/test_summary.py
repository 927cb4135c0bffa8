"""The summary of one warning against hand-computed truth, on both databases.

The scenario (an orange warning over the five enterprises of `records_for_warnings`, approved at
08:00, its notices handed over at 08:05): enterprise 1 (grade A, 黄村镇) has its SMS delivered and confirms at +20 min;
2 (B) only acknowledges by its link at +10; 3 (guarantee, C) has its SMS delivered and stays silent;
4 (D, 西红门镇) has a wrong number and address (every message fails) and stays silent; 5 (C)
acknowledges at +25 and confirms at +40 (minutes from the approval). The ladder, counting from the
hand-over, reminds at +35, calls at +65, reports to the towns at +95."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accounts.models import Role
from alerts import service as alerts
from alerts.models import Delivery
from alerts.providers.base import TransportError
from emergency.dashboard.service import summary
from emergency.dashboard.times import _percentile_cont
from emergency.notices import acknowledge, escalation
from emergency.warnings.models import Recipient, Warning
from emergency.web.app import create_app
from lists.models import Area, Enterprise
from tests.factories import add_user, code, who
from tests.notifying import NOW, make_world

ZONE = ZoneInfo("Asia/Shanghai")
WRONG = TransportError("invalid number", permanent=True, bad_address=True)
SPEC_KEYS = {"warning", "level", "status", "as_of", "enterprises", "self_chosen", "deliveries", "reached",
             "acknowledged", "confirmed", "units", "by_town", "by_industry", "by_grade", "inspections", "escalation"}


def at(world, minutes: float):
    world.clock.now = NOW + timedelta(minutes=minutes)
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


def delivered(world, mobile: str) -> None:
    with world.sessions() as session, session.begin():
        row = session.scalars(select(Delivery).where(Delivery.address == mobile, Delivery.purpose == "notice")).one()
        alerts.apply_status(session, delivery_id=row.id, provider_id=None, status="delivered",
                            provider_status="DELIVRD", error=None, now=world.clock.now)


def sweep(world) -> None:
    with world.sessions() as session, session.begin():
        escalation.sweep(session=session, config=world.settings.app, now=world.clock.now)
    world.dispatcher().run(once=True)


@pytest.fixture
def scenario(db_url, tmp_path):
    world = make_world(db_url, tmp_path)
    world.fakes["sms"].fail("+8613800000004", *[WRONG] * 10)
    world.fakes["email"].fail("c4@example.com", *[WRONG] * 10)
    warning_id = world.issue("orange")
    at(world, 5), world.dispatcher().run(once=True)
    delivered(world, "+8613800000001")
    delivered(world, "+8613800000003")
    at(world, 10), acknowledges(world, 2)
    at(world, 20), confirms(world, 1)
    at(world, 25), acknowledges(world, 5)
    at(world, 35), sweep(world)
    at(world, 40), confirms(world, 5)
    for minutes in (65, 95):
        at(world, minutes), sweep(world)
    world.warning_id = warning_id
    return world


def summary_of(world, actor=None) -> dict:
    with world.sessions() as session:
        return summary(session, session.get(Warning, world.warning_id), actor or who("viewer"), ZONE, world.clock.now)


def row(rows: list[dict], key: str, value) -> dict:
    found = [r for r in rows if r[key] == value]
    assert len(found) == 1, rows
    return {k: v for k, v in found[0].items() if k != key}


def test_the_summary_counts_match_the_scenario(scenario):
    doc = summary_of(scenario)
    assert SPEC_KEYS <= set(doc) and set(doc) - SPEC_KEYS == {"drill", "times"}
    assert (doc["warning"], doc["level"], doc["status"]) == (scenario.warning_id, "orange", "scheduled")
    assert doc["drill"] is False
    assert {k: doc[k] for k in ("enterprises", "self_chosen", "reached", "acknowledged", "confirmed")} == {
        "enterprises": 5, "self_chosen": 2, "reached": 4, "acknowledged": 3, "confirmed": 2}
    assert row(doc["by_town"], "area", "黄村镇") == {"enterprises": 4, "reached": 4, "acknowledged": 3, "confirmed": 2}
    assert row(doc["by_town"], "area", "西红门镇") == {"enterprises": 1, "reached": 0, "acknowledged": 0, "confirmed": 0}
    assert row(doc["by_industry"], "industry", "包装印刷") == {"enterprises": 5, "reached": 4, "acknowledged": 3,
                                                              "confirmed": 2}
    grades = {r["grade"]: (r["enterprises"], r["reached"], r["acknowledged"], r["confirmed"]) for r in doc["by_grade"]}
    assert grades == {"A": (1, 1, 1, 1), "B": (1, 1, 1, 0), "C": (2, 2, 1, 1), "D": (1, 0, 0, 0)}
    assert doc["escalation"] == {"reminded": 3, "called": 2, "reported_to_town": 3}
    assert doc["inspections"] == {"visits": 0, "violations": 0, "enterprises_visited": 0, "enterprises_violating": 0}
    assert doc["units"] == {"total": 4, "acknowledged": 0, "confirmed": 0}


def test_deliveries_are_counted_by_status_with_the_failed_ones(scenario):
    deliveries = summary_of(scenario)["deliveries"]
    with scenario.sessions() as session:
        rows = session.scalars(select(Delivery)).all()
    assert deliveries["failed"] == 2  # enterprise 4's SMS and e-mail notice (it is never reminded: nothing reached it)
    assert deliveries["delivered"] == 2
    assert sum(deliveries.values()) == len(rows)
    assert {s: n for s, n in deliveries.items() if n} == {s: sum(1 for r in rows if r.status == s)
                                                         for s in {r.status for r in rows}}


def test_the_times_are_medians_and_90th_percentiles_from_the_approval_of_the_notice(scenario):
    times = summary_of(scenario)["times"]
    # from the approval (not the hand-over 5 minutes later): receipts at 10, 20, 25 min,
    # confirmations at 20, 40 min (percentile_cont interpolates)
    assert times["acknowledged"] == {"n": 3, "median": 20.0, "p90": 24.0}
    assert times["confirmed"] == {"n": 2, "median": 30.0, "p90": 38.0}
    assert times["by_town"] == [{"area": "黄村镇", "acknowledged": {"n": 3, "median": 20.0, "p90": 24.0},
                                 "confirmed": {"n": 2, "median": 30.0, "p90": 38.0}}]


def test_a_user_of_one_town_sees_only_that_towns_counts(scenario):
    with scenario.sessions() as session:
        path = session.scalar(select(Area.path).where(Area.name == "西红门镇"))
    doc = summary_of(scenario, who("viewer", area_path=path))
    assert (doc["enterprises"], doc["reached"], doc["acknowledged"], doc["confirmed"]) == (1, 0, 0, 0)
    assert [r["area"] for r in doc["by_town"]] == ["西红门镇"]
    # enterprise 4's two failed notices, and its office's notice and report of the unconfirmed (SMS)
    assert doc["deliveries"]["failed"] == 2 and doc["deliveries"]["sent"] == 2 and sum(doc["deliveries"].values()) == 4
    assert doc["units"]["total"] == 1
    assert doc["escalation"] == {"reminded": 0, "called": 0, "reported_to_town": 1}
    assert doc["times"]["acknowledged"] == {"n": 0, "median": None, "p90": None}


def test_after_the_lift_the_counts_are_those_of_the_notice_with_measures(scenario):
    from emergency.warnings import service
    from tests.notifying import RULES

    at(scenario, 30 * 60)
    with scenario.sessions() as session, session.begin():
        service.request_lift(session=session, warning_id=scenario.warning_id, at=scenario.clock.now, reason="好转",
                             actor=who("duty"), now=scenario.clock.now)
        service.approve(session=session, rules=RULES, config=scenario.settings.app, warning_id=scenario.warning_id,
                        actor=who("chief"), now=scenario.clock.now)
    scenario.dispatcher().run(once=True)
    acknowledges(scenario, 3)  # receipt of the lift: not a confirmation of measures
    doc = summary_of(scenario)
    assert (doc["status"], doc["acknowledged"], doc["confirmed"]) == ("lifted", 3, 2)
    assert doc["escalation"]["reported_to_town"] == 3


def test_a_drill_not_yet_approved_has_zero_counts(db_url, tmp_path):
    from emergency.warnings import service
    from tests.notifying import RULES

    world = make_world(db_url, tmp_path)
    with world.sessions() as session, session.begin():
        draft = service.draft(session=session, rules=RULES, config=world.settings.app, area="大兴区", level="red",
                              start=NOW + timedelta(days=1), end=NOW + timedelta(days=2), reason="会商",
                              actor=who("duty"), now=NOW, drill=True)
        doc = summary(session, session.get(Warning, draft.warning_id), who("viewer"), ZONE, NOW)
    assert (doc["enterprises"], doc["status"], doc["drill"], doc["by_town"]) == (0, "draft", True, [])
    assert doc["times"]["confirmed"]["n"] == 0 and sum(doc["deliveries"].values()) == 0


def test_the_api_answers_the_summary_in_scope_and_404_outside(scenario):
    from emergency.warnings import service
    from tests.notifying import RULES

    with scenario.sessions() as session, session.begin():
        town = session.scalar(select(Area).where(Area.name == "西红门镇"))
        _, password = add_user(session, "reader", Role.VIEWER)
        _, town_password = add_user(session, "towner", Role.VIEWER, area=town)
        elsewhere = service.draft(session=session, rules=RULES, config=scenario.settings.app, area="黄村镇",
                                  level="yellow", start=NOW + timedelta(days=1), end=NOW + timedelta(days=2),
                                  reason="演练", actor=who("duty"), now=NOW, drill=True).warning_id
    with TestClient(create_app(scenario.settings)) as client:
        def bearer(user: str, secret: str) -> dict:
            answer = client.post("/api/v1/tokens", json={"username": user, "password": secret})
            return {"Authorization": f"Bearer {answer.json()['token']}"}

        reader, towner = bearer("reader", password), bearer("towner", town_password)
        answer = client.get(f"/api/v1/warnings/{scenario.warning_id}/summary", headers=reader)
        assert answer.status_code == 200 and answer.json()["confirmed"] == 2
        assert answer.json()["as_of"].endswith("+08:00")
        mine = client.get(f"/api/v1/warnings/{scenario.warning_id}/summary", headers=towner).json()
        assert mine["enterprises"] == 1 and [r["area"] for r in mine["by_town"]] == ["西红门镇"]
        assert client.get(f"/api/v1/warnings/{elsewhere}/summary", headers=towner).status_code == 404
        assert client.get(f"/api/v1/warnings/{elsewhere}/summary", headers=reader).status_code == 200
        assert client.get("/api/v1/warnings/999999/summary", headers=reader).status_code == 404
        assert client.get("/api/v1/warnings/0/summary", headers=reader).status_code == 422
        assert client.get(f"/api/v1/warnings/{scenario.warning_id}/summary").status_code == 401


def test_percentile_cont_interpolates_like_postgresql():
    assert _percentile_cont([], 0.5) is None
    assert _percentile_cont([7.0], 0.9) == 7.0
    assert _percentile_cont([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert _percentile_cont([10.0, 20.0, 25.0], 0.9) == pytest.approx(24.0)
