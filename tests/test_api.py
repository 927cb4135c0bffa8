"""The JSON API v1 (../shared/spec/api.md) as its clients use it: tokens and throttling, the warning
lifecycle by two people, areas as scope, roles, validation, uploads, body limits, security headers,
CSRF for the browser session and the documentation page.

One demo database per backend (`emergency demo --enterprises 30`) serves the module; tests that
create warnings close every open warning before and after themselves (`no_open_warnings`).
Passwords are hashed with a cheap argon2 setting here (the real one takes ~0.3 s per hash)."""
from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.db import make_engine
from config.settings import Settings
from emergency import demo as demo_data
from emergency.warnings.models import OPEN, Request as WarningRequest, Warning
from emergency.web.app import create_app
from lists.models import Area, Enterprise
from tests.factories import browser_sign_in, records_for_warnings, write_xlsx
from tests.test_cli import run

ZONE = ZoneInfo("Asia/Shanghai")
STAFF = ("duty", "commander", "commander2", "office", "inspector", "viewer", "admin")
ERROR_KEYS = {"code", "message", "message_zh", "details"}


# -- helpers -----------------------------------------------------------------------------------------

def error_of(response, status: int, code: str | None = None) -> dict:
    """The response has that status and the API's error shape (and that code); returns the error."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers["content-type"]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
    error = body["error"]
    assert isinstance(error["code"], str) and re.fullmatch(r"[a-z][a-z0-9_]*", error["code"]), error
    assert error["message"] and error["message_zh"], error
    assert "Traceback" not in response.text
    if code is not None:
        assert error["code"] == code, error
    return error


def fields_of(error: dict) -> set[str]:
    assert isinstance(error["details"], list) and error["details"], error
    for d in error["details"]:
        assert {"field", "message"} <= set(d), d
    return {d["field"] for d in error["details"]}


def local(day: date, hours: int = 0) -> str:
    """A request time without an offset (read in the configured zone)."""
    return datetime.combine(day, time(hours)).isoformat()


def today() -> date:
    return datetime.now(ZONE).date()


def window(days: int = 4) -> dict:
    """From tomorrow 00:00 to `days` days from today, 00:00 (local, no offset)."""
    return {"start": local(today() + timedelta(days=1)), "end": local(today() + timedelta(days=days))}


def password_of(result) -> str:
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip().splitlines()[0]


@dataclass
class Demo:
    url: str
    app: object
    client: TestClient
    passwords: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    engine: object = None

    def auth(self, user: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, path: str, user: str, **kwargs):
        return self.client.get(path, headers=self.auth(user), **kwargs)

    def post(self, path: str, user: str, **kwargs):
        headers = {**self.auth(user), **kwargs.pop("headers", {})}
        return self.client.post(path, headers=headers, **kwargs)

    def sign_in(self, username: str, password: str | None = None) -> str:
        answer = self.client.post("/api/v1/tokens", json={"username": username,
                                                          "password": password or self.passwords[username]})
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def lenient(self) -> TestClient:
        """A client that shows a server error as the 500 a real client gets (not as an exception)."""
        return TestClient(self.app, follow_redirects=False, raise_server_exceptions=False)

    def browser(self) -> TestClient:
        """A client of its own (its own cookies) on the same application."""
        return TestClient(self.app, follow_redirects=False)

    def draft(self, area: str, user: str = "duty", level: str = "red", **values):
        return self.post("/api/v1/warnings", user, json={"level": level, "area": area, **window(),
                                                        "reason": "会商结论：重污染过程", **values})

    def close_open_warnings(self) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(update(WarningRequest).where(WarningRequest.status == "pending").values(status="withdrawn"))
            session.execute(update(Warning).where(Warning.status.in_(OPEN)).values(status="withdrawn"))

    def enterprise_in(self, town: str) -> str:
        with Session(self.engine) as session:
            return session.scalars(select(Enterprise.credit_code).join(Area, Area.id == Enterprise.town_id)
                                   .where(Area.name == town).order_by(Enterprise.id)).first()


@pytest.fixture(scope="module", autouse=True)
def cheap_passwords():
    from argon2 import PasswordHasher

    from accounts import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        dummy = cheap.hash("dummy-password")
        patch.setattr(passwords, "_dummy", lambda: dummy)
        yield


@pytest.fixture(scope="module")
def demo(databases, cheap_passwords) -> Demo:
    url = databases.new_url()
    assert run("init", "--db", url).exit_code == 0
    loaded = run("demo", "--enterprises", "30", "--db", url)
    assert loaded.exit_code == 0, loaded.stderr
    passwords = dict(re.findall(r"staff login 员工账号: (\S+) / (\S+)", loaded.stderr))
    assert set(STAFF) <= set(passwords), loaded.stderr
    passwords["xhm"] = password_of(run("user", "add", "xhm", "--role", "viewer", "--area", "西红门镇", "--db", url))
    app = create_app(Settings(database_url=url, public_url="http://testserver"))
    engine = make_engine(url)
    with TestClient(app, follow_redirects=False) as client:
        world = Demo(url=url, app=app, client=client, passwords=passwords, engine=engine)
        world.tokens = {user: world.sign_in(user) for user in passwords}
        yield world
    engine.dispose()
    app.state.context.engine.dispose()


@pytest.fixture
def no_open_warnings(demo) -> Demo:
    demo.close_open_warnings()
    yield demo
    demo.close_open_warnings()


# -- 1. tokens and throttling ------------------------------------------------------------------------

def test_a_demo_login_gets_a_token_with_its_expiry(demo):
    answer = demo.client.post("/api/v1/tokens", json={"username": "viewer", "password": demo.passwords["viewer"]})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"token", "expires_at"} and len(body["token"]) >= 32
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.tzinfo is not None
    assert timedelta(hours=11) < expires - datetime.now(ZONE) <= timedelta(hours=12, minutes=1)
    me = demo.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["username"] == "viewer"


def test_unknown_user_and_wrong_password_get_the_same_401(demo):
    unknown = demo.client.post("/api/v1/tokens", json={"username": "nobody-here", "password": "whatever-123"})
    wrong = demo.client.post("/api/v1/tokens", json={"username": "office", "password": "not-the-password"})
    error_of(unknown, 401, "wrong_credentials")
    error_of(wrong, 401)
    assert unknown.json() == wrong.json()
    assert "token" not in unknown.text


def test_five_failures_for_a_username_are_refused_with_retry_after_across_two_app_instances(db_url):
    assert run("init", "--db", db_url).exit_code == 0
    password = password_of(run("user", "add", "locked", "--role", "viewer", "--db", db_url))
    settings = Settings(database_url=db_url, public_url="http://testserver")
    first, second = create_app(settings), create_app(settings)
    try:
        with TestClient(first, follow_redirects=False) as a, TestClient(second, follow_redirects=False) as b:
            for client in (a, b, a, b, a):  # five failures, counted by both instances together
                error_of(client.post("/api/v1/tokens", json={"username": "locked", "password": "wrong"}), 401,
                         "wrong_credentials")
            for client in (b, a):  # now refused, even with the right password, by either instance
                refused = client.post("/api/v1/tokens", json={"username": "locked", "password": password})
                error_of(refused, 429, "too_many_failures")
                assert int(refused.headers["Retry-After"]) > 0
            # another username is not concerned
            other = password_of(run("user", "add", "other", "--role", "viewer", "--db", db_url))
            assert b.post("/api/v1/tokens", json={"username": "other", "password": other}).status_code == 201
    finally:
        first.state.context.engine.dispose()
        second.state.context.engine.dispose()


# -- 2. authentication -------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer garbage-token-value"}, {"Authorization": "Bearer "},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer " + "x" * 5000}])
def test_no_or_an_invalid_token_is_401(demo, headers):
    answer = demo.client.get("/api/v1/me", headers=headers)
    error_of(answer, 401, "unauthorized")
    assert answer.headers.get("WWW-Authenticate") == "Bearer"


def test_a_revoked_token_is_401(demo):
    token = demo.sign_in("viewer")
    headers = {"Authorization": f"Bearer {token}"}
    assert demo.client.get("/api/v1/me", headers=headers).status_code == 200
    assert demo.client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    error_of(demo.client.get("/api/v1/me", headers=headers), 401, "unauthorized")
    error_of(demo.client.delete("/api/v1/tokens/current", headers=headers), 401)


def test_me_names_the_user_role_and_area(demo):
    inspector = demo.get("/api/v1/me", "inspector")
    assert inspector.status_code == 200
    assert {k: inspector.json()[k] for k in ("username", "role", "area")} == \
           {"username": "inspector", "role": "inspector", "area": "黄村镇"}
    assert "name" in inspector.json()
    duty = demo.get("/api/v1/me", "duty").json()
    assert (duty["username"], duty["role"], duty["area"]) == ("duty", "duty_officer", None)


# -- 3. the warning lifecycle: draft, sign-off by another person, change, lift ------------------------

def test_draft_approve_change_lift_withdraw_by_the_right_people(no_open_warnings):
    demo = no_open_warnings
    drafted = demo.draft("大兴区")
    assert drafted.status_code == 201, drafted.text
    warning = drafted.json()
    wid = warning["id"]
    assert warning["status"] == "draft" and warning["level"] == "red" and warning["area"] == "大兴区"
    assert warning["pending"]["kind"] == "issue" and warning["pending"]["requested_by"] == "duty"
    assert isinstance(warning["pending"]["adequacy"], dict) and warning["pending"]["adequacy"]["ok"] is True
    start = datetime.fromisoformat(warning["start"])
    assert start == datetime.combine(today() + timedelta(days=1), time(0), ZONE)  # read in the configured zone
    assert warning["start"].endswith("+08:00")

    error_of(demo.post(f"/api/v1/warnings/{wid}/approve", "duty", json={}), 403, "forbidden")
    approved = demo.post(f"/api/v1/warnings/{wid}/approve", "commander", json={})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "scheduled" and approved.json()["pending"] is None

    events = demo.get(f"/api/v1/warnings/{wid}/events", "viewer")
    assert events.status_code == 200
    by_kind = {e["kind"]: e for e in events.json()}
    assert by_kind["warning.drafted"]["actor"] == "duty" and by_kind["warning.drafted"]["actor_id"] is not None
    assert by_kind["warning.approved"]["actor"] == "commander" and by_kind["warning.approved"]["actor_id"] is not None
    assert by_kind["warning.drafted"]["actor_id"] != by_kind["warning.approved"]["actor_id"]

    for area in ("大兴区", "黄村镇"):  # the district and a town inside it are already under warning
        error_of(demo.draft(area), 409, "area_under_warning")

    change = demo.post(f"/api/v1/warnings/{wid}/change", "duty", json={"level": "orange", "reason": "污染减轻"})
    assert change.status_code == 201, change.text
    assert change.json()["pending"]["kind"] == "change" and change.json()["level"] == "red"
    error_of(demo.post(f"/api/v1/warnings/{wid}/change", "duty", json={"level": "yellow", "reason": "再降"}), 409,
             "request_pending")
    changed = demo.post(f"/api/v1/warnings/{wid}/approve", "commander2", json={})
    assert changed.status_code == 200, changed.text
    assert changed.json()["level"] == "orange" and changed.json()["pending"] is None

    lift = demo.post(f"/api/v1/warnings/{wid}/lift", "duty",
                     json={"at": local(today() + timedelta(days=2), 12), "reason": "空气质量好转"})
    assert lift.status_code == 201, lift.text
    assert lift.json()["pending"]["kind"] == "lift"
    withdrawn = demo.post(f"/api/v1/warnings/{wid}/withdraw", "duty", json={"reason": "预报更新，暂不解除"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["pending"] is None and withdrawn.json()["status"] == "scheduled"

    error_of(demo.post(f"/api/v1/warnings/{wid}/approve", "commander", json={}), 409, "nothing_to_approve")
    shown = demo.get(f"/api/v1/warnings/{wid}", "viewer").json()
    assert [(r["kind"], r["status"]) for r in shown["history"]] == \
           [("issue", "approved"), ("change", "approved"), ("lift", "withdrawn")]
    assert [r["decided_by"] for r in shown["history"]] == ["commander", "commander2", "duty"]


def test_a_duty_officer_may_not_withdraw_another_ones_request(no_open_warnings):
    demo = no_open_warnings
    other = password_of(run("user", "add", "duty2", "--role", "duty_officer", "--db", demo.url))
    demo.tokens["duty2"] = demo.sign_in("duty2", other)
    wid = demo.draft("旧宫镇").json()["id"]
    error_of(demo.post(f"/api/v1/warnings/{wid}/withdraw", "duty2", json={"reason": "不是我的"}), 403, "forbidden")
    error_of(demo.post(f"/api/v1/warnings/{wid}/withdraw", "duty", json={"reason": "  "}), 422, "reason_required")
    rejected = demo.post(f"/api/v1/warnings/{wid}/withdraw", "commander", json={"reason": "驳回"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "withdrawn"


# -- 4. scope: areas ---------------------------------------------------------------------------------

def test_town_users_see_the_district_warning_that_contains_their_town(no_open_warnings):
    demo = no_open_warnings
    wid = demo.draft("大兴区").json()["id"]
    for user in ("inspector", "xhm", "viewer"):
        assert wid in [w["id"] for w in demo.get("/api/v1/warnings", user).json()], user
        shown = demo.get(f"/api/v1/warnings/{wid}", user)
        assert shown.status_code == 200 and shown.json()["area"] == "大兴区", user
        assert demo.get(f"/api/v1/warnings/{wid}/events", user).status_code == 200


def test_a_town_warning_is_404_and_unlisted_for_another_towns_inspector(no_open_warnings):
    demo = no_open_warnings
    drafted = demo.draft("西红门镇")
    assert drafted.status_code == 201, drafted.text
    wid = drafted.json()["id"]
    error_of(demo.get(f"/api/v1/warnings/{wid}", "inspector"), 404, "not_found")
    for path in ("events", "enterprises", "cap"):
        error_of(demo.get(f"/api/v1/warnings/{wid}/{path}", "inspector"), 404)
    for status in ("open", "all"):
        listed = demo.get("/api/v1/warnings", "inspector", params={"status": status})
        assert listed.status_code == 200 and wid not in [w["id"] for w in listed.json()]
    assert wid in [w["id"] for w in demo.get("/api/v1/warnings", "xhm").json()]
    assert demo.get(f"/api/v1/warnings/{wid}", "xhm").status_code == 200
    assert wid in [w["id"] for w in demo.get("/api/v1/warnings", "office").json()]
    # nor may the inspector act on it (the role check comes first)
    error_of(demo.post(f"/api/v1/warnings/{wid}/approve", "inspector", json={}), 403)


def test_warning_enterprises_are_those_of_the_users_area(no_open_warnings):
    demo = no_open_warnings
    wid = demo.draft("大兴区").json()["id"]
    assert demo.post(f"/api/v1/warnings/{wid}/approve", "commander", json={}).status_code == 200
    everything = demo.get(f"/api/v1/warnings/{wid}/enterprises", "office", params={"per_page": 500})
    assert everything.status_code == 200, everything.text
    towns = {e["town"] for e in everything.json()["items"]}
    assert len(towns) > 1 and "黄村镇" in towns
    assert everything.json()["total"] == len(everything.json()["items"]) > 0
    mine = demo.get(f"/api/v1/warnings/{wid}/enterprises", "inspector", params={"per_page": 500})
    assert mine.status_code == 200, mine.text
    items = mine.json()["items"]
    assert items and {e["town"] for e in items} == {"黄村镇"}
    assert mine.json()["total"] == len(items) == sum(e["town"] == "黄村镇" for e in everything.json()["items"])
    # asking for another town's enterprises gives nothing, not theirs
    other = demo.get(f"/api/v1/warnings/{wid}/enterprises", "inspector", params={"town": "西红门镇"})
    assert other.status_code == 200 and other.json()["total"] == 0 and other.json()["items"] == []


def test_enterprises_are_those_of_the_users_area(demo):
    mine = demo.get("/api/v1/enterprises", "inspector", params={"per_page": 500})
    assert mine.status_code == 200
    assert mine.json()["items"] and {e["town"] for e in mine.json()["items"]} == {"黄村镇"}
    everything = demo.get("/api/v1/enterprises", "office", params={"per_page": 500}).json()
    assert everything["total"] == 30 and mine.json()["total"] < 30
    theirs = demo.enterprise_in("西红门镇")
    assert theirs is not None
    error_of(demo.get(f"/api/v1/enterprises/{theirs}", "inspector"), 404, "not_found")
    assert demo.get(f"/api/v1/enterprises/{theirs}", "office").status_code == 200
    own = demo.get(f"/api/v1/enterprises/{demo.enterprise_in('黄村镇')}", "inspector")
    assert own.status_code == 200 and own.json()["town"] == "黄村镇"
    assert demo.get("/api/v1/enterprises", "inspector", params={"town": "西红门镇"}).json()["total"] == 0


def test_enterprises_filter_by_industry_and_grade(demo):
    everything = demo.get("/api/v1/enterprises", "office", params={"per_page": 500}).json()["items"]
    industry = everything[0]["industry"]
    found = demo.get("/api/v1/enterprises", "office", params={"industry": industry, "per_page": 500}).json()
    assert found["total"] == sum(e["industry"] == industry for e in everything) and found["total"] < len(everything)
    grade = next(e["grade"] for e in everything if e["grade"])
    graded = demo.get("/api/v1/enterprises", "office", params={"grade": grade, "per_page": 500}).json()
    assert {e["grade"] for e in graded["items"]} == {grade}


# -- 5. roles ----------------------------------------------------------------------------------------

def test_roles_that_may_not_act_get_403(no_open_warnings):
    demo = no_open_warnings
    error_of(demo.draft("旧宫镇", user="viewer"), 403, "forbidden")
    csv = demo_data.forecast_csv(today())
    error_of(demo.post("/api/v1/forecasts", "office", content=csv.encode(), headers={"Content-Type": "text/csv"}),
             403, "forbidden")
    drafted = demo.draft("黄村镇")
    assert drafted.status_code == 201, drafted.text
    wid = drafted.json()["id"]
    error_of(demo.post(f"/api/v1/warnings/{wid}/approve", "inspector", json={}), 403, "forbidden")
    error_of(demo.post(f"/api/v1/warnings/{wid}/approve", "office", json={}), 403, "forbidden")
    error_of(demo.post(f"/api/v1/warnings/{wid}/withdraw", "viewer", json={"reason": "x"}), 403, "forbidden")
    assert demo.get(f"/api/v1/warnings/{wid}", "viewer").json()["pending"]["kind"] == "issue"  # nothing changed


# -- 6. validation and hostile input -----------------------------------------------------------------

def test_an_unknown_level_is_422_naming_the_field(demo):
    error = error_of(demo.draft("旧宫镇", level="purple"), 422)
    assert "level" in fields_of(error)


def test_an_end_before_the_start_is_422(demo):
    error = error_of(demo.draft("旧宫镇", start=local(today() + timedelta(days=3)),
                                end=local(today() + timedelta(days=2))), 422)
    assert "end" in fields_of(error)


def test_a_missing_field_is_422_with_details(demo):
    answer = demo.post("/api/v1/warnings", "duty", json={"level": "red", "area": "旧宫镇", **window()})
    error = error_of(answer, 422, "invalid")
    assert "reason" in fields_of(error)
    bad_time = demo.post("/api/v1/warnings", "duty", json={"level": "red", "area": "旧宫镇", "start": "tomorrow",
                                                           "end": "later", "reason": "x"})
    assert {"start", "end"} <= fields_of(error_of(bad_time, 422))


@pytest.mark.parametrize("body", [b'{"level": "red", "area":', b"not json at all", b"\xff\xfe\x00"])
def test_a_malformed_json_body_is_400(demo, body):
    answer = demo.post("/api/v1/warnings", "duty", content=body, headers={"Content-Type": "application/json"})
    error_of(answer, 400)


@pytest.mark.parametrize("wid", ["1" * 25, "9" * 5000, "-1", "0", "abc", "1e3"])
def test_absurd_ids_in_the_path_are_4xx_not_500(demo, wid):
    for answer in (demo.get(f"/api/v1/warnings/{wid}", "viewer"),
                   demo.get(f"/api/v1/warnings/{wid}/events", "viewer"),
                   demo.post(f"/api/v1/warnings/{wid}/approve", "commander", json={})):
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
        error_of(answer, answer.status_code)


@pytest.mark.parametrize("kind, values, field", [
    ("draft", {"start": "0001-01-01T00:00:00"}, "start"),  # year 1 in Shanghai is before year 1 in UTC
    ("draft", {"end": "9999-12-31T23:59:59-12:00"}, "end"),  # after 9999 in UTC
    ("draft", {"end": "9999-12-31T23:59:59+00:00"}, "end"),  # after 9999 in Shanghai, where answers are given
    ("lift", {"at": "0001-01-01T00:00:00"}, "at"),
])
def test_times_beyond_the_calendar_are_422_not_500(no_open_warnings, kind, values, field):
    demo, client = no_open_warnings, no_open_warnings.lenient()
    if kind == "draft":
        body = {"level": "red", "area": "旧宫镇", **window(), "reason": "会商结论", **values}
        answer = client.post("/api/v1/warnings", headers=demo.auth("duty"), json=body)
    else:
        wid = demo.draft("旧宫镇").json()["id"]
        assert demo.post(f"/api/v1/warnings/{wid}/approve", "commander", json={}).status_code == 200
        answer = client.post(f"/api/v1/warnings/{wid}/lift", headers=demo.auth("duty"), json={"reason": "好转", **values})
    assert field in fields_of(error_of(answer, 422))


@pytest.mark.parametrize("value", ["Bearer 令牌".encode(), b"Bearer \xff\xfe\xfd", "令牌".encode(), b"\xc3\x28 \x80"])
def test_an_authorization_header_with_non_ascii_bytes_is_401(demo, value):
    answer = demo.client.get("/api/v1/me", headers={"Authorization": value})
    error_of(answer, 401)


@pytest.mark.parametrize("cookie", [b"emergency_session=garbage", b"emergency_session=" + b"x" * 5000,
                                    "emergency_session=会话".encode(), b"emergency_session=\xff\xfe; other=\x80",
                                    b"emergency_session"])
def test_a_broken_session_cookie_is_a_redirect_or_401(demo, cookie):
    browser = demo.browser()
    page = browser.get("/", headers={"Cookie": cookie})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    error_of(browser.get("/api/v1/me", headers={"Cookie": cookie}), 401)
    refused = browser.post("/api/v1/warnings", headers={"Cookie": cookie}, json={"level": "red"})
    assert refused.status_code in (401, 422), refused.text
    assert browser.get("/api/docs", headers={"Cookie": cookie}).status_code in (303, 401)


# -- 7. uploads: forecasts and lists -----------------------------------------------------------------

def test_a_forecast_csv_dry_run_answers_its_rows(demo):
    csv = demo_data.forecast_csv(today())
    answer = demo.post("/api/v1/forecasts", "duty", params={"dry_run": "true"}, content=csv.encode(),
                       headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == 4 and answer.json()["errors"] == [] and answer.json()["import_id"] is None
    multipart = demo.post("/api/v1/forecasts", "duty", params={"dry_run": "true"},
                          files={"file": ("forecast.csv", csv.encode(), "text/csv")})
    assert multipart.status_code == 200 and multipart.json()["rows"] == 4


def test_a_forecast_for_an_unknown_area_is_422_with_located_errors(demo):
    csv = demo_data.forecast_csv(today()) + f"火星区,{today() + timedelta(days=1)},200,250,80\n"
    answer = demo.post("/api/v1/forecasts", "duty", params={"dry_run": "true"}, content=csv.encode(),
                       headers={"Content-Type": "text/csv"})
    error = error_of(answer, 422)
    assert isinstance(error["details"], list) and len(error["details"]) == 1
    located = error["details"][0]
    assert located["row"] == 6 and "area" in located["column"] and "火星区" in json.dumps(located, ensure_ascii=False)
    error_of(demo.post("/api/v1/forecasts", "duty", content=b"\xff\xfe garbage", headers={"Content-Type": "text/csv"}),
             422)
    error_of(demo.post("/api/v1/forecasts", "duty", content=b"{}", headers={"Content-Type": "application/json"}), 415)


def test_a_list_workbook_dry_run_is_200_and_a_garbage_file_is_422(demo, tmp_path):
    book = write_xlsx(tmp_path / "lists.xlsx", records_for_warnings()).read_bytes()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    answer = demo.post("/api/v1/lists/imports", "duty", params={"dry_run": "true"},
                       files={"file": ("lists.xlsx", book, xlsx)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["enterprises"] == 5 and answer.json()["errors"] == []
    for garbage in (b"this is not a workbook", b"PK\x03\x04 this is not a zip either", book[: len(book) // 2]):
        refused = demo.post("/api/v1/lists/imports", "duty", params={"dry_run": "true"},
                            files={"file": ("lists.xlsx", garbage, xlsx)})
        error_of(refused, 422)
    error_of(demo.post("/api/v1/lists/imports", "duty", params={"dry_run": "true"}, data={"x": "1"},
                       files={"other": ("a.txt", b"a", "text/plain")}), 422, "file_required")
    error_of(demo.post("/api/v1/lists/imports", "viewer", params={"dry_run": "true"},
                       files={"file": ("lists.xlsx", book, xlsx)}), 403)


# -- 8. edges: body limits and security headers ------------------------------------------------------

SIXTY_MB = 60 * 1024 * 1024


@pytest.mark.parametrize("path", ["/login", "/api/v1/tokens"])
def test_a_60_mb_body_is_413_with_or_without_content_length(demo, path):
    body = b"a" * SIXTY_MB
    sized = demo.browser().post(path, content=body, headers={"Content-Type": "application/json"})
    assert sized.status_code == 413
    error_of(sized, 413, "too_large")

    def chunks():
        chunk = b"b" * (1024 * 1024)
        for _ in range(60):
            yield chunk

    streamed = demo.browser().post(path, content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    error_of(streamed, 413, "too_large")


@pytest.mark.parametrize("path", ["/login", "/api/v1/tokens"])
def test_a_streamed_body_is_cut_off_at_the_limit_not_read_to_the_end(demo, path):
    """Straight through ASGI, one MB at a time and no Content-Length: reading stops past 256 KB."""
    chunk, given, sent = b"c" * (1024 * 1024), [], []

    async def receive():
        if len(given) >= 60:
            return {"type": "http.request", "body": b"", "more_body": False}
        given.append(1)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
                         (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "state": {}}
    asyncio.run(demo.app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert len(given) <= 2  # not the 60 MB
    assert sum(m["type"] == "http.response.start" for m in sent) == 1


def test_every_answer_carries_the_security_headers(demo):
    browser = demo.browser()
    answers = [demo.get("/api/v1/me", "viewer"), demo.client.get("/api/v1/me"), demo.get("/api/v1/warnings/999999", "viewer"),
               demo.get("/api/v1/nothing-here", "viewer"), demo.client.get("/api/v1/openapi.json"),
               demo.client.post("/api/v1/tokens", content=b"{", headers={"Content-Type": "application/json"}),
               demo.client.post("/api/v1/tokens", content=b"x" * (300 * 1024)),
               browser.get("/login"), browser.get("/"), browser.get("/api/docs"), browser.get("/healthz"),
               browser.get("/static/vendor/swagger-ui/swagger-ui-bundle.js"), browser.get("/a/forged-token"),
               browser.get("/no-such-page")]
    for answer in answers:
        headers = answer.headers
        assert "default-src 'self'" in headers.get("content-security-policy", ""), (answer.request.url, headers)
        assert headers.get("x-content-type-options") == "nosniff", answer.request.url


# -- 9. the browser session: CSRF, signing out, disabled users ----------------------------------------

def test_the_browser_session_needs_the_csrf_token_to_change_anything(no_open_warnings):
    demo = no_open_warnings
    browser = demo.browser()
    signed_in, csrf = browser_sign_in(browser, "duty", demo.passwords["duty"])
    assert signed_in.status_code == 303 and csrf
    body = {"level": "orange", "area": "旧宫镇", **window(), "reason": "会商结论"}
    error_of(browser.post("/api/v1/warnings", json=body), 403, "csrf_failed")
    error_of(browser.post("/api/v1/warnings", json=body, headers={"X-CSRF-Token": "wrong" + csrf}), 403, "csrf_failed")
    assert demo.get("/api/v1/warnings", "office").json() == []  # nothing was drafted
    made = browser.post("/api/v1/warnings", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    events = demo.get(f"/api/v1/warnings/{made.json()['id']}/events", "viewer").json()
    assert events[0]["actor"] == "duty"
    assert browser.get("/api/v1/me").json()["username"] == "duty"  # reads need no token


def test_signing_out_ends_the_session(demo):
    browser = demo.browser()
    _, csrf = browser_sign_in(browser, "viewer", demo.passwords["viewer"])
    assert browser.get("/").status_code == 200
    assert browser.post("/logout").status_code == 403  # not without the CSRF token
    assert browser.get("/").status_code == 200
    out = browser.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    again = browser.get("/")
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_disabling_a_user_ends_their_api_token_at_once(demo):
    password = password_of(run("user", "add", "leaving", "--role", "viewer", "--db", demo.url))
    token = demo.sign_in("leaving", password)
    headers = {"Authorization": f"Bearer {token}"}
    assert demo.client.get("/api/v1/me", headers=headers).status_code == 200
    browser = demo.browser()
    browser_sign_in(browser, "leaving", password)
    assert browser.get("/").status_code == 200
    assert run("user", "disable", "leaving", "--db", demo.url).exit_code == 0
    error_of(demo.client.get("/api/v1/me", headers=headers), 401)
    assert browser.get("/").status_code == 303
    error_of(demo.client.post("/api/v1/tokens", json={"username": "leaving", "password": password}), 401)


# -- 10. the OpenAPI document and the documentation page ---------------------------------------------

def test_the_openapi_document_lists_the_warnings(demo):
    answer = demo.client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document = json.loads(answer.text)
    assert document["openapi"].startswith("3.") and "/api/v1/warnings" in document["paths"]
    assert {"/api/v1/tokens", "/api/v1/me", "/api/v1/warnings/{warning_id}/approve"} <= set(document["paths"])


def test_the_docs_page_needs_a_sign_in_and_serves_swagger_ui_from_this_server(demo):
    browser = demo.browser()
    anonymous = browser.get("/api/docs")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    browser_sign_in(browser, "viewer", demo.passwords["viewer"])
    docs = browser.get("/api/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert not re.search(r'src="https?://', docs.text)  # nothing from another server (the CSP would block it)
    script = browser.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"] and len(script.content) > 1000
    # a bearer token works for the page too
    assert demo.get("/api/docs", "viewer").status_code == 200
