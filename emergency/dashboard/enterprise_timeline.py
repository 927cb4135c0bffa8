"""One enterprise in one warning: what each notice asked of it, what reached whom, what it said
and did, and what was done about it. The timeline comes from the deliveries, the acknowledgments,
the measure confirmations and the warning's escalation events, one query per source, merged by
time; beside it, its measures with their confirmations and its contacts with their delivery status.
Each inspection of the warning is an entry too (who, the result, the measures found not in place
with what was seen, the note, the photos), read as the inspections' own JSON (three queries)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor, OutOfScope
from alerts.models import Acknowledgment, Delivery, FlaggedAddress
from alerts.models import Status as DeliveryStatus
from areas.models import Area
from config.events import Event, EventKind
from emergency.dashboard.laggards_queries import SHOWN
from emergency.inspections import queries as inspections
from emergency.inspections.models import Inspection
from emergency.notices.models import MeasureConfirmation
from emergency.warnings.models import ActivatedEnterprise, Activation, Recipient, Request, Warning
from lists.models import Enterprise, ListVersion, Measure
from lists.service import in_area

REPORTED = ("town", "command")  # escalation rungs that name the unconfirmed enterprises to someone else


@dataclass
class Notice:
    """One notice of the warning as it concerned the enterprise."""

    activation: Activation
    seq: int
    state: ActivatedEnterprise
    grade: str | None


def one(session: Session, warning: Warning, actor: Actor, credit_code: str, zone: ZoneInfo) -> dict:
    """The enterprise's facts, measures, contacts, inspections and timeline in this warning. Raises
    OutOfScope (404) for an enterprise outside the actor's area, unknown, or not in the warning."""
    enterprise, town = _enterprise(session, actor, credit_code)
    notices = _notices(session, warning.id, enterprise.id)
    if not notices:
        raise OutOfScope(f"企业 {enterprise.credit_code} 不在本次预警的名单中",
                         f"enterprise {enterprise.credit_code} is not among this warning's")
    ids = [n.activation.id for n in notices]
    latest = notices[-1]
    sent = _deliveries(session, enterprise.id, ids)
    confirmed = _confirmations(session, enterprise.id, ids)
    visits = _inspections(session, warning.id, enterprise.id, zone)
    timeline = [*_notice_entries(notices), *_delivery_entries(session, sent), *_receipts(session, enterprise.id, ids),
                *_confirmation_entries(confirmed, notices), *_escalations(session, warning.id, notices),
                *(_entry("inspection", at, 7, "bad" if doc["result"] == "violation" else "ok", inspection=doc)
                  for at, doc in visits)]
    timeline.sort(key=lambda e: (e["at"], e["order"]))
    asked = next((n for n in reversed(notices) if n.state.changed), latest)  # a change may leave it as it was
    return {"enterprise": enterprise, "town": town, "latest": latest, "asked": asked, "notices": notices,
            "measures": _measures(session, asked, confirmed), "contacts": _contacts(sent),
            "inspections": [doc for _, doc in reversed(visits)], "timeline": timeline}


def _enterprise(session: Session, actor: Actor, credit_code: str) -> tuple[Enterprise, str]:
    query = (select(Enterprise, Area.name).join(Area, Area.id == Enterprise.town_id)
             .where(Enterprise.credit_code == credit_code.strip().upper()))
    if actor.area_path is not None:
        query = query.where(in_area(actor.area_path))
    row = session.execute(query).first()
    if row is None:
        raise OutOfScope(f"没有统一社会信用代码为 {credit_code} 的企业", f"there is no enterprise {credit_code}")
    return row[0], row[1]


def _notices(session: Session, warning_id: int, enterprise_id: int) -> list[Notice]:
    state = ActivatedEnterprise
    rows = session.execute(
        select(Activation, Request.seq, state, ListVersion.grade)
        .join(Request, Request.id == Activation.request_id)
        .join(state, and_(state.activation_id == Activation.id, state.enterprise_id == enterprise_id))
        .join(ListVersion, ListVersion.id == state.list_version_id)
        .where(Activation.warning_id == warning_id).order_by(Activation.id)).all()
    return [Notice(*row) for row in rows]


def _deliveries(session: Session, enterprise_id: int, notice_ids: list[int]) -> list:
    return session.execute(select(Delivery, Recipient.name, Recipient.mobile, Recipient.email)
                           .join(Recipient, Recipient.id == Delivery.recipient_id)
                           .where(Recipient.enterprise_id == enterprise_id, Recipient.activation_id.in_(notice_ids))
                           .order_by(Delivery.id)).all()


def _confirmations(session: Session, enterprise_id: int, notice_ids: list[int]) -> list:
    return session.execute(
        select(MeasureConfirmation, Measure.target, Measure.action, Measure.description, Recipient.name)
        .outerjoin(Measure, Measure.id == MeasureConfirmation.measure_id)
        .outerjoin(Recipient, Recipient.id == MeasureConfirmation.recipient_id)
        .where(MeasureConfirmation.enterprise_id == enterprise_id, MeasureConfirmation.activation_id.in_(notice_ids))
        .order_by(MeasureConfirmation.at, MeasureConfirmation.id)).all()


def _entry(kind: str, at: datetime, order: int, tone: str = "", **values) -> dict:
    return {"kind": kind, "at": at, "order": order, "tone": tone, **values}


