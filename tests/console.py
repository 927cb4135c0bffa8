"""What the console's browser tests share: a demo database served for real by uvicorn, headless
Chromium, signing in as a demo login, and the layout check every page gets (1366×768 and 375×812,
no horizontal scrolling, a screenshot of each kept in $EMERGENCY_SCREENSHOTS, default
`artifacts/screenshots`, which CI keeps)."""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from alerts import providers
from alerts.providers.settings import ProviderSettings
from config.db import make_engine
from config.settings import Settings
from emergency.warnings.models import OPEN, Request as WarningRequest, Warning
from emergency.web.app import create_app
from tests.notifying import LiveServer, free_port
from tests.test_cli import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(os.environ.get("EMERGENCY_SCREENSHOTS", "artifacts/screenshots"))
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
STAFF = ("duty", "commander", "commander2", "office", "inspector", "viewer", "admin")


@dataclass
class Console:
    """A demo district served at `url`; `passwords` of the demo logins; `engine` to look inside."""

    url: str
    db_url: str
    passwords: dict[str, str]
    engine: object
    settings: Settings
    backend: str
    pages: list = field(default_factory=list)

    def sign_in(self, browser, username: str, *, phone: bool = False, lang: str = "zh-CN"):
        """A new browser context signed in as `username`; returns its page."""
        options = ({"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2} if phone
                   else {"viewport": DESKTOP})
        context = browser.new_context(locale=lang, **options)
        page = context.new_page()
        page.goto(f"{self.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", self.passwords[username])
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "/login" not in page.url, f"{username} could not sign in"
        return page

    def close_open_warnings(self) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(update(WarningRequest).where(WarningRequest.status == "pending").values(status="withdrawn"))
            session.execute(update(Warning).where(Warning.status.in_(OPEN)).values(status="withdrawn"))


def layout(page, name: str, backend: str = "") -> None:
    """The page at desktop and phone width: nothing wider than the screen; a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)  # charts and wrapped rows settle
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} scrolls sideways at {label} width: {width} > {size['width']}"
        suffix = f"-{backend}" if backend else ""
        page.screenshot(path=str(SHOTS / f"{name}-{label}{suffix}.png"), full_page=True)
    page.set_viewport_size(original)


class _Shared:
    """One Playwright and one Chromium at a time: its sync API cannot run twice at once, and every
    module that imports the `chromium` fixture gets a definition of its own. Per module, not per
    run: while it runs, the main thread has an event loop, and tests that call asyncio.run() fail."""

    playwright = browser = None
    users = 0


@pytest.fixture(scope="module")
def chromium():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (.ci/run installs it)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    if _Shared.browser is None:
        _Shared.playwright = sync_playwright().start()
        _Shared.browser = _Shared.playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
    _Shared.users += 1
    yield _Shared.browser
    _Shared.users -= 1
    if _Shared.users == 0:
        _Shared.browser.close()
        _Shared.playwright.stop()
        _Shared.browser = _Shared.playwright = None


@pytest.fixture(scope="module")
def console(databases, cheap_passwords, tmp_path_factory) -> Console:
    """One demo district per module and backend, served on a free port (photos in a folder of its own)."""
    db_url = databases.new_url()
    assert run("init", "--db", db_url).exit_code == 0
    loaded = run("demo", "--enterprises", "40", "--db", db_url)
    assert loaded.exit_code == 0, loaded.stderr
    passwords = dict(re.findall(r"staff login 员工账号: (\S+) / (\S+)", loaded.stderr))
    assert set(STAFF) <= set(passwords), loaded.stderr
    port = free_port()
    settings = Settings(database_url=db_url, public_url=f"http://127.0.0.1:{port}", secret_key="console-test-secret",
                        media_dir=tmp_path_factory.mktemp("media"))
    app = create_app(settings)
    engine = make_engine(db_url)
    with LiveServer(app, port) as server:
        yield Console(url=server.url, db_url=db_url, passwords=passwords, engine=engine, settings=settings,
                      backend=databases.backend)
    engine.dispose()
    app.state.context.engine.dispose()


@pytest.fixture(scope="module")
def cheap_passwords():
    """argon2 at a cheap setting: the real one takes ~0.3 s per hash."""
    from argon2 import PasswordHasher

    from accounts import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        dummy = cheap.hash("dummy-password")
        patch.setattr(passwords, "_dummy", lambda: dummy)
        yield


def simulator(console: Console, sessions) -> dict:
    """The transports of a console without providers: every channel to the simulator."""
    return providers.build(ProviderSettings(), sessions, public_url=console.settings.public_url)
