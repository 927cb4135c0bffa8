"""emergency notify run: the dispatch worker."""
from __future__ import annotations

import logging
import signal
import threading

import click

from emergency.commands.common import App, command


@click.group(name="notify")
def notify_group() -> None:
    """Notifications: the dispatch worker."""


def dispatcher(app: App, name: str | None = None):
    from alerts import providers
    from alerts.worker import Dispatcher
    from emergency.notices.render import Renderer

    config = app.config.notify
    registry = providers.build(app.providers, app.sessions, public_url=app.settings.public_url,
                               pool=config.concurrency)
    return Dispatcher(sessions=app.sessions, transports=registry, render=Renderer(app.settings), config=config, name=name)


@command(notify_group, "run")
@click.option("--once", is_flag=True, help="Send what is due, then exit (instead of running until stopped).")
@click.option("--name", default=None, help="This worker's name in the records (default host:pid).")
def run(app: App, once: bool, name: str | None) -> None:
    """Send due messages, retry transient failures, record every outcome. Several workers may run at once."""
    from alerts import providers

    app.require_schema()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s notify %(message)s")
    worker = dispatcher(app, name)
    if providers.simulated(app.providers):
        click.echo("notify: every channel goes to the built-in simulator (/simulator); nothing leaves this machine",
                   err=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        totals = worker.run(once=once, stop=stop)
    finally:
        worker.close()
    click.echo(f"notify: {dict(totals) or 'nothing due'}", err=True)
