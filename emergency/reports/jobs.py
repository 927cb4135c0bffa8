"""The scheduler's report job: at the configured local time, the daily report of the day before for
every warning (drills too, marked) that was in force that day, and the post-event assessment once,
the day after a warning ends; each announced to the configured units (the command center).

Messages carry no attachments (alerts knows text and HTML only), so the email says the headline
figures and links to the reports page, where the xlsx and docx are made from the same rows. Each
report is recorded in the event log with the figures it announced; that record is what makes the
job idempotent — a report recorded is never made or sent again, and one not yet recorded (the
scheduler was down at the hour) is made at the next run of the day."""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from accounts.permissions import system
from config.events import Event, record
from config.settings import AppConfig
from emergency.notices.schedule import ADDRESS, deliveries
from emergency.reports import service
from emergency.warnings.models import Activation, Recipient, Status, Warning

log = logging.getLogger(__name__)
SENT = "report.sent"
APPROVED = (Status.SCHEDULED, Status.ACTIVE, Status.LIFTED, Status.EXPIRED)
# An assessment is due within two days of the end: one missed while the scheduler was down is still
# made the day after; older warnings are left alone (installing this job sends nothing for the past).
ASSESSMENT_CATCH_UP = timedelta(days=1)


def sweep(*, session: Session, config: AppConfig, zone: ZoneInfo, public_url: str, now: datetime) -> list[dict]:
    """Make and announce the reports that have come due; returns what was sent."""
    local = now.astimezone(zone)
    if local.time() < time.fromisoformat(config.reports.daily_at):
        return []
    today = local.date()
    yesterday = datetime.combine(today - timedelta(days=1), time(), zone)
    midnight = datetime.combine(today, time(), zone)
    due = [(w, "daily", yesterday.date()) for w in _in_force(session, yesterday, midnight)]
    due += [(w, "assessment", None) for w in _ended(session, yesterday - ASSESSMENT_CATCH_UP, midnight)]
    made = _made(session, {w.id for w, _, _ in due})
    done = []
    for warning, kind, day in due:
        if (warning.id, kind, day and day.isoformat()) in made:
            continue
        try:
            with session.begin_nested():
                done.append(_send(session, warning, kind, day, config=config, zone=zone, public_url=public_url,
                                  now=now))
        except Exception:  # noqa: BLE001 — one report that cannot be made must not hold back the others
            log.exception("report %s of warning %s could not be made; retrying at the next run", kind, warning.id)
    return done


def _in_force(session: Session, start: datetime, end: datetime) -> list[Warning]:
    """Approved warnings in force (or approved and waiting for their start) at some time in [start, end)."""
    first = (select(Activation.warning_id, func.min(Activation.created_at).label("at"))
             .group_by(Activation.warning_id).subquery())
    return list(session.scalars(
        select(Warning).join(first, first.c.warning_id == Warning.id)
        .where(Warning.status.in_(APPROVED), first.c.at < end, func.coalesce(Warning.lifted_at, Warning.end_at) > start)
        .order_by(Warning.id)))


def _ended(session: Session, since: datetime, until: datetime) -> list[Warning]:
    """Approved warnings that ended (lifted or expired) in (since, until]: one that ends at midnight
    was over by the start of the day."""
    end = func.coalesce(Warning.lifted_at, Warning.end_at)
    return list(session.scalars(
        select(Warning).where(Warning.status.in_(APPROVED), end > since, end <= until,
                              select(Activation.id).where(Activation.warning_id == Warning.id).exists())
        .order_by(Warning.id)))


def _made(session: Session, warning_ids: set[int]) -> set[tuple[int, str, str | None]]:
    rows = session.execute(select(Event.subject_id, Event.detail).where(
        Event.kind == SENT, Event.subject_type == "warning", Event.subject_id.in_(warning_ids))).all()
    return {(subject, detail["report"], detail.get("date")) for subject, detail in rows}


def _send(session: Session, warning: Warning, kind: str, day: date | None, *, config: AppConfig, zone: ZoneInfo,
          public_url: str, now: datetime) -> dict:
    doc = service.report(session=session, warning=warning, actor=system("scheduler"), config=config, zone=zone,
                         now=now, kind=kind, day=day)
    url = f"{public_url}/warnings/{warning.id}/reports" + (f"?date={day.isoformat()}" if day else "")
    params = headline(doc) | {"url": url}
    latest = session.scalar(select(func.max(Activation.id)).where(Activation.warning_id == warning.id))
    told = and_(Recipient.activation_id == latest, Recipient.role.in_(config.reports.recipients))
    queued = 0
    for channel in config.reports.channels:
        deliveries(session, channel=channel, purpose="report", now=now, params=params, where=told)
        queued += session.scalar(select(func.count()).select_from(Recipient).where(told, ADDRESS[channel].is_not(None)))
    entry = {"report": kind, "date": params["date"], "title": doc["title"], "queued": queued, "figures": params}
    record(session, kind=SENT, actor="scheduler", subject_type="warning", subject_id=warning.id, at=now, detail=entry)
    return {"warning": warning.id, "report": kind, "date": params["date"], "queued": queued}


def headline(doc: dict) -> dict:
    """What the message says of the report: the counts and the reduction of the latest notice."""
    s = doc["summary"]
    last = doc["reduction"][-1] if doc["reduction"] else None
    return {"report": doc["report"], "date": doc["period"]["date"], "as_of": doc["generated_at"][:16].replace("T", " "),
            "enterprises": s["enterprises"], "acknowledged": s["acknowledged"], "confirmed": s["confirmed"],
            "required": last["required"] if last else None,
            "reduction": [{"pollutant": p, "achieved": x["achieved"]["ratio"], "ok": x["ok"]}
                          for p, x in (last["pollutants"].items() if last else ())]}
