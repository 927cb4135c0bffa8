"""What the user pages read: users with their area and last sign-in, the sign-in history, the areas
an admin may hand out. Each read asks for MANAGE_USERS, as the changes do, and sees only the users
inside the admin's area."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import ceil

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.permissions import Action, Actor, OutOfScope
from areas import service as areas
from areas.models import Area, AreaKind
from config.events import Event, EventKind

SIGN_IN_KINDS = (EventKind.USER_SIGNED_IN, EventKind.USER_SIGN_IN_FAILED)
ASSIGNABLE = (AreaKind.CITY, AreaKind.DISTRICT, AreaKind.TOWN)


@dataclass(frozen=True)
class Page:
    """One page of rows, with what a pager needs."""

    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


@dataclass(frozen=True)
class UserRow:
    user: User
    area: str | None  # the area's name path; None = city-level
    last_sign_in: datetime | None


@dataclass(frozen=True)
class SignIn:
    """A sign-in or a failed attempt; `username` as typed for a failure, `user_id` None when no such user."""

    at: datetime
    ok: bool
    username: str
    user_id: int | None
    client: str
    via: str | None


def users(session: Session, *, actor: Actor, role: str | None = None, active: bool | None = None, page: int = 1,
          per_page: int = 50) -> Page:
    """The users in the actor's area, by username, filtered by role and by active. Raises Forbidden."""
    actor.require(Action.MANAGE_USERS)
    query = _in_scope(select(User, Area).outerjoin(Area, Area.id == User.area_id), actor)
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    found = session.execute(query.order_by(User.username).offset((page - 1) * per_page).limit(per_page)).all()
    return Page(_rows(session, found), total, page, per_page)


def user(session: Session, *, actor: Actor, user_id: int) -> UserRow:
    """One user in the actor's area. Raises Forbidden, OutOfScope (also when there is none)."""
    actor.require(Action.MANAGE_USERS)
    found = session.execute(_in_scope(select(User, Area).outerjoin(Area, Area.id == User.area_id), actor)
                            .where(User.id == user_id)).first()
    if found is None:
        raise OutOfScope(f"没有编号为 {user_id} 的用户", f"there is no user {user_id}")
    return _rows(session, [found])[0]


def sign_ins(session: Session, *, actor: Actor, user_id: int | None = None, ok: bool | None = None, page: int = 1,
             per_page: int = 50) -> Page:
    """Sign-ins and failed attempts, newest first: of one user, or of everyone (a scoped admin: of the
    users in their area only). Raises Forbidden."""
    actor.require(Action.MANAGE_USERS)
    kinds = {None: SIGN_IN_KINDS, True: SIGN_IN_KINDS[:1], False: SIGN_IN_KINDS[1:]}[ok]
    query = select(Event).where(Event.subject_type == "user", Event.kind.in_(kinds))
    if user_id is not None:
        query = query.where(Event.subject_id == user_id)
    if actor.area_path is not None:
        query = query.where(Event.subject_id.in_(_in_scope(select(User.id).join(Area, Area.id == User.area_id), actor)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    events = session.scalars(query.order_by(Event.at.desc(), Event.id.desc()).offset((page - 1) * per_page)
                             .limit(per_page)).all()
    rows = [SignIn(at=e.at, ok=e.kind == EventKind.USER_SIGNED_IN, username=e.actor, user_id=e.subject_id,
                   client=(e.detail or {}).get("client", "?"), via=(e.detail or {}).get("via")) for e in events]
    return Page(rows, total, page, per_page)


def assignable_areas(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """(id, name path) of the cities, districts and towns the actor may give a user, in tree order."""
    actor.require(Action.MANAGE_USERS)
    query = select(Area).where(Area.kind.in_(ASSIGNABLE))
    if actor.area_path is not None:
        query = query.where(Area.path.startswith(actor.area_path))
    names = _names(session)
    return sorted(((a.id, areas.label(session, a, names)) for a in session.scalars(query)), key=lambda c: c[1])


def _in_scope(query: Select, actor: Actor) -> Select:
    return query if actor.area_path is None else query.where(Area.path.startswith(actor.area_path))


def _names(session: Session) -> dict[int, str]:
    """Every area's name by id: read once to label many areas."""
    return dict(session.execute(select(Area.id, Area.name)).all())


def _rows(session: Session, found) -> list[UserRow]:
    ids = [u.id for u, _ in found]
    last = dict(session.execute(select(Event.subject_id, func.max(Event.at)).where(
        Event.kind == EventKind.USER_SIGNED_IN, Event.subject_type == "user", Event.subject_id.in_(ids))
        .group_by(Event.subject_id)).all()) if ids else {}
    names = _names(session) if any(a is not None for _, a in found) else {}
    return [UserRow(u, areas.label(session, a, names) if a is not None else None, last.get(u.id)) for u, a in found]
