"""Accounts: creating and managing users, signing in (throttled), sessions and API tokens.

Functions work in the caller's transaction; state changes are written to the event log."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accounts import passwords
from accounts.models import AuthToken, LoginFailure, Role, TokenKind, User
from accounts.permissions import Action, Actor
from areas.models import Area
from config.events import EventKind, record

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{1,50}$")


@dataclass(frozen=True)
class Limits:
    """Lifetimes and throttling thresholds (from the [auth] configuration)."""

    session_idle: timedelta = timedelta(minutes=120)
    session_lifetime: timedelta = timedelta(hours=12)
    token_lifetime: timedelta = timedelta(hours=12)
    window: timedelta = timedelta(minutes=15)
    per_username: int = 5
    per_client: int = 20


class BadUser(ValueError):
    """A user cannot be created or changed as asked; `zh` and `en` say why, `field` names the form
    field at fault (username, display_name, role, area) when one is."""

    def __init__(self, zh: str, en: str, field: str | None = None):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.field = zh, en, field


class SignInRefused(Exception):
    """Wrong credentials (the same for an unknown user), or throttled (`throttled`: retry later)."""

    def __init__(self, throttled: bool = False, retry_after: int = 0):
        super().__init__("too many failed sign-ins" if throttled else "wrong username or password")
        self.throttled, self.retry_after = throttled, retry_after


def actor_of(session: Session, user: User) -> Actor:
    path = session.scalar(select(Area.path).where(Area.id == user.area_id)) if user.area_id is not None else None
    return Actor(username=user.username, role=user.role, user_id=user.id, area_id=user.area_id, area_path=path,
                 name=user.display_name)


def by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.username) == username.strip().lower())).first()


def acting(session: Session, username: str) -> Actor:
    """The Actor for an active user named on the command line (--by); raises BadUser."""
    user = by_username(session, username)
    if user is None:
        raise BadUser(f"没有用户 {username!r}", f"no user {username!r}: name an active staff login "
                      "(`emergency user list`)")
    if not user.active:
        raise BadUser(f"用户 {user.username} 已停用", f"user {user.username} is disabled")
    return actor_of(session, user)


# -- managing users ----------------------------------------------------------------------------

def add_user(*, session: Session, actor: Actor, username: str, role: str, area: Area | None, display_name: str | None,
             now: datetime) -> tuple[User, str]:
    """A new active user; returns it with its new password. Raises BadUser, Forbidden."""
    actor.require(Action.MANAGE_USERS)
    username = username.strip()
    if not USERNAME.match(username):
        raise BadUser(f"用户名 {username!r} 无效：只能用 1–50 个字母、数字、“.”、“_”或“-”",
                      f"username {username!r}: 1–50 letters, digits, '.', '_' or '-'", "username")
    _check_role(role)
    _check_area(actor, area)
    name = _display_name(display_name or username)
    if by_username(session, username) is not None:
        raise BadUser(f"用户名 {username} 已被占用", f"the username {username} is taken", "username")
    password = passwords.new_password()
    user = User(username=username, display_name=name, role=role, area_id=area.id if area else None,
                password_hash=passwords.hash_password(password), active=True, created_at=now)
    session.add(user)
    session.flush()
    record(session, kind=EventKind.USER_CREATED, actor=actor, subject_type="user", subject_id=user.id, at=now,
           detail={"username": username, "role": role, "area_id": user.area_id})
    return user, password


def reset_password(*, session: Session, actor: Actor, username: str, now: datetime) -> str:
    """A new password for the user (enabled again); every session and token of theirs ends. Raises BadUser."""
    actor.require(Action.MANAGE_USERS)
    user = _managed(session, actor, username)
    password = passwords.new_password()
    user.password_hash, user.active = passwords.hash_password(password), True
    end_all(session, user.id, now)
    record(session, kind=EventKind.USER_PASSWORD_RESET, actor=actor, subject_type="user", subject_id=user.id, at=now,
           detail={"username": user.username})
    return password


def disable(*, session: Session, actor: Actor, username: str, now: datetime) -> User:
    """The user can no longer sign in; their sessions and tokens end at once. Raises BadUser (also for
    oneself: an admin locked out by their own hand needs another admin)."""
    actor.require(Action.MANAGE_USERS)
    user = _managed(session, actor, username)
    if user.id == actor.user_id:
        raise BadUser("不能停用自己的账号，请由另一位管理员操作", "you cannot disable your own account; ask another admin")
    user.active = False
    ended = end_all(session, user.id, now)
    record(session, kind=EventKind.USER_DISABLED, actor=actor, subject_type="user", subject_id=user.id, at=now,
           detail={"username": user.username, "sessions_ended": ended})
    return user


def enable(*, session: Session, actor: Actor, username: str, now: datetime) -> User:
    """A disabled user may sign in again with their password. Raises BadUser."""
    actor.require(Action.MANAGE_USERS)
    user = _managed(session, actor, username)
    user.active = True
    record(session, kind=EventKind.USER_ENABLED, actor=actor, subject_type="user", subject_id=user.id, at=now,
           detail={"username": user.username})
    return user


def change(*, session: Session, actor: Actor, username: str, role: str, area: Area | None, now: datetime) -> User:
    """The user's new role and area, in force from their next request. Raises BadUser (also for
    oneself: an admin cannot demote or narrow their own account)."""
    actor.require(Action.MANAGE_USERS)
    user = _managed(session, actor, username)
    _check_role(role)
    _check_area(actor, area)
    area_id = area.id if area else None
    if user.id == actor.user_id and (role != user.role or area_id != user.area_id):
        raise BadUser("不能更改自己的角色或区域，请由另一位管理员操作",
                      "you cannot change your own role or area; ask another admin", "role")
    before = {"role": user.role, "area_id": user.area_id}
    user.role, user.area_id = role, area_id
    record(session, kind=EventKind.USER_CHANGED, actor=actor, subject_type="user", subject_id=user.id, at=now,
           detail={"username": user.username, "before": before, "after": {"role": role, "area_id": area_id}})
    return user


def users_json(session: Session) -> list[dict]:
    rows = session.execute(select(User, Area.name).outerjoin(Area, Area.id == User.area_id).order_by(User.username))
    return [{"username": u.username, "name": u.display_name, "role": u.role, "area": area, "active": u.active}
            for u, area in rows]


def _managed(session: Session, actor: Actor, username: str) -> User:
    """The user, if the actor's area covers theirs (a city-level user only for a city-level actor).
    Raises BadUser, as if an out-of-scope user did not exist."""
    user = by_username(session, username)
    path = session.scalar(select(Area.path).where(Area.id == user.area_id)) if user and user.area_id else None
    if user is None or not (actor.covers(path) if path else actor.area_path is None):
        raise BadUser(f"没有用户 {username!r}", f"no user {username!r}")
    return user


def _check_role(role: str) -> None:
    if role not in Role.__members__.values():
        raise BadUser(f"未知角色 {role!r}", f"unknown role {role!r}; use one of {', '.join(Role)}", "role")


def _check_area(actor: Actor, area: Area | None) -> None:
    """An admin hands out only their own area or areas inside it (city-level: only a city-level admin)."""
    if not (actor.covers(area.path) if area is not None else actor.area_path is None):
        raise BadUser("该区域不在您的管辖范围内", "that area lies outside your own", "area")


def _display_name(name: str) -> str:
    name = name.strip()
    if len(name) > 100 or any(not c.isprintable() for c in name):
        raise BadUser("显示名最多 100 个字符，且不能含控制字符", "a display name has at most 100 characters, none of "
                      "them control characters", "display_name")
    return name


# -- signing in ----------------------------------------------------------------------------------

def authenticate(*, session: Session, username: str, password: str, client: str, now: datetime,
                 limits: Limits) -> User:
    """The active user with these credentials. Raises SignInRefused (wrong, or throttled).

    An unknown user and a wrong password get the same answer and take the same time; each failure
    is recorded (throttling and the event log) in the caller's transaction, which must commit it."""
    # NUL cannot be stored or searched in PostgreSQL text: such a name is simply unknown.
    username, client = username.replace("\x00", "").strip()[:50], (client or "?")[:100]
    since = now - limits.window
    by_name = session.scalar(select(func.count()).select_from(LoginFailure)
                             .where(LoginFailure.username == username.lower(), LoginFailure.at > since))
    by_client = session.scalar(select(func.count()).select_from(LoginFailure)
                               .where(LoginFailure.client == client, LoginFailure.at > since))
    if by_name >= limits.per_username or by_client >= limits.per_client:
        raise SignInRefused(throttled=True, retry_after=int(limits.window.total_seconds()))
    user = by_username(session, username) if username else None
    ok, rehash = passwords.verify(password, user.password_hash if user is not None else None)
    if not ok or user is None or not user.active:
        session.add(LoginFailure(at=now, username=username.lower(), client=client))
        record(session, kind=EventKind.USER_SIGN_IN_FAILED, actor=username or "?", subject_type="user",
               subject_id=user.id if user is not None else None, at=now, detail={"client": client})
        raise SignInRefused()
    if rehash:
        user.password_hash = passwords.hash_password(password)
    return user


