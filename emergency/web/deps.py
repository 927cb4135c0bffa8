"""What the routes share: the application context, a transaction per request, the signed-in staff
member (browser session or API token) and the CSRF check. Imported by every router; imports none."""
from __future__ import annotations

import hmac
from collections.abc import Iterator

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.models import AuthToken, TokenKind, User
from accounts.permissions import Actor
from config.db import utcnow
from config.settings import Settings
from emergency.context import Context
from emergency.web import i18n

SESSION_COOKIE = "emergency_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignedIn:
    """The staff member behind this request, how they came (session or API token) and their actor."""

    def __init__(self, session: Session, user: User, token: AuthToken):
        self.user, self.token = user, token
        self.actor: Actor = accounts.actor_of(session, user)

    @property
    def csrf(self) -> str | None:
        return self.token.csrf


class NotSignedIn(Exception):
    """No valid session or token: 401 for the API, a redirect to /login for pages."""


def context_of(request: Request) -> Context:
    return request.app.state.context


def settings_of(request: Request) -> Settings:
    return request.app.state.context.settings


def transaction(request: Request) -> Iterator[Session]:
    """A session whose work is committed when the handler returns, rolled back if it raises."""
    with context_of(request).sessions() as session, session.begin():
        yield session


def page(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    """A server-rendered page; never cached (staff data, personal links). Templates get `t` (the
    words in the visitor's language) unless the console already gave the user's."""
    if "t" not in context:
        lang = i18n.normal(request.cookies.get("emergency_lang") or request.headers.get("accept-language"))
        context = {"t": i18n.Translator(lang), "lang": lang, "languages": i18n.NAMES} | context
    response = request.app.state.templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def signed_in(request: Request, session: Session = Depends(transaction, scope="function")) -> SignedIn:
    """The staff member signed in by API token (Authorization: Bearer) or browser session cookie.

    Raises NotSignedIn; a state-changing request on a browser session without its CSRF token is 403."""
    limits, now = context_of(request).limits, utcnow()
    if (secret := bearer(request)) is not None:
        found = accounts.resume(session=session, secret=secret, kind=TokenKind.API, now=now, limits=limits)
        if found is None:
            raise NotSignedIn()
        return SignedIn(session, *found)
    found = accounts.resume(session=session, secret=request.cookies.get(SESSION_COOKIE, ""), kind=TokenKind.SESSION,
                            now=now, limits=limits)
    if found is None:
        raise NotSignedIn()
    who = SignedIn(session, *found)
    if request.method not in SAFE_METHODS:
        await check_csrf(request, who.csrf)
    return who


async def check_csrf(request: Request, expected: str | None) -> None:
    """The request carries the expected token (header for fetch/htmx, form field for forms); 403 otherwise."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, detail={"code": "csrf_failed", "message": "missing or wrong CSRF token: reload the page",
                                         "message_zh": "页面已过期或缺少安全令牌，请刷新后重试"})


def actor(who: SignedIn = Depends(signed_in)) -> Actor:
    return who.actor
