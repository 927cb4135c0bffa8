"""The admin's user pages: adding a user who then signs in, resetting, disabling, changing a role,
the sign-in history, and what a non-admin or a bad form gets (Chromium, and FastAPI's test client
where no browser is needed)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.models import User
from accounts.permissions import system
from config.db import utcnow
from config.events import Event
from emergency.web.app import create_app
from tests.console import chromium, console, cheap_passwords, layout  # noqa: F401
from tests.factories import browser_sign_in


def make_user(console, username: str, role: str = "viewer") -> int:
    """A user made at the server's shell; its password joins the console's logins. Returns its id."""
    with Session(console.engine) as session, session.begin():
        user, password = accounts.add_user(session=session, actor=system("tests"), username=username, role=role,
                                           area=None, display_name=f"测试{username}", now=utcnow())
        console.passwords[username] = password
        return user.id


def user_id(console, username: str) -> int:
    with Session(console.engine) as session:
        return session.scalar(select(User.id).where(User.username == username))


def sign_in_fails(browser, console, username: str, password: str) -> bool:
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{console.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    failed = "/login" in page.url and "用户名或密码错误" in page.content()
    page.context.close()
    return failed


def accept_next_dialog(page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


def test_an_admin_adds_a_user_who_signs_in_with_the_password_shown_once(console, chromium):
    admin = console.sign_in(chromium, "admin")
    admin.goto(f"{console.url}/users")
    assert admin.locator("table.users").get_by_text("duty", exact=True).count() == 1
    layout(admin, "users-list", console.backend)
    admin.click("a[href='/users/new']")
    layout(admin, "users-new", console.backend)
    admin.fill("input[name=username]", "wang.fang")
    admin.fill("input[name=display_name]", "王芳")
    admin.select_option("select[name=role]", "duty_officer")
    admin.select_option("select[name=area]", label="北京市/大兴区")
    admin.click("button[type=submit]:has-text('创建用户')")
    password = admin.locator("#new-password").inner_text().strip()
    assert len(password) >= 12 and "只显示这一次" in admin.content() and password not in admin.url
    layout(admin, "users-password", console.backend)
    with admin.expect_navigation():
        admin.click("header form[action='/logout'] button")
    assert "/login" in admin.url

    console.passwords["wang.fang"] = password
    newcomer = console.sign_in(chromium, "wang.fang")
    assert newcomer.url == f"{console.url}/" and "王芳" in newcomer.content()
    with Session(console.engine) as session:
        created = session.scalars(select(Event).where(Event.kind == "user.created")
                                  .where(Event.detail["username"].as_string() == "wang.fang")).one()
        assert created.actor == "admin" and password not in str(created.detail)
    newcomer.context.close()
    admin.context.close()


def test_a_reset_password_ends_their_session_and_only_the_new_one_works(console, chromium):
    target = make_user(console, "reset.me")
    old = console.passwords["reset.me"]
    theirs = console.sign_in(chromium, "reset.me")
    admin = console.sign_in(chromium, "admin")
    admin.goto(f"{console.url}/users/{target}")
    layout(admin, "users-user", console.backend)
    accept_next_dialog(admin)
    admin.click("form[action$='/reset'] button")
    new = admin.locator("#new-password").inner_text().strip()
    assert new != old and "旧密码已失效" in admin.content()

    theirs.reload()
    assert "/login" in theirs.url
    assert sign_in_fails(chromium, console, "reset.me", old)
    console.passwords["reset.me"] = new
    assert console.sign_in(chromium, "reset.me").url == f"{console.url}/"
    admin.context.close()


def test_a_disabled_user_is_signed_out_at_once_and_can_be_enabled_again(console, chromium):
    target = make_user(console, "leaver")
    theirs = console.sign_in(chromium, "leaver")
    admin = console.sign_in(chromium, "admin")
    admin.goto(f"{console.url}/users/{target}")
    accept_next_dialog(admin)
    with admin.expect_navigation():
        admin.click("form[action$='/disable'] button")
    assert "账号已停用" in admin.content() and admin.locator("form[action$='/enable']").count() == 1

    theirs.goto(f"{console.url}/")
    assert "/login" in theirs.url
    assert sign_in_fails(chromium, console, "leaver", console.passwords["leaver"])

    with admin.expect_navigation():
        admin.click("form[action$='/enable'] button")
    assert "已重新启用" in admin.content()
    assert console.sign_in(chromium, "leaver").url == f"{console.url}/"
    admin.context.close()


def test_a_changed_role_takes_effect_on_the_users_next_page(console, chromium):
    target = make_user(console, "promoted", role="viewer")
    theirs = console.sign_in(chromium, "promoted")
    assert theirs.goto(f"{console.url}/users").status == 403
    admin = console.sign_in(chromium, "admin")
    admin.goto(f"{console.url}/users/{target}")
    admin.select_option("form[action$='/change'] select[name=role]", "admin")
    with admin.expect_navigation():
        admin.click("form[action$='/change'] button")
    assert "已保存更改" in admin.content()

    assert theirs.goto(f"{console.url}/users").status == 200
    assert theirs.locator("nav.sections a[href='/users']").count() == 1
    with Session(console.engine) as session:
        changed = session.scalars(select(Event).where(Event.kind == "user.changed", Event.subject_id == target)).one()
        assert changed.actor == "admin" and changed.detail["after"]["role"] == "admin"
    admin.context.close()


def test_a_duty_officer_is_refused_the_user_pages_and_sees_no_entry(console, chromium):
    duty = console.sign_in(chromium, "duty")
    assert duty.locator("nav.sections a[href='/users']").count() == 0
    for path in ("/users", "/users/new", "/users/history", f"/users/{user_id(console, 'viewer')}"):
        assert duty.goto(f"{console.url}{path}").status == 403, path
    duty.context.close()


def test_a_duplicate_username_is_refused_beside_the_field_keeping_what_was_typed(console, chromium):
    admin = console.sign_in(chromium, "admin")
    admin.goto(f"{console.url}/users/new")
    admin.fill("input[name=username]", "duty")
    admin.fill("input[name=display_name]", "第二个值班员")
    admin.select_option("select[name=role]", "commander")
    admin.click("button[type=submit]:has-text('创建用户')")
    assert admin.locator("#username-error").inner_text() == "用户名 duty 已被占用"
    assert admin.input_value("input[name=display_name]") == "第二个值班员"
    assert admin.input_value("select[name=role]") == "commander"
    assert admin.locator("#new-password").count() == 0
    layout(admin, "users-new-refused", console.backend)
    admin.context.close()


def test_the_sign_in_history_lists_failed_attempts(console, chromium):
    target = make_user(console, "forgetful")
    assert sign_in_fails(chromium, console, "forgetful", "not-the-password")
    assert sign_in_fails(chromium, console, "nobody.here", "whatever")
    admin = console.sign_in(chromium, "admin")
    admin.goto(f"{console.url}/users/history?outcome=failed")
    rows = admin.locator("table.sign-ins tbody tr")
    assert "nobody.here" in rows.nth(0).inner_text() and "无此用户" in rows.nth(0).inner_text()
    assert "forgetful" in rows.nth(1).inner_text() and "登录失败" in rows.nth(1).inner_text()
    layout(admin, "users-history", console.backend)
    admin.goto(f"{console.url}/users/{target}")
    assert "登录失败" in admin.locator("table.sign-ins").inner_text()
    admin.context.close()


# -- without a browser -------------------------------------------------------------------------------

@pytest.fixture
def admin_client(console):
    with TestClient(create_app(console.settings), follow_redirects=False) as client:
        response, csrf = browser_sign_in(client, "admin", console.passwords["admin"])
        assert response.status_code == 303 and csrf
        client.headers["X-CSRF-Token"] = csrf
        yield client


def test_an_admin_can_neither_disable_nor_demote_themselves(console, admin_client):
    me = user_id(console, "admin")
    disabled = admin_client.post(f"/users/{me}/disable")
    assert disabled.status_code == 422 and "不能停用自己的账号" in disabled.text
    demoted = admin_client.post(f"/users/{me}/change", data={"role": "viewer", "area": ""})
    assert demoted.status_code == 422 and "不能更改自己的角色或区域" in demoted.text
    with Session(console.engine) as session:
        admin = session.get(User, me)
        assert admin.active and admin.role == "admin"


@pytest.mark.parametrize("form, field, message", [
    ({"username": "张 三", "role": "viewer"}, "username", "只能用 1–50 个字母"),
    ({"username": "", "role": "viewer"}, "username", "无效"),
    ({"username": "someone", "role": "boss"}, "role", "未知角色"),
    ({"username": "someone", "role": "viewer", "area": "999999"}, "area", "没有这个区域"),
    ({"username": "someone", "role": "viewer", "area": "'; drop"}, "area", "没有这个区域"),
    ({"username": "someone", "role": "viewer", "display_name": "a\x01b"}, "display_name", "控制字符"),
])
def test_a_bad_new_user_form_comes_back_with_the_message_beside_its_field(admin_client, form, field, message):
    response = admin_client.post("/users/new", data=form)
    assert response.status_code == 422
    beside = re.search(rf'id="{field}-error">([^<]*)<', response.text)
    assert beside and message in beside.group(1)
    assert 'id="new-password"' not in response.text


def test_the_english_page_says_it_in_english(console, admin_client):
    admin_client.post("/language", data={"language": "en", "next": "/users"})
    try:
        response = admin_client.post("/users/new", data={"username": "duty", "role": "viewer"})
        assert "the username duty is taken" in response.text and "已被占用" not in response.text
        listed = admin_client.get("/users")
        assert "Last sign-in" in listed.text and "最近登录" not in listed.text
    finally:
        admin_client.post("/language", data={"language": "zh", "next": "/users"})


def test_unknown_users_and_pages_are_not_found_never_an_error(admin_client):
    assert admin_client.get("/users/99999999").status_code == 404
    assert admin_client.post("/users/99999999/disable").status_code == 404
    assert admin_client.get("/users?page=0").status_code == 422
    assert admin_client.get("/users?role=boss&active=maybe").status_code == 200


def test_an_admin_of_a_district_manages_only_the_users_inside_it(session):
    from accounts import queries
    from accounts.permissions import Forbidden, OutOfScope
    from areas import service as areas
    from tests.factories import add_user

    city = areas.add(session, name="北京市", kind="city")
    daxing, tongzhou = (areas.add(session, name=n, kind="district", parent=city) for n in ("大兴区", "通州区"))
    town = areas.add(session, name="黄村镇", kind="town", parent=daxing)
    admin, _ = add_user(session, "daxing.admin", "admin", area=daxing)
    inside, _ = add_user(session, "town.duty", "duty_officer", area=town)
    outside, _ = add_user(session, "tongzhou.duty", "duty_officer", area=tongzhou)
    add_user(session, "city.viewer", "viewer")

    assert [r.user.username for r in queries.users(session, actor=admin).rows] == ["daxing.admin", "town.duty"]
    assert [label for _, label in queries.assignable_areas(session, actor=admin)] == ["北京市/大兴区", "北京市/大兴区/黄村镇"]
    with pytest.raises(OutOfScope):
        queries.user(session, actor=admin, user_id=outside.user_id)
    for username in ("tongzhou.duty", "city.viewer"):
        with pytest.raises(accounts.BadUser, match="no user"):
            accounts.disable(session=session, actor=admin, username=username, now=utcnow())
    with pytest.raises(accounts.BadUser, match="outside your own") as refused:
        accounts.change(session=session, actor=admin, username="town.duty", role="viewer", area=tongzhou, now=utcnow())
    assert refused.value.field == "area"
    with pytest.raises(accounts.BadUser, match="outside your own"):
        accounts.add_user(session=session, actor=admin, username="anyone", role="viewer", area=None,
                          display_name=None, now=utcnow())
    accounts.change(session=session, actor=admin, username="town.duty", role="inspector", area=daxing, now=utcnow())
    assert queries.user(session, actor=admin, user_id=inside.user_id).area == "北京市/大兴区"
    with pytest.raises(Forbidden):
        queries.sign_ins(session, actor=inside)
