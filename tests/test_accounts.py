"""Areas as a tree, accounts and the rules of who may do what, on the command line and in the services."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from accounts import service as accounts
from accounts.models import LoginFailure, User
from accounts.permissions import Actor, Forbidden, system
from areas import service as areas
from config import rulesets
from config.events import Event
from config.settings import AppConfig
from emergency.warnings import service
from tests.factories import add_user, make_enterprise, make_records, records_for_warnings, run_import, write_xlsx
from tests.test_cli import run

RULES, CONFIG = rulesets.load("national-2024"), AppConfig()
NOW = datetime(2026, 12, 1, 2, tzinfo=timezone.utc)


@pytest.fixture
def tree(session):
    """北京市 → 大兴区 → 黄村镇, 西红门镇 and 北京市 → 朝阳区 → 黄村镇 (a second town of that name);
    and 长春市 → 朝阳区 (a second district of that name)."""
    beijing = areas.add(session, name="北京市", kind="city", code="110000")
    daxing = areas.add(session, name="大兴区", kind="district", parent=beijing, code="110115")
    areas.add(session, name="黄村镇", kind="town", parent=daxing)
    areas.add(session, name="西红门镇", kind="town", parent=daxing)
    chaoyang = areas.add(session, name="朝阳区", kind="district", parent=beijing, code="110105")
    areas.add(session, name="黄村镇", kind="town", parent=chaoyang)
    changchun = areas.add(session, name="长春市", kind="city", code="220100")
    areas.add(session, name="朝阳区", kind="district", parent=changchun, code="220104")
    return session


def test_areas_are_found_by_id_code_path_or_an_unambiguous_name(tree):
    daxing = areas.find(tree, "大兴区")
    assert areas.find(tree, "110115").id == daxing.id == areas.find(tree, daxing.id).id
    assert areas.label(tree, areas.find(tree, "北京市/大兴区/黄村镇")) == "北京市/大兴区/黄村镇"
    assert areas.find(tree, "黄村镇", parent=daxing).path.startswith(daxing.path)
    with pytest.raises(areas.AmbiguousArea, match="北京市/朝阳区.*长春市/朝阳区|长春市/朝阳区.*北京市/朝阳区"):
        areas.find(tree, "朝阳区")
    with pytest.raises(areas.AmbiguousArea):
        areas.find(tree, "黄村镇")
    assert areas.label(tree, areas.find(tree, "220104")) == "长春市/朝阳区"
    with pytest.raises(areas.UnknownArea):
        areas.find(tree, "海淀区")


def test_names_are_unique_among_siblings_only(tree):
    with pytest.raises(areas.BadArea, match="already exists"):
        areas.add(tree, name="黄村镇", kind="town", parent=areas.find(tree, "大兴区"))
    with pytest.raises(areas.BadArea, match="cannot lie inside"):
        areas.add(tree, name="某市", kind="city", parent=areas.find(tree, "大兴区"))
    with pytest.raises(areas.BadArea, match="code 110115 is already used"):
        areas.add(tree, name="通州区", kind="district", parent=areas.find(tree, "北京市"), code="110115")


def test_subtree_and_overlap_work_at_any_depth(tree):
    beijing, daxing = areas.find(tree, "北京市"), areas.find(tree, "大兴区")
    town = areas.find(tree, "黄村镇", parent=daxing)
    inside = set(tree.scalars(areas.subtree(path=beijing.path)))
    assert {daxing.id, town.id, areas.find(tree, "北京市/朝阳区").id} <= inside
    assert areas.find(tree, "长春市/朝阳区").id not in inside
    assert set(areas.overlapping(tree, town)) == {beijing.id, daxing.id, town.id}


@pytest.fixture
def city(session, tmp_path):
    """大兴区 (enterprises 1–5) placed under 北京市, and a second district 通州区 with enterprise 6."""
    records = records_for_warnings()
    records["enterprises"].append(make_enterprise(6, district="通州区", town="永顺镇"))
    records["contacts"] += [c for c in make_records(6)["contacts"] if c["credit_code"] == make_enterprise(6)["credit_code"]]
    records["measures"] += [m for m in make_records(6)["measures"] if m["credit_code"] == make_enterprise(6)["credit_code"]]
    assert not run_import(session, write_xlsx(tmp_path / "l.xlsx", records)).plan.errors
    beijing = areas.add(session, name="北京市", kind="city", code="110000")
    for name in ("大兴区", "通州区"):
        areas.attach(session, areas.find(session, name), beijing)
    return session


def draft(session, area: str, actor: Actor | None = None):
    return service.draft(session=session, rules=RULES, config=CONFIG, area=area, level="orange",
                         start=NOW + timedelta(hours=16), end=NOW + timedelta(hours=88), reason="会商",
                         actor=actor or Actor("duty", "duty_officer"), now=NOW)


def test_a_city_warning_activates_every_district_inside_it_and_blocks_overlapping_drafts(city):
    request = draft(city, "北京市")
    activation = service.approve(session=city, rules=RULES, config=CONFIG, warning_id=request.warning_id,
                                 actor=Actor("chief", "commander"), now=NOW)
    assert activation.enterprises == 6
    for place in ("大兴区", "黄村镇", "通州区"):
        with pytest.raises(service.Refused, match=f"already under warning {request.warning_id}"):
            draft(city, place)


def test_a_town_warning_blocks_its_city_and_district_but_not_another_district(city):
    request = draft(city, "黄村镇")
    for place in ("北京市", "大兴区"):
        with pytest.raises(service.Refused, match=f"already under warning {request.warning_id}"):
            draft(city, place)
    assert draft(city, "通州区").warning_id != request.warning_id


def test_a_district_user_cannot_draft_outside_its_area_and_the_area_seems_unknown(city):
    tongzhou = Actor("duty-tz", "duty_officer", area_path=areas.find(city, "通州区").path)
    with pytest.raises(service.Invalid, match="unknown area"):
        draft(city, "大兴区", tongzhou)
    with pytest.raises(service.Invalid, match="unknown area"):
        draft(city, "北京市", tongzhou)
    assert draft(city, "通州区", tongzhou).warning_id


def test_warnings_of_another_area_do_not_exist_for_a_scoped_user(city):
    warning_id = draft(city, "大兴区").warning_id
    tongzhou = Actor("chief-tz", "commander", area_path=areas.find(city, "通州区").path)
    with pytest.raises(service.NotFound):
        service.approve(session=city, rules=RULES, config=CONFIG, warning_id=warning_id, actor=tongzhou, now=NOW)


def test_each_role_may_only_do_its_own_part(city):
    for role in ("commander", "office", "inspector", "viewer", "admin"):
        with pytest.raises(Forbidden):
            draft(city, "大兴区", Actor("x", role))
    warning_id = draft(city, "大兴区").warning_id
    for role in ("duty_officer", "office", "inspector", "viewer", "admin"):
        with pytest.raises(Forbidden):
            service.approve(session=city, rules=RULES, config=CONFIG, warning_id=warning_id, actor=Actor("x", role), now=NOW)


def test_sign_off_compares_user_ids_not_names(city):
    drafter, _ = add_user(city, "zhang", "duty_officer")
    warning_id = draft(city, "大兴区", drafter).warning_id
    # the same person under another name (an edited account) is still the same person
    same = Actor("zhang-renamed", "commander", user_id=drafter.user_id)
    with pytest.raises(service.Refused, match="another person must approve"):
        service.approve(session=city, rules=RULES, config=CONFIG, warning_id=warning_id, actor=same, now=NOW)
    other, _ = add_user(city, "Zhang2", "commander")
    service.approve(session=city, rules=RULES, config=CONFIG, warning_id=warning_id, actor=other, now=NOW)


def test_a_duty_officer_withdraws_only_its_own_request_a_commander_any(city):
    mine, _ = add_user(city, "li", "duty_officer")
    theirs, _ = add_user(city, "wang", "duty_officer")
    warning_id = draft(city, "大兴区", mine).warning_id
    with pytest.raises(Forbidden, match="own requests"):
        service.withdraw(session=city, warning_id=warning_id, reason="改期", actor=theirs, now=NOW)
    chief, _ = add_user(city, "chief", "commander")
    assert service.withdraw(session=city, warning_id=warning_id, reason="驳回", actor=chief, now=NOW).decided_by == "chief"


def test_events_name_the_user_id_and_area(city):
    actor, _ = add_user(city, "zhao", "duty_officer", area=areas.find(city, "大兴区"))
    warning_id = draft(city, "大兴区", actor).warning_id
    event = city.scalars(select(Event).where(Event.subject_type == "warning", Event.subject_id == warning_id)).one()
    assert (event.actor, event.actor_id, event.area_id) == ("zhao", actor.user_id, actor.area_id)


def test_sign_in_is_throttled_per_username_and_failures_are_logged(session):
    add_user(session, "sun", "viewer")
    limits = accounts.Limits(per_username=3, per_client=100)
    for _ in range(3):
        with pytest.raises(accounts.SignInRefused) as refused:
            accounts.authenticate(session=session, username="sun", password="wrong", client="1.2.3.4", now=NOW, limits=limits)
        assert not refused.value.throttled
    with pytest.raises(accounts.SignInRefused) as refused:
        accounts.authenticate(session=session, username="sun", password="wrong", client="1.2.3.4", now=NOW, limits=limits)
    assert refused.value.throttled
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "user.sign_in_failed")) == 3
    # the window passes
    later = NOW + limits.window + timedelta(seconds=1)
    with pytest.raises(accounts.SignInRefused) as refused:
        accounts.authenticate(session=session, username="sun", password="wrong", client="5.6.7.8", now=later, limits=limits)
    assert not refused.value.throttled and session.scalar(select(func.count()).select_from(LoginFailure)) == 4


def test_a_scrypt_hash_signs_in_and_is_replaced_by_argon2(session):
    import base64
    import hashlib

    add_user(session, "legacy", "viewer")
    user = session.scalars(select(User).where(User.username == "legacy")).one()
    user.password_hash = ("scrypt$16384$8$1$" + base64.b64encode(bytes(16)).decode() + "$"
                          + base64.b64encode(hashlib.scrypt(b"old-pass", salt=bytes(16), n=16384, r=8, p=1)).decode())
    session.flush()
    assert accounts.authenticate(session=session, username="legacy", password="old-pass", client="c", now=NOW,
                                 limits=accounts.Limits()).id == user.id
    assert user.password_hash.startswith("$argon2id$")
    assert accounts.authenticate(session=session, username="LEGACY", password="old-pass", client="c", now=NOW,
                                 limits=accounts.Limits()).id == user.id


def test_user_commands_add_reset_disable_and_list(db_url):
    assert run("init", "--db", db_url).exit_code == 0
    added = run("user", "add", "duty1", "--role", "duty_officer", "--name", "值班员甲", "--db", db_url)
    assert added.exit_code == 0 and len(added.stdout.strip()) >= 12
    assert run("user", "add", "duty1", "--role", "viewer", "--db", db_url).exit_code == 1
    bad_role = run("user", "add", "x", "--role", "boss", "--db", db_url)
    assert bad_role.exit_code == 2 and "Traceback" not in bad_role.stderr
    unknown_area = run("user", "add", "y", "--role", "viewer", "--area", "火星区", "--db", db_url)
    assert unknown_area.exit_code == 1 and "unknown area" in unknown_area.stderr
    reset = run("user", "reset", "duty1", "--db", db_url)
    assert reset.exit_code == 0 and reset.stdout.strip() != added.stdout.strip()
    assert run("user", "disable", "duty1", "--db", db_url).exit_code == 0
    import json

    listed = json.loads(run("user", "list", "--json", "--db", db_url).stdout)
    assert listed == [{"username": "duty1", "name": "值班员甲", "role": "duty_officer", "area": None, "active": False}]


def test_by_must_name_an_active_user_whose_role_may_act(db_url, tmp_path):
    assert run("init", "--db", db_url).exit_code == 0
    assert run("lists", "import", str(write_xlsx(tmp_path / "l.xlsx", records_for_warnings())), "--db", db_url).exit_code == 0
    args = ("warning", "draft", "--level", "orange", "--area", "大兴区", "--start", "2030-01-01T00:00",
            "--end", "2030-01-03T00:00", "--reason", "会商", "--db", db_url)
    unknown = run(*args, "--by", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.stderr
    assert run("user", "add", "viewer1", "--role", "viewer", "--db", db_url).exit_code == 0
    viewer = run(*args, "--by", "viewer1")
    assert viewer.exit_code == 1 and "may not" in viewer.stderr
    assert run("user", "add", "duty1", "--role", "duty_officer", "--db", db_url).exit_code == 0
    assert run("user", "disable", "duty1", "--db", db_url).exit_code == 0
    disabled = run(*args, "--by", "duty1")
    assert disabled.exit_code == 1 and "disabled" in disabled.stderr
    assert run("lists", "import", str(tmp_path / "l.xlsx"), "--by", "viewer1", "--db", db_url).exit_code == 1


def test_area_commands_build_the_tree(db_url, tmp_path):
    assert run("init", "--db", db_url).exit_code == 0
    assert run("lists", "import", str(write_xlsx(tmp_path / "l.xlsx", records_for_warnings())), "--db", db_url).exit_code == 0
    assert run("area", "add", "北京市", "--kind", "city", "--code", "110000", "--db", db_url).exit_code == 0
    moved = run("area", "add", "大兴区", "--kind", "district", "--parent", "北京市", "--db", db_url)
    assert moved.exit_code == 0 and moved.stdout.strip() == "北京市/大兴区"
    import json

    listed = {a["path"]: a for a in json.loads(run("area", "list", "--json", "--db", db_url).stdout)}
    assert listed["北京市/大兴区/黄村镇"]["kind"] == "town" and listed["北京市"]["code"] == "110000"
    assert run("area", "add", "某镇", "--kind", "planet", "--db", db_url).exit_code == 2


def test_a_district_duty_officer_imports_only_its_districts_lists(city, tmp_path):
    daxing_duty, _ = add_user(city, "duty-dx", "duty_officer", area=areas.find(city, "大兴区"))
    from emergency.enterprises.service import import_lists

    def load(records):
        return import_lists(session=city, actor=daxing_duty, path=write_xlsx(tmp_path / "x.xlsx", records), rules=RULES,
                            grade_scheme="2026", dry_run=True)

    assert not load(records_for_warnings()).plan.errors
    records = records_for_warnings()
    records["enterprises"][1]["district"], records["enterprises"][1]["town"] = "通州区", "永顺镇"
    errors = load(records).plan.errors
    assert [(e.sheet, e.row, e.column) for e in errors] == [("企业", 3, "街道乡镇")]
    assert "outside your area (大兴区)" in errors[0].message
    town_duty, _ = add_user(city, "duty-hc", "duty_officer", area=areas.find(city, "北京市/大兴区/黄村镇"))
    town_only = import_lists(session=city, actor=town_duty, path=write_xlsx(tmp_path / "y.xlsx", records_for_warnings()),
                             rules=RULES, grade_scheme="2026", dry_run=True).plan.errors
    # enterprise 4 lies in 西红门镇, and units are imported by the district
    assert {(e.sheet, e.row) for e in town_only} >= {("企业", 5), ("单位", 2)}


def test_a_scoped_duty_officer_cannot_import_a_forecast_for_another_district(city, tmp_path):
    from emergency.forecasts.importer import import_text

    tongzhou = Actor("duty-tz", "duty_officer", area_path=areas.find(city, "通州区").path)
    rejected = import_text(session=city, text="area,date,aqi\n大兴区,2026-12-02,250\n", source="f.csv", actor=tongzhou,
                           zone=RULES and __import__("zoneinfo").ZoneInfo("Asia/Shanghai"), dry_run=True)
    assert [(e.row, e.column) for e in rejected.errors] == [(2, "area")]
    accepted = import_text(session=city, text="area,date,aqi\n通州区,2026-12-02,250\n永顺镇,2026-12-02,240\n",
                           source="f.csv", actor=tongzhou, zone=__import__("zoneinfo").ZoneInfo("Asia/Shanghai"),
                           dry_run=True)
    assert not accepted.errors and len(accepted.rows) == 2


def test_a_district_user_sees_its_districts_warnings_a_city_user_all(city):
    from emergency.warnings import queries

    daxing = draft(city, "大兴区").warning_id
    tongzhou = draft(city, "通州区").warning_id
    as_daxing = Actor("v-dx", "viewer", area_path=areas.find(city, "大兴区").path)
    as_town = Actor("v-hc", "viewer", area_path=areas.find(city, "北京市/大兴区/黄村镇").path)
    assert [w.id for w in queries.listing(city, as_daxing, everything=True)] == [daxing]
    assert [w.id for w in queries.listing(city, as_town, everything=True)] == [daxing]
    assert {w.id for w in queries.listing(city, Actor("v", "viewer"), everything=True)} == {daxing, tongzhou}
    with pytest.raises(service.NotFound):
        queries.one(city, tongzhou, as_daxing)


def test_reading_a_warning_never_moves_it_on(city):
    from emergency.warnings.documents import warning_json
    from emergency.warnings.models import Warning

    warning_id = draft(city, "大兴区").warning_id
    service.approve(session=city, rules=RULES, config=CONFIG, warning_id=warning_id, actor=Actor("chief", "commander"),
                    now=NOW)
    later = NOW + timedelta(hours=20)  # past its start
    assert warning_json(city, city.get(Warning, warning_id), RULES and __import__("zoneinfo").ZoneInfo("UTC"),
                        now=later)["status"] == "active"
    city.expire_all()
    assert city.get(Warning, warning_id).status == "scheduled"  # the scheduler advances it, not a read


def test_sessions_end_when_idle_at_their_lifetime_and_when_revoked(session):
    from accounts.models import TokenKind

    _, password = add_user(session, "zhou", "viewer")
    user = session.scalars(select(User).where(User.username == "zhou")).one()
    limits = accounts.Limits(session_idle=timedelta(minutes=30), session_lifetime=timedelta(hours=2))
    secret, token = accounts.start(session=session, user=user, kind=TokenKind.SESSION, client="c", now=NOW, limits=limits)

    def alive(at):
        return accounts.resume(session=session, secret=secret, kind=TokenKind.SESSION, now=at, limits=limits) is not None

    assert alive(NOW + timedelta(minutes=29))  # used: the idle clock starts again
    assert alive(NOW + timedelta(minutes=58)) and not alive(NOW + timedelta(minutes=120))
    assert not alive(NOW + timedelta(hours=2, seconds=1))  # the lifetime is absolute
    assert accounts.resume(session=session, secret=secret, kind=TokenKind.API, now=NOW, limits=limits) is None
    api_secret, api_token = accounts.start(session=session, user=user, kind=TokenKind.API, client="c", now=NOW,
                                           limits=limits)
    accounts.end(session=session, token=api_token, actor=system(), now=NOW)
    assert accounts.resume(session=session, secret=api_secret, kind=TokenKind.API, now=NOW, limits=limits) is None
    assert token.digest != secret and len(token.digest) == 64  # only a digest is stored
