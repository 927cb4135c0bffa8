"""Staff accounts: created or reset with a fresh password, recorded in the event log."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import events
from config.db import utcnow
from emergency.auth import hash_password, new_password
from emergency.models import Role, User


def set_user(*, session: Session, username: str, display_name: str, role: Role, actor: str) -> str:
    """Create the user, or give an existing one a new password; returns the new password."""
    password = new_password()
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    created = user is None
    if created:
        user = User(username=username, created_at=utcnow())
        session.add(user)
    user.display_name, user.role, user.password_hash, user.active = display_name, role, hash_password(password), True
    session.flush()
    events.record(session, kind=events.EventKind.USER_CREATED if created else events.EventKind.USER_PASSWORD_RESET, actor=actor,
                  subject_type="user", subject_id=user.id, detail={"username": username, "role": str(role)})
    return password
