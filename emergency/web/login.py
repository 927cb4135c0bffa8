"""Staff sign-in: a signed, expiring session cookie (HMAC with the installation's key)."""
from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.events import EventKind, record
from config.db import utcnow
from emergency.auth import verify_password
from emergency.models import User
from emergency.notices import tokens
from emergency.web.app import page, settings_of, transaction

router = APIRouter()
COOKIE = "emergency_session"
LIFETIME = 12 * 3600  # one duty shift


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:32]


def _secret(request: Request, session: Session) -> bytes:
    return tokens.key(session, settings_of(request), purpose="sessions")


def staff(request: Request, session: Session = Depends(transaction, scope="function")) -> User:
    """The signed-in staff member; otherwise a redirect to the sign-in page."""
    user_id, _, rest = (request.cookies.get(COOKIE) or "").partition(".")
    expires, _, mac = rest.partition(".")
    ok = (user_id.isdigit() and expires.isdigit() and int(expires) > time.time()
          and hmac.compare_digest(mac, _sign(_secret(request, session), f"{user_id}.{expires}")))
    user = session.get(User, int(user_id)) if ok else None
    if user is None or not user.active:
        raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})
    return user


@router.get("/login", response_class=HTMLResponse)
def form(request: Request, next: str = "/simulator") -> HTMLResponse:
    return page(request, "login.html", {"next": next if next.startswith("/") else "/", "error": None})


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...), next: str = Form("/"),
          session: Session = Depends(transaction, scope="function")):
    user = session.scalars(select(User).where(User.username == username.strip())).one_or_none()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return page(request, "login.html", {"next": next, "error": "用户名或密码错误 / wrong username or password"}, 401)
    expires = int(time.time()) + LIFETIME
    value = f"{user.id}.{expires}.{_sign(_secret(request, session), f'{user.id}.{expires}')}"
    record(session, kind=EventKind.USER_SIGNED_IN, actor=user.username, subject_type="user", subject_id=user.id, at=utcnow())
    response = RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", status_code=303)
    response.set_cookie(COOKIE, value, max_age=LIFETIME, httponly=True, samesite="lax",
                        secure=settings_of(request).public_url.startswith("https://"))
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