def _notice_entries(notices: list[Notice]) -> list[dict]:
    entries = []
    for n in notices:
        entries.append(_entry("notice", n.activation.created_at, 0, seq=n.seq, notice_kind=n.activation.kind,
                              level=n.activation.level, changed=n.state.changed))
        if n.state.confirmed_at is not None and n.state.changed:
            entries.append(_entry("confirmed", n.state.confirmed_at, 5, "ok", seq=n.seq))
    return entries


def _delivery_entries(session: Session, sent: list) -> list[dict]:
    flagged = set(session.scalars(select(FlaggedAddress.address).where(
        FlaggedAddress.address.in_({d.address for d, *_ in sent}))))
    entries = []
    for d, name, _, _ in sent:
        about = {"purpose": d.purpose, "channel": d.channel, "name": name, "address": d.address,
                 "by": (d.params or {}).get("by") if (d.params or {}).get("manual") else None}
        if d.sent_at is not None:
            entries.append(_entry("sent", d.sent_at, 1, **about))
        elif d.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
            entries.append(_entry("queued", d.created_at, 1, "wait", **about))
        end = d.finished_at or d.sent_at or d.created_at
        if d.status == DeliveryStatus.DELIVERED:
            entries.append(_entry("delivered", end, 2, "ok", **about))
        elif d.status in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED, DeliveryStatus.UNKNOWN):
            entries.append(_entry(d.status, end, 2, "bad" if d.status == DeliveryStatus.FAILED else "",
                                  invalid=d.address in flagged, error=d.error, **about))
    return entries


def _receipts(session: Session, enterprise_id: int, notice_ids: list[int]) -> list[dict]:
    """The first acknowledgment of each contact by each channel (opening the link again adds nothing)."""
    rows = session.execute(select(Recipient.name, Acknowledgment.channel, func.min(Acknowledgment.at))
                           .join(Recipient, Recipient.id == Acknowledgment.recipient_id)
                           .where(Recipient.enterprise_id == enterprise_id, Recipient.activation_id.in_(notice_ids))
                           .group_by(Recipient.id, Recipient.name, Acknowledgment.channel))
    return [_entry("receipt", at, 3, "ok", name=name, channel=channel) for name, channel, at in rows]


def _confirmation_entries(confirmed: list, notices: list[Notice]) -> list[dict]:
    seq = {n.activation.id: n.seq for n in notices}
    return [_entry("measure", c.at, 4, "ok", seq=seq[c.activation_id], target=target, action=action,
                   description=description, note=c.note, name=name, channel=c.channel)
            for c, target, action, description, name in confirmed]


def _escalations(session: Session, warning_id: int, notices: list[Notice]) -> list[dict]:
    """The rungs that reported the notice's unconfirmed enterprises to the town office or the
    command center while this one was among them (each rung names everyone unconfirmed then)."""
    states = {n.activation.id: n.state for n in notices}
    events = session.scalars(select(Event).where(Event.subject_type == "warning", Event.subject_id == warning_id,
                                                 Event.kind == EventKind.ESCALATED).order_by(Event.at, Event.id))
    entries = []
    for event in events:
        state = states.get(event.detail.get("activation"))
        if event.detail.get("action") not in REPORTED or state is None or not state.changed:
            continue
        if state.confirmed_at is None or state.confirmed_at > event.at:
            entries.append(_entry("reported", event.at, 6, "wait", to=event.detail["action"],
                                  after=event.detail.get("after")))
    return entries


def _inspections(session: Session, warning_id: int, enterprise_id: int, zone: ZoneInfo) -> list[tuple[datetime, dict]]:
    """The enterprise's inspections in this warning, oldest first: (time of the visit, its JSON)."""
    rows = session.execute(select(Inspection.id, Inspection.at).where(Inspection.warning_id == warning_id,
                                                                      Inspection.enterprise_id == enterprise_id)
                           .order_by(Inspection.at, Inspection.id)).all()
    at = dict(rows)
    return [(at[doc["id"]], doc) for doc in inspections.documents(session, [i for i, _ in rows], zone)]


def _measures(session: Session, asked: Notice, confirmed: list) -> list[dict]:
    """The measures the notice asks of it, each with its confirmation (time, note) if any."""
    done = {c.measure_id: c for c, *_ in confirmed if c.activation_id == asked.activation.id}
    measures = session.scalars(select(Measure).where(Measure.list_version_id == asked.state.list_version_id,
                                                     Measure.level == asked.activation.level)
                               .order_by(Measure.position)).all()
    if not measures:  # 自主减排: the enterprise confirms the notice itself
        return [{"measure": None, "confirmation": done.get(None)}]
    return [{"measure": m, "confirmation": done.get(m.id)} for m in measures]


def _contacts(sent: list) -> list[dict]:
    """Each contact told in this warning, with per channel the status shown (as on the list)."""
    found: dict[tuple, dict] = {}
    for d, name, mobile, email in sent:
        contact = found.setdefault((name, mobile, email), {"name": name, "mobile": mobile, "email": email,
                                                           "channels": {}, "failed": False})
        shown = contact["channels"].get(d.channel)
        if shown is None or SHOWN.get(d.status, 0) >= SHOWN.get(shown, 0):
            contact["channels"][d.channel] = d.status
        contact["failed"] = contact["failed"] or d.status == DeliveryStatus.FAILED
    return list(found.values())
