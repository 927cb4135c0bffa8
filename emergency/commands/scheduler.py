"""emergency scheduler: the one scheduler process."""
from __future__ import annotations

import logging

import click

from emergency.commands.common import App, Rejected, command


@command(None, "scheduler")
def scheduler(app: App) -> None:
    """Escalations, warning start/end, the auditor: short sweeps every 20–60 s. Exactly one may run
    per database: a second one refuses to start and says which process holds the lock."""
    from config.locks import AlreadyRunning, ProcessLock
    from emergency.scheduler import build

    app.require_schema()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    lock = ProcessLock(app.engine, "scheduler")
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        raise Rejected(f"{exc}; stop it first (only one scheduler may run) / 已有调度进程在运行") from None
    click.echo(f"scheduler {lock.holder}: escalation, warning times and the auditor every 20–60 s (Ctrl-C to stop)",
               err=True)
    try:
        build(app.sessions, app.config, lock=lock, settings=app.settings).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lock.release()
