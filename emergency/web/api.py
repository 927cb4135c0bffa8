"""The API's own routes: who am I, API tokens, and the documentation page for signed-in staff."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.models import TokenKind
from areas.models import Area
from config.db import utcnow
from emergency.web.deps import SignedIn, client_of, context_of, page, signed_in, transaction
from emergency.web.errors import error_response

router = APIRouter(tags=["accounts"])
docs = APIRouter(include_in_schema=False)

UNAUTHORIZED = {401: {"description": "no valid token or session"}}


class Credentials(BaseModel):
    username: str = Field(max_length=200, pattern=r"^[^\x00]*$")
    password: str = Field(max_length=1000, pattern=r"^[^\x00]*$")


class Token(BaseModel):
    token: str
    expires_at: str


class Me(BaseModel):
    username: str
    name: str
    role: str
    area: str | None


@router.get("/me", response_model=Me, responses=UNAUTHORIZED)
def me(who: SignedIn = Depends(signed_in), session: Session = Depends(transaction, scope="function")) -> Me:
    """The signed-in user: username, name, role and area (None: city-level)."""
    area = session.get(Area, who.user.area_id).name if who.user.area_id else None
    return Me(username=who.user.username, name=who.user.display_name, role=who.user.role, area=area)


@router.post("/tokens", status_code=201, response_model=Token,
             responses={401: {"description": "wrong username or password"}, 429: {"description": "too many failures"}})
def create_token(body: Credentials, request: Request, session: Session = Depends(transaction, scope="function")):
    """An API token for `Authorization: Bearer TOKEN` (12 h by default). Repeated failures are refused (429)."""
    context, now = context_of(request), utcnow()
    try:
        user = accounts.authenticate(session=session, username=body.username, password=body.password,
                                     client=client_of(request), now=now, limits=context.limits)
    except accounts.SignInRefused as exc:
        # Answered, not raised: the failure just recorded must be committed with the request.
        if exc.throttled:
            return error_response(429, "too_many_failures", "too many failed sign-ins: try again later",
                                  "登录失败次数过多，请稍后再试", headers={"Retry-After": str(exc.retry_after)})
        return error_response(401, "wrong_credentials", "wrong username or password", "用户名或密码错误")
    secret, token = accounts.start(session=session, user=user, kind=TokenKind.API, client=client_of(request), now=now,
                                   limits=context.limits)
    return Token(token=secret, expires_at=token.expires_at.astimezone(context.settings.tz).isoformat())


@router.delete("/tokens/current", status_code=204, responses=UNAUTHORIZED)
def revoke_token(who: SignedIn = Depends(signed_in), session: Session = Depends(transaction, scope="function")) -> Response:
    """Revoke the token (or end the browser session) this request came with."""
    accounts.end(session=session, token=who.token, actor=who.actor, now=utcnow())
    return Response(status_code=204)


@docs.get("/api/docs", response_class=HTMLResponse)
def documentation(request: Request, who: SignedIn = Depends(signed_in)) -> HTMLResponse:
    return page(request, "docs.html", {"csrf_meta": who.csrf, "title": "API 文档 · emergency"})
