"""Staff sign-in for the browser: a server-side session (its secret in an HttpOnly cookie), signing
out, and a CSRF token on the sign-in form itself (double submit: a cookie and a field)."""
from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.models import TokenKind
from config.db import utcnow
from emergency.web.deps import (CSRF_FIELD, SESSION_COOKIE, SignedIn, client_of, context_of, page, settings_of,
                                signed_in, transaction)

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "emergency_login_csrf"


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def _secure(request: Request) -> bool:
    return settings_of(request).public_url.startswith("https://")


def _form(request: Request, next: str, error: str | None, status: int = 200) -> HTMLResponse:
    """The sign-in form; `error` names the catalogue's message (login.expired, .throttled, .wrong)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not 20 <= len(token) <= 64 or not token.isascii():
        token = secrets.token_urlsafe(24)
    response = page(request, "login.html", {"next": _safe_next(next), "error": error, "csrf": token}, status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
def form(request: Request, next: str = "/") -> HTMLResponse:
    return _form(request, next, None)


@router.post("/login")
def login(request: Request, username: str = Form("", max_length=200), password: str = Form("", max_length=1000),
          next: str = Form("/", max_length=500), csrf_token: str = Form("", alias=CSRF_FIELD, max_length=100),
          session: Session = Depends(transaction, scope="function")) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _form(request, next, "expired", 403)
    context, now = context_of(request), utcnow()
    try:
        user = accounts.authenticate(session=session, username=username, password=password, client=client_of(request),
                                     now=now, limits=context.limits)
    except accounts.SignInRefused as exc:
        if exc.throttled:
            response = _form(request, next, "throttled", 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        return _form(request, next, "wrong", 401)
    secret, token = accounts.start(session=session, user=user, kind=TokenKind.SESSION, client=client_of(request),
                                   now=now, limits=context.limits)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(context.limits.session_lifetime.total_seconds()),
                        httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(who: SignedIn = Depends(signed_in), session: Session = Depends(transaction, scope="function")) -> Response:
    accounts.end(session=session, token=who.token, actor=who.actor, now=utcnow())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
