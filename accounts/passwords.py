"""Passwords: argon2id (argon2-cffi). Hashes of the scrypt era still verify and are replaced on the
next sign-in."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """Verified when the username is unknown, so that an unknown user and a wrong password take as long
    (made on first use: hashing at import would slow every command)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password: str, stored: str | None) -> tuple[bool, bool]:
    """(matches, should be rehashed). With `stored` None, spends the same time and answers no."""
    if stored is None:
        _check_argon2(password, _dummy())
        return False, False
    if stored.startswith("scrypt$"):
        return _check_scrypt(password, stored), True
    ok = _check_argon2(password, stored)
    return ok, ok and _hasher.check_needs_rehash(stored)


def _check_argon2(password: str, stored: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_scrypt(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def new_password() -> str:
    return secrets.token_urlsafe(12)
