"""The web application: the JSON API, staff sign-in and pages, the companies' confirmation pages,
provider webhooks and the message simulator. Server-rendered Jinja2 pages; no scheduler is ever
started here."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from alerts import providers as registry
from alerts.providers.settings import ProviderSettings
from config.settings import Settings
from emergency.context import Context
from emergency.web import errors, limits
from emergency.web.deps import page, transaction

WEB = Path(__file__).resolve().parent
TEMPLATES = WEB / "templates"


def create_app(settings: Settings | None = None, providers: ProviderSettings | None = None) -> FastAPI:
    """The application for these settings (from the environment when None). Fails at start on a bad
    configuration, not at the first request."""
    from emergency.dashboard import laggards, remind_views
    from emergency.dashboard import pages as dashboard_pages
    from emergency.dashboard import views as dashboard
    from emergency.enterprises import pages as enterprise_pages
    from emergency.enterprises import views as enterprises
    from emergency.forecasts import pages as forecast_pages
    from emergency.forecasts import views as forecasts
    from emergency.inspections import office as inspection_office
    from emergency.inspections import pages as inspect_pages
    from emergency.inspections import views as inspections
    from emergency.reports import pages as report_pages
    from emergency.reports import views as reports
    from emergency.warnings import pages as warning_pages
    from emergency.warnings import views as warnings
    from emergency.notices.inbound import Answers
    from emergency.web import api, console, home, login, pages, simulator, users

    context = Context(settings, providers=providers)
    app = FastAPI(title="emergency", version="1", docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json",
                  description="空气重污染应急 — the JSON API (../shared/spec/api.md). Sign in with POST /api/v1/tokens, "
                              "then send `Authorization: Bearer TOKEN`.")
    app.state.context = context
    app.state.templates = Jinja2Templates(directory=TEMPLATES)
    console.install(app.state.templates, context.settings)
    for callbacks in registry.routers(context.providers, public_url=context.settings.public_url,
                                      inbound=Answers(context.settings), transaction=transaction):
        app.include_router(callbacks)
    for module in (pages, login, console, home, simulator, forecast_pages, warning_pages, enterprise_pages,
                   users, dashboard_pages, report_pages, laggards, inspection_office, inspect_pages):
        app.include_router(module.router)
    app.include_router(inspections.files)
    for module in (api, forecasts, warnings, enterprises, dashboard, reports, remind_views, inspections):
        app.include_router(module.router, prefix="/api/v1", responses={400: {"description": "malformed request"}})
    app.include_router(api.docs)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.get("/healthz", response_class=PlainTextResponse, include_in_schema=False)
    def healthz() -> str:
        return "ok"

    errors.install(app, error_page)
    app.add_middleware(limits.SecurityHeaders)
    app.add_middleware(limits.BodyLimit)
    return app


def error_page(request: Request, status: int, zh: str, en: str) -> HTMLResponse:
    staff_path = not request.url.path.startswith(("/a/", registry.CALLBACKS + "/"))
    return page(request, "message.html", {"title": str(status), "zh": zh, "en": en, "home_link": staff_path}, status)
