"""emergency user add | reset | disable | list, and emergency area add | list.

Run at the server's shell by its operator, who acts as the system (recorded as operator:OS_USER)."""
from __future__ import annotations

import getpass

import click

from accounts import service as accounts
from accounts.models import Role
from accounts.permissions import system
from areas import service as areas
from areas.models import DEPTH, Area
from config.db import utcnow
from config.events import EventKind, record
from emergency.commands.common import App, Rejected, command, emit_json


@click.group(name="user")
def user_group() -> None:
    """Staff accounts: add, reset a password, disable, list."""


def _operator():
    return system(f"operator:{getpass.getuser()}")


def _area(session, name: str | None) -> Area | None:
    if name is None:
        return None
    try:
        return areas.find(session, name)
    except LookupError as exc:
        raise Rejected(str(exc)) from None


@command(user_group, "add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="What the user may do.")
@click.option("--area", default=None, help="A district or town/street (name, code or 区/镇 path); default: city-level.")
@click.option("--name", "display_name", default=None, help="The name shown (显示名).")
def add(app: App, username: str, role: str, area: str | None, display_name: str | None) -> None:
    """Create a user; prints the new password on stdout (shown once)."""
    app.require_schema()
    with app.transaction() as session:
        try:
            _, password = accounts.add_user(session=session, actor=_operator(), username=username, role=role,
                                            area=_area(session, area), display_name=display_name, now=utcnow())
        except accounts.BadUser as exc:
            raise Rejected(str(exc)) from None
    click.echo(password)
    click.echo(f"用户已创建 user created: {username} ({role}{', ' + area if area else ''})", err=True)


@command(user_group, "reset")
@click.argument("username")
def reset(app: App, username: str) -> None:
    """A new password (printed on stdout); the user's sessions and tokens end."""
    app.require_schema()
    with app.transaction() as session:
        try:
            password = accounts.reset_password(session=session, actor=_operator(), username=username, now=utcnow())
        except accounts.BadUser as exc:
            raise Rejected(str(exc)) from None
    click.echo(password)


@command(user_group, "disable")
@click.argument("username")
def disable(app: App, username: str) -> None:
    """The user can no longer sign in; their sessions and tokens end at once."""
    app.require_schema()
    with app.transaction() as session:
        try:
            accounts.disable(session=session, actor=_operator(), username=username, now=utcnow())
        except accounts.BadUser as exc:
            raise Rejected(str(exc)) from None
    click.echo(f"已停用 disabled: {username}", err=True)


@command(user_group, "list", json_output=True)
def list_(app: App, as_json: bool) -> None:
    """Every user with role, area and whether active."""
    app.require_schema()
    with app.sessions() as session:
        users = accounts.users_json(session)
    if as_json:
        emit_json(users)
        return
    for u in users:
        click.echo(f"{u['username']:<16}{u['role']:<14}{u['area'] or '(全部 all)':<12}"
                   f"{'' if u['active'] else '已停用 disabled  '}{u['name']}")


@click.group(name="area")
def area_group() -> None:
    """The area tree (province → city → district → town/street)."""


@command(area_group, "add")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice([k.value for k in DEPTH]))
@click.option("--parent", default=None, help="The area it lies in (name, code or path).")
@click.option("--code", default=None, help="GB/T 2260 code (6 digits; 9 or 12 for a town/street).")
def area_add(app: App, name: str, kind: str, parent: str | None, code: str | None) -> None:
    """Add an area; an existing top-level area of that name is moved under --parent."""
    app.require_schema()
    with app.transaction() as session:
        above = _area(session, parent)
        try:
            existing = areas.find(session, name, parent=None) if above is not None else None
        except LookupError:
            existing = None
        try:
            if existing is not None and existing.parent_id is None and existing.kind == kind:
                areas.attach(session, existing, above)
                area = existing
            else:
                area = areas.add(session, name=name, kind=kind, parent=above, code=code)
        except areas.BadArea as exc:
            raise Rejected(str(exc)) from None
        record(session, kind=EventKind.AREA_ADDED, actor=_operator(), subject_type="area", subject_id=area.id,
               detail={"name": name, "kind": kind, "parent": parent, "code": code})
        click.echo(areas.label(session, area))


@command(area_group, "list", json_output=True)
def area_list(app: App, as_json: bool) -> None:
    """Every area with its kind, code and place in the tree."""
    app.require_schema()
    with app.sessions() as session:
        every = session.query(Area).order_by(Area.path).all()
        names = {a.id: a.name for a in every}  # one read for every label, not one per area
        rows = [{"id": a.id, "name": a.name, "kind": a.kind, "code": a.code, "path": areas.label(session, a, names)}
                for a in every]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['path']:<40}{r['kind']:<10}{r['code'] or ''}")
