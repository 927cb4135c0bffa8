"""emergency scheduler: the one scheduler process."""
from __future__ import annotations

import logging

import click

from emergency.commands.common import App, command


@command(None, "scheduler")
def scheduler(app: App) -> None:
    """Escalations, warning start/end, the auditor: short sweeps every 20–60 s. Run exactly one."""
    from emergency.scheduler import build

    app.require_schema()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    click.echo("scheduler: escalation, warning times and the auditor every 20–60 s (Ctrl-C to stop)", err=True)
    try:
        build(app.sessions, app.config).start()
    except (KeyboardInterrupt, SystemExit):
        pass
