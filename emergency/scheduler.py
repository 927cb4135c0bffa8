"""The one scheduler process (APScheduler 3): short idempotent sweeps over our own tables, so that
a restart loses nothing and repeats nothing. Web workers never start it."""
from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import sessionmaker

from config.db import utcnow
from config.locks import AlreadyRunning, ProcessLock
from config.settings import AppConfig, Settings
from emergency.inspections import service as inspections
from emergency.notices import audit, escalation
from emergency.reports import jobs as reports
from emergency.warnings import service as warnings

log = logging.getLogger(__name__)


def jobs(config: AppConfig, settings: Settings) -> dict[str, tuple[Callable, int]]:
    """Each job's body (called with session and now) and its interval in seconds."""
    zone, url = settings.tz, settings.public_url
    return {
        "warnings.advance": (lambda session, now: warnings.advance(session=session, now=now), 20),
        "notices.escalate": (lambda session, now: escalation.sweep(session=session, config=config, now=now), 20),
        "audit": (lambda session, now: audit.sweep(session=session, config=config, now=now), 60),
        "reports": (lambda session, now: reports.sweep(session=session, config=config, zone=zone, public_url=url,
                                                       now=now), 60),
        "inspections.prune": (lambda session, now: inspections.prune(session=session, media_dir=settings.media_dir,
                                                                     now=now), 3600),
    }


def run_job(sessions: sessionmaker, name: str, body: Callable) -> None:
    """One run of a job, in one transaction: all of its effects or none."""
    with sessions() as session, session.begin():
        result = body(session, utcnow())
    if result:
        log.info("%s: %s", name, result)


def build(sessions: sessionmaker, config: AppConfig, lock: ProcessLock | None = None, *,
          settings: Settings) -> BlockingScheduler:
    """The scheduler with its sweeps. A job that fails (the database away) is logged and runs again at
    its next interval, so the process outlives an outage; with a lock, it is renewed every 20 s and
    the process stops if another scheduler has taken it."""
    scheduler = BlockingScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1,
                                                                "misfire_grace_time": 60})
    for name, (body, seconds) in jobs(config, settings).items():
        scheduler.add_job(run_job, "interval", seconds=seconds, args=(sessions, name, body), id=name, name=name,
                          next_run_time=utcnow())
    if lock is not None:
        scheduler.add_job(keep, "interval", seconds=20, args=(scheduler, lock), id="lock", name="lock")
    return scheduler


def keep(scheduler: BlockingScheduler, lock: ProcessLock) -> None:
    try:
        lock.renew()
    except AlreadyRunning as exc:
        log.error("%s: stopping", exc)
        scheduler.shutdown(wait=False)
    except Exception as exc:  # noqa: BLE001 — the database is away: keep trying
        log.warning("cannot renew the scheduler lock (%s); retrying", str(exc).splitlines()[0])
