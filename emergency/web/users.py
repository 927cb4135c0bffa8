"""The admin's user pages: the list, adding a user, one user's page (reset the password, disable or
re-enable, change role and area) and the sign-in history. The services check the permission; a
refused change re-renders its form with the message beside the field."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accounts import queries
from accounts import service as accounts
from accounts.models import Role
from areas.models import Area
from config.db import utcnow
from emergency.web.console import language_of, staff
from emergency.web.deps import SignedIn, signed_in, transaction

router = APIRouter(include_in_schema=False)
PAGE = Query(1, ge=1, le=100_000)
ACTIVE = {"yes": True, "no": False}
OUTCOME = {"ok": True, "failed": False}
DONE = ("changed", "disabled", "enabled")


@router.get("/users", response_class=HTMLResponse)
def user_list(request: Request, role: str = "", active: str = "", page: int = PAGE, who: SignedIn = Depends(signed_in),
              session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    found = queries.users(session, actor=who.actor, role=role or None, active=ACTIVE.get(active), page=page)
    return staff(request, who, "users/list.html", {"found": found, "roles": list(Role), "role": role,
                                                   "active": active if active in ACTIVE else ""})


@router.get("/users/new", response_class=HTMLResponse)
def new_form(request: Request, who: SignedIn = Depends(signed_in),
             session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    return _new(request, who, session, {"role": Role.VIEWER}, {})


@router.post("/users/new", response_class=HTMLResponse)
def add(request: Request, username: str = Form(""), display_name: str = Form(""), role: str = Form(""),
        area: str = Form(""), who: SignedIn = Depends(signed_in),
        session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    """The new user's password is shown in this response, once: it is stored nowhere to redirect to."""
    typed = {"username": username, "display_name": display_name, "role": role, "area": area}
    try:
        user, password = accounts.add_user(session=session, actor=who.actor, username=username, role=role,
                                           area=_area(session, area), display_name=display_name, now=utcnow())
    except accounts.BadUser as exc:
        return _new(request, who, session, typed, _errors(request, who, exc), 422)
    return staff(request, who, "users/password.html", {"target": user, "password": password, "kind": "created"})


@router.get("/users/history", response_class=HTMLResponse)
def history(request: Request, outcome: str = "", page: int = PAGE, who: SignedIn = Depends(signed_in),
            session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    found = queries.sign_ins(session, actor=who.actor, ok=OUTCOME.get(outcome), page=page)
    return staff(request, who, "users/history.html", {"found": found, "outcome": outcome if outcome in OUTCOME else ""})


@router.get("/users/{user_id:int}", response_class=HTMLResponse)
def show(request: Request, user_id: int, page: int = PAGE, done: str = "", who: SignedIn = Depends(signed_in),
         session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    return _user(request, who, session, user_id, page=page, done=done if done in DONE else None)


@router.post("/users/{user_id:int}/change", response_class=HTMLResponse)
def change(request: Request, user_id: int, role: str = Form(""), area: str = Form(""),
           who: SignedIn = Depends(signed_in), session: Session = Depends(transaction, scope="function")) -> Response:
    target = queries.user(session, actor=who.actor, user_id=user_id).user
    try:
        accounts.change(session=session, actor=who.actor, username=target.username, role=role,
                        area=_area(session, area), now=utcnow())
    except accounts.BadUser as exc:
        return _user(request, who, session, user_id, typed={"role": role, "area": area},
                     errors=_errors(request, who, exc), status=422)
    return _done(user_id, "changed")


@router.post("/users/{user_id:int}/reset", response_class=HTMLResponse)
def reset(request: Request, user_id: int, who: SignedIn = Depends(signed_in),
          session: Session = Depends(transaction, scope="function")) -> HTMLResponse:
    """The new password is shown in this response, once; the user's sessions end."""
    target = queries.user(session, actor=who.actor, user_id=user_id).user
    password = accounts.reset_password(session=session, actor=who.actor, username=target.username, now=utcnow())
    return staff(request, who, "users/password.html", {"target": target, "password": password, "kind": "reset"})


@router.post("/users/{user_id:int}/disable", response_class=HTMLResponse)
def disable(request: Request, user_id: int, who: SignedIn = Depends(signed_in),
            session: Session = Depends(transaction, scope="function")) -> Response:
    target = queries.user(session, actor=who.actor, user_id=user_id).user
    try:
        accounts.disable(session=session, actor=who.actor, username=target.username, now=utcnow())
    except accounts.BadUser as exc:
        return _user(request, who, session, user_id, errors=_errors(request, who, exc), status=422)
    return _done(user_id, "disabled")


@router.post("/users/{user_id:int}/enable")
def enable(user_id: int, who: SignedIn = Depends(signed_in),
           session: Session = Depends(transaction, scope="function")) -> Response:
    target = queries.user(session, actor=who.actor, user_id=user_id).user
    accounts.enable(session=session, actor=who.actor, username=target.username, now=utcnow())
    return _done(user_id, "enabled")


def _area(session: Session, value: str) -> Area | None:
    """The area chosen in a form (its id; empty = city-level). Raises BadUser for an unknown one."""
    if not value.strip():
        return None
    area = session.get(Area, int(value)) if value.strip().isdigit() and len(value.strip()) < 10 else None
    if area is None:
        raise accounts.BadUser("没有这个区域，请从列表中选择", "no such area: choose one from the list", "area")
    return area


def _errors(request: Request, who: SignedIn, exc: accounts.BadUser) -> dict[str, str]:
    """The refusal in the page's language, keyed by the form field it concerns ("form" when none)."""
    return {exc.field or "form": exc.en if language_of(request, who.user) == "en" else exc.zh}


def _new(request: Request, who: SignedIn, session: Session, typed: dict, errors: dict, status: int = 200) -> HTMLResponse:
    return staff(request, who, "users/new.html", {
        "typed": typed, "errors": errors, "roles": list(Role), "city_level": who.actor.area_path is None,
        "areas": queries.assignable_areas(session, actor=who.actor)}, status)


def _user(request: Request, who: SignedIn, session: Session, user_id: int, *, page: int = 1, done: str | None = None,
          typed: dict | None = None, errors: dict | None = None, status: int = 200) -> HTMLResponse:
    row = queries.user(session, actor=who.actor, user_id=user_id)
    typed = typed or {"role": row.user.role, "area": str(row.user.area_id or "")}
    return staff(request, who, "users/user.html", {
        "row": row, "target": row.user, "me": row.user.id == who.user.id, "done": done, "typed": typed,
        "errors": errors or {}, "roles": list(Role), "city_level": who.actor.area_path is None,
        "areas": queries.assignable_areas(session, actor=who.actor),
        "found": queries.sign_ins(session, actor=who.actor, user_id=user_id, page=page)}, status)


def _done(user_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(f"/users/{user_id}?done={what}", status_code=303)
