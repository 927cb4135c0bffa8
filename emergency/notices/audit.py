"""The auditor: a sweep that looks for what is late or stuck and writes it to the event log once
when it appears and once when it clears (audit_findings remembers which are open)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from alerts.models import Delivery, Status as DeliveryStatus
from config.events import EventKind, record
from config.settings import AppConfig
from emergency.notices.models import AuditFinding
from emergency.warnings.models import OPEN, ActivatedEnterprise, Activation, Kind, Warning

LATE = timedelta(minutes=5)  # due this long without being claimed: no worker is running


def findings(session: Session, config: AppConfig, now: datetime) -> dict[str, str]:
    """What is wrong now, by a stable key."""
    found = {}
    stuck = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.claimed_at < now - timedelta(seconds=config.notify.claim_timeout_seconds)))
    if stuck:
        found["deliveries:stuck"] = f"{stuck} deliveries claimed but not finished for over " \
                                    f"{config.notify.claim_timeout_seconds} s (a worker died?)"
    late = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at < now - LATE))
    if late:
        found["deliveries:late"] = f"{late} deliveries due for over {int(LATE.total_seconds() // 60)} min: " \
                                   "is `emergency notify run` running?"
    latest = select(func.max(Activation.id)).group_by(Activation.warning_id)
    rows = session.execute(
        select(Activation.id, Activation.warning_id, func.count())
        .join(Warning, Warning.id == Activation.warning_id)
        .join(ActivatedEnterprise, ActivatedEnterprise.activation_id == Activation.id)
        .where(Warning.status.in_(OPEN), Activation.kind != Kind.LIFT, Activation.id.in_(latest),
               Activation.starts_at <= now, ActivatedEnterprise.changed == true(),
               ActivatedEnterprise.confirmed_at.is_(None))
        .group_by(Activation.id, Activation.warning_id)).all()
    for activation_id, warning_id, count in rows:
        found[f"notice:{activation_id}:unconfirmed-at-start"] = \
            f"warning {warning_id}: {count} enterprises had not confirmed notice {activation_id} at its start"
    return found


def sweep(*, session: Session, config: AppConfig, now: datetime) -> dict[str, list[str]]:
    """Open new findings and close cleared ones, each logged once; returns the keys of both."""
    current = findings(session, config, now)
    open_rows = {f.key: f for f in session.scalars(select(AuditFinding).where(AuditFinding.resolved_at.is_(None)))}
    opened, closed = [], []
    for key, detail in current.items():
        if key in open_rows:
            open_rows[key].last_at, open_rows[key].detail = now, detail
            continue
        row = session.get(AuditFinding, key)
        if row is None:
            session.add(AuditFinding(key=key, first_at=now, last_at=now, detail=detail))
        else:
            row.first_at, row.last_at, row.resolved_at, row.detail = now, now, None, detail
        record(session, kind=EventKind.AUDIT_FINDING, actor="auditor", subject_type="audit", at=now,
               detail={"key": key, "finding": detail})
        opened.append(key)
    for key, row in open_rows.items():
        if key not in current:
            row.resolved_at = now
            record(session, kind=EventKind.AUDIT_RESOLVED, actor="auditor", subject_type="audit", at=now,
                   detail={"key": key, "finding": row.detail})
            closed.append(key)
    session.flush()
    return {"opened": opened, "closed": closed}
