"""Personal links: /a/{token} names one recipient of one notice, signed so that it cannot be
guessed or altered. Short, because it rides in an SMS of 70 characters."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.settings import Settings
from emergency.notices.models import Secret

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_cache: dict[str, bytes] = {}
MAC_LENGTH = 11


def key(session: Session, settings: Settings, purpose: str = "links") -> bytes:
    """EMERGENCY_SECRET_KEY, or the installation's own random key kept in the database."""
    if settings.secret_key is not None:
        return hashlib.sha256(f"{purpose}:{settings.secret_key.get_secret_value()}".encode()).digest()
    cache_key = f"{settings.database_url}#{purpose}"
    if cache_key not in _cache:
        _cache[cache_key] = base64.b64decode(_stored(session, purpose))
    return _cache[cache_key]


def _stored(session: Session, name: str) -> str:
    row = session.get(Secret, name)
    if row is not None:
        return row.value
    # Made in a transaction of its own, committed at once: every process must see the same key.
    with Session(session.get_bind()) as own:
        try:
            with own.begin():
                own.add(Secret(name=name, value=base64.b64encode(secrets.token_bytes(32)).decode()))
        except IntegrityError:  # another process made it first: use theirs
            pass
        return own.get(Secret, name).value


def ensure(session: Session, names: tuple[str, ...] = ("links", "sessions")) -> None:
    """Make the installation's keys now (at `emergency init`), before any process needs them."""
    for name in names:
        if session.get(Secret, name) is None:
            session.add(Secret(name=name, value=base64.b64encode(secrets.token_bytes(32)).decode()))


def make(secret: bytes, recipient_id: int) -> str:
    return f"{_base36(recipient_id)}{_mac(secret, recipient_id)}"


def read(secret: bytes, token: str) -> int | None:
    """The recipient id the token was made for, or None when it is not a genuine token."""
    ident, mac = token[:-MAC_LENGTH], token[-MAC_LENGTH:]
    if not ident or len(ident) > 12 or not all(c in _ALPHABET for c in ident):
        return None
    recipient_id = int(ident, 36)
    return recipient_id if hmac.compare_digest(mac, _mac(secret, recipient_id)) else None


def _mac(secret: bytes, recipient_id: int) -> str:
    digest = hmac.new(secret, f"recipient:{recipient_id}".encode(), hashlib.sha256).digest()
    # 66 bits: guessing one takes ~10^19 requests; the rest of the SMS needs the room.
    return base64.urlsafe_b64encode(digest[:9]).decode()[:MAC_LENGTH]


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _ALPHABET[r] + out
        if n == 0:
            return out
