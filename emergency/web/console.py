"""What every console page shares: the language (the user's choice, else the browser's), the
navigation for the user's role, the layout's context and the template filters. Pages call
`staff(request, who, "x.html", {...})`; the routes live beside their concepts (`*/pages.py`)."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from accounts.models import Role
from accounts.permissions import Action
from emergency.web import i18n
from emergency.web.deps import SignedIn, page, settings_of, signed_in, transaction

LANGUAGE_COOKIE = "emergency_lang"
router = APIRouter(include_in_schema=False)

# (key, href, who sees it): the order of the navigation bar.
NAV = (
    ("home", "/", None),
    ("forecast", "/forecast", {Role.DUTY_OFFICER, Role.COMMANDER, Role.OFFICE, Role.VIEWER, Role.ADMIN}),
    ("warnings", "/warnings", None),
    ("inspect", "/inspect", {Role.INSPECTOR, Role.OFFICE, Role.ADMIN}),
    ("enterprises", "/enterprises", None),
    ("lists", "/lists", {Role.DUTY_OFFICER, Role.ADMIN}),
    ("users", "/users", {Role.ADMIN}),
    ("simulator", "/simulator", {Role.ADMIN}),
)


def language_of(request: Request, user=None) -> str:
    """The user's stored choice, else the language cookie (sign-in page), else the browser's."""
    if user is not None and getattr(user, "language", None):
        return i18n.normal(user.language)
    return i18n.normal(request.cookies.get(LANGUAGE_COOKIE) or request.headers.get("accept-language"))


def nav_for(role: str) -> list[tuple[str, str]]:
    return [(key, href) for key, href, roles in NAV if roles is None or role in roles]


def staff(request: Request, who: SignedIn, template: str, context: dict, status: int = 200) -> HTMLResponse:
    """A console page for the signed-in staff member, in their language, with their navigation."""
    lang = language_of(request, who.user)
    section = next((key for key, href in reversed(nav_for(who.user.role))
                    if request.url.path == href or (href != "/" and request.url.path.startswith(href + "/"))), "home")
    base = {"t": i18n.Translator(lang), "lang": lang, "languages": i18n.NAMES, "user": who.user, "actor": who.actor,
            "nav": nav_for(who.user.role), "section": section, "csrf_meta": who.csrf, "may": who.actor.may,
            "Action": Action, "here": request.url.path + (f"?{request.url.query}" if request.url.query else "")}
    return page(request, template, base | context, status)


def install(templates: Jinja2Templates, settings) -> None:
    """Filters the console's templates use: local time in the command center's zone, percentages."""
    zone = settings.tz

    def local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if isinstance(value, str):  # an ISO time from a stored document
            value = datetime.fromisoformat(value) if value else None
        return value.astimezone(zone).strftime(fmt) if value else "—"

    def pct(value: float | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        if 0 < value < 1 / 10 ** (digits + 2):  # one of 200 is not 0 %
            return f"<{1 / 10 ** digits:g}%"
        return f"{value * 100:.{digits}f}%"

    def num(value: float | int | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        return f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"

    templates.env.filters.update(local=local, pct=pct, num=num)
    templates.env.globals["zone_name"] = str(zone)


def safe_next(value: str | None) -> str:
    """A local path to go back to (never another site)."""
    parts = urlsplit(value or "/")
    if parts.scheme or parts.netloc or not (value or "/").startswith("/") or (value or "").startswith("//"):
        return "/"
    return value or "/"


@router.post("/language")
def choose_language(request: Request, language: str = Form("zh"), next: str = Form("/"),
                    who: SignedIn = Depends(signed_in), session: Session = Depends(transaction, scope="function")):
    """The language switch: remembered for the user (every device) and in a cookie (the sign-in page)."""
    chosen = i18n.normal(language)
    who.user.language = chosen
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="lax", httponly=True,
                        secure=settings_of(request).public_url.startswith("https://"))
    return response


@router.get("/language/{language}")
def choose_language_signed_out(request: Request, language: str, next: str = "/login") -> RedirectResponse:
    """The switch on the sign-in page (no session yet): a cookie only."""
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, i18n.normal(language), max_age=365 * 86400, samesite="lax", httponly=True)
    return response
