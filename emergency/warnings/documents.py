"""Warnings as the command line and the API show them (times in the configured zone)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts import service as alerts
from config.db import utcnow
from emergency.warnings.models import ActivatedEnterprise, Activation, Recipient, Request, Status, Warning, status_at
from lists.models import Area


def when(value: datetime | None, zone: ZoneInfo) -> str | None:
    return value.astimezone(zone).isoformat() if value else None


def request_json(request: Request, activation: Activation | None, zone: ZoneInfo) -> dict:
    return {
        "seq": request.seq, "kind": request.kind, "status": request.status, "level": request.level,
        "start": when(request.start_at, zone), "end": when(request.end_at, zone), "lift_at": when(request.lift_at, zone),
        "reason": request.reason, "requested_by": request.requested_by, "requested_at": when(request.requested_at, zone),
        "decided_by": request.decided_by, "decided_at": when(request.decided_at, zone),
        "override_reason": request.override_reason,
        "adequacy_ok": None if request.adequacy is None else request.adequacy["ok"],
        "forecast": None if request.evidence is None else {k: request.evidence.get(k) for k in
                                                          ("level", "rule", "trigger_days", "forecast_import", "issued_at")},
        "activation": None if activation is None else {"id": activation.id, "enterprises": activation.enterprises,
                                                       "changed": activation.changed, "recipients": activation.recipients},
    }


def progress(session: Session, warning: Warning, latest: Activation | None) -> dict:
    """Deliveries of all its notices by status; enterprises that acknowledged and confirmed the latest."""
    recipients = (select(Recipient.id).join(Activation, Activation.id == Recipient.activation_id)
                  .where(Activation.warning_id == warning.id))
    acknowledged = confirmed = 0
    if latest is not None:
        acknowledged, confirmed = session.execute(
            select(func.count(ActivatedEnterprise.acknowledged_at), func.count(ActivatedEnterprise.confirmed_at))
            .where(ActivatedEnterprise.activation_id == latest.id)).one()
    return {"deliveries": alerts.counts(session, recipients), "acknowledged": acknowledged, "confirmed": confirmed}


def shown_status(warning: Warning, now: datetime) -> str:
    """The status as of now, derived from the clock: reads never advance a warning (the scheduler does)."""
    if warning.status in (Status.SCHEDULED, Status.ACTIVE):
        return status_at(warning, now)
    return warning.status


def warning_json(session: Session, warning: Warning, zone: ZoneInfo, *, history: bool = True,
                 now: datetime | None = None) -> dict:
    requests = session.scalars(select(Request).where(Request.warning_id == warning.id).order_by(Request.seq)).all()
    activations = {a.request_id: a for a in session.scalars(select(Activation).where(Activation.warning_id == warning.id))}
    latest = max(activations.values(), key=lambda a: a.id, default=None)
    pending = next((r for r in requests if r.status == "pending"), None)
    data = {
        "id": warning.id, "status": shown_status(warning, now or utcnow()), "level": warning.level, "drill": warning.drill,
        "area": session.scalar(select(Area.name).where(Area.id == warning.area_id)), "rules": warning.rules,
        "start": when(warning.start_at, zone), "end": when(warning.end_at, zone), "lifted_at": when(warning.lifted_at, zone),
        "enterprises": latest.enterprises if latest else 0,
        "recipients": latest.recipients if latest else 0,
        **progress(session, warning, latest),
        "pending": None if pending is None else {"seq": pending.seq, "kind": pending.kind, "level": pending.level,
                                                 "requested_by": pending.requested_by,
                                                 "adequacy": pending.adequacy},
        "created_by": warning.created_by, "created_at": when(warning.created_at, zone),
    }
    if history:
        data["history"] = [request_json(r, activations.get(r.id), zone) for r in requests]
    return data


def rows_json(session: Session, warnings: list[Warning], zone: ZoneInfo, now: datetime | None = None) -> list[dict]:
    """What a list of warnings shows (area, level, status, times, the pending request), read for all
    of them in two queries; the figures come from `queries.progress_by_warning`, also batched."""
    ids = [w.id for w in warnings]
    names = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_({w.area_id for w in warnings}))).all())
    pending = {r.warning_id: r for r in session.scalars(select(Request).where(Request.warning_id.in_(ids),
                                                                            Request.status == "pending"))}
    now = now or utcnow()
    return [{"id": w.id, "status": shown_status(w, now), "level": w.level, "drill": w.drill, "area": names.get(w.area_id),
             "start": when(w.start_at, zone), "end": when(w.end_at, zone), "lifted_at": when(w.lifted_at, zone),
             "pending": None if (p := pending.get(w.id)) is None else {"seq": p.seq, "kind": p.kind, "level": p.level,
                                                                       "requested_by": p.requested_by}}
            for w in warnings]
