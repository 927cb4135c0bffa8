"""The web application: provider webhooks, the companies' confirmation pages, staff login and
the message simulator. Server-rendered Jinja2 pages; no scheduler is ever started here."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from config.db import make_engine, make_sessionmaker
from config.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    from emergency.web import login, pages, simulator, webhooks

    settings = settings or Settings()
    settings.app  # noqa: B018 — fail at start on a bad configuration, not at the first request
    app = FastAPI(title="emergency", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url, pool_pre_ping=True)
    app.state.sessions = make_sessionmaker(app.state.engine)
    app.state.templates = Jinja2Templates(directory=TEMPLATES)
    for module in (webhooks, pages, login, simulator):
        app.include_router(module.router)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.exception_handler(404)
    async def not_found(request: Request, exc) -> HTMLResponse:
        return page(request, "message.html", {"title": "404", "zh": "页面不存在", "en": "page not found"}, 404)

    return app


def transaction(request: Request) -> Iterator[Session]:
    """A session whose work is committed when the handler returns, rolled back if it raises."""
    with request.app.state.sessions() as session, session.begin():
        yield session


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def page(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    response = request.app.state.templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return response