def start(*, session: Session, user: User, kind: TokenKind, client: str, now: datetime, limits: Limits) -> tuple[str, AuthToken]:
    """A new session or API token for the user; returns the secret (shown once) and its row."""
    secret = secrets.token_urlsafe(32)
    lifetime = limits.session_lifetime if kind == TokenKind.SESSION else limits.token_lifetime
    token = AuthToken(user_id=user.id, kind=kind, digest=_digest(secret), client=(client or "?")[:100],
                      csrf=secrets.token_urlsafe(24) if kind == TokenKind.SESSION else None,
                      created_at=now, last_seen_at=now, expires_at=now + lifetime)
    session.add(token)
    session.flush()
    record(session, kind=EventKind.USER_SIGNED_IN, actor=actor_of(session, user), subject_type="user",
           subject_id=user.id, at=now, detail={"via": str(kind), "client": token.client})
    return secret, token


def resume(*, session: Session, secret: str, kind: TokenKind, now: datetime, limits: Limits) -> tuple[User, AuthToken] | None:
    """The user and token behind a secret still valid now (not revoked, expired or idle too long, the
    user active); a session's idle clock is moved on. None otherwise."""
    if not secret or len(secret) > 100:
        return None
    token = session.scalars(select(AuthToken).where(AuthToken.digest == _digest(secret), AuthToken.kind == kind)).first()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if kind == TokenKind.SESSION and token.last_seen_at + limits.session_idle <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    if kind == TokenKind.SESSION and now - token.last_seen_at > timedelta(seconds=60):
        token.last_seen_at = now  # at most once a minute: reads stay cheap
    return user, token


def end(*, session: Session, token: AuthToken, actor: Actor, now: datetime) -> None:
    """Sign out (a session) or revoke (an API token)."""
    token.revoked_at = now
    record(session, kind=EventKind.USER_SIGNED_OUT, actor=actor, subject_type="user", subject_id=token.user_id, at=now,
           detail={"via": token.kind})


def end_all(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
                             .values(revoked_at=now))
    return result.rowcount or 0


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()
