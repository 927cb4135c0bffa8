"""What the laggards page reads beside `queries.enterprises` (the spec's list): the filters' choices,
how many of the filter are unconfirmed, each contact's delivery status, the whole filtered list for
the export, and the outcome of a reminder the user just asked for. Read-only; one query per part."""
from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from alerts.models import Delivery, FlaggedAddress
from alerts.models import Status as DeliveryStatus
from areas.models import Area
from config.events import Event, EventKind
from emergency.notices.remind import Selection
from emergency.warnings import queries
from emergency.warnings.models import ActivatedEnterprise, Activation, Recipient, Warning
from lists.models import GRADES, Enterprise, ListVersion
from lists.service import in_area

EXPORT_PAGE = 500
# Which of a number's deliveries decides what the list shows for it: a good outcome over a
# pending one, a pending one over a failure (a reminder on its way to a number that failed once).
SHOWN = {DeliveryStatus.DELIVERED: 6, DeliveryStatus.SENT: 5, DeliveryStatus.SENDING: 4, DeliveryStatus.PENDING: 3,
         DeliveryStatus.UNKNOWN: 2, DeliveryStatus.FAILED: 1, DeliveryStatus.CANCELLED: 0}


def latest_notice(session: Session, warning: Warning) -> int | None:
    return session.scalar(select(func.max(Activation.id)).where(Activation.warning_id == warning.id))


def choices(session: Session, notice_id: int | None, actor: Actor) -> dict[str, list[str]]:
    """The towns, industries and grades of the notice's enterprises in the actor's area."""
    if notice_id is None:
        return {"towns": [], "industries": [], "grades": []}

    def distinct(column):
        query = (select(column).select_from(ActivatedEnterprise)
                 .join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id)
                 .join(ListVersion, ListVersion.id == ActivatedEnterprise.list_version_id)
                 .join(Area, Area.id == Enterprise.town_id).where(ActivatedEnterprise.activation_id == notice_id))
        if actor.area_path is not None:
            query = query.where(in_area(actor.area_path))
        return [v for v in session.scalars(query.distinct().order_by(column)) if v is not None]

    grades = distinct(ListVersion.grade)
    return {"towns": distinct(Area.name), "industries": distinct(Enterprise.industry),
            "grades": sorted(grades, key=lambda g: GRADES.index(g) if g in GRADES else len(GRADES))}


def unconfirmed(session: Session, notice_id: int | None, actor: Actor, chosen: Selection) -> int:
    """How many enterprises the filter shows are still unconfirmed (what "remind all" would reach)."""
    if notice_id is None:
        return 0
    matched = chosen.enterprises(notice_id, actor).subquery()
    return session.scalar(select(func.count()).select_from(matched).where(matched.c.confirmed_at.is_(None)))


def contact_status(session: Session, warning_id: int, codes: list[str]) -> dict[str, dict[str, dict]]:
    """Per credit code and mobile number, over the warning's notices: per channel the status shown
    (see SHOWN) and whether a delivery failed; `invalid` when a provider flagged the number."""
    if not codes:
        return {}
    found: dict[str, dict[str, dict]] = {}
    rows = session.execute(
        select(Enterprise.credit_code, Recipient.mobile, Delivery.channel, Delivery.status, Delivery.error)
        .join(Recipient, Recipient.enterprise_id == Enterprise.id)
        .join(Activation, Activation.id == Recipient.activation_id)
        .join(Delivery, Delivery.recipient_id == Recipient.id)
        .where(Activation.warning_id == warning_id, Enterprise.credit_code.in_(codes))
        .order_by(Delivery.id))
    for code, mobile, channel, status, error in rows:
        number = found.setdefault(code, {}).setdefault(mobile or "", {"channels": {}, "failed": None, "invalid": False})
        shown = number["channels"].get(channel)
        if shown is None or SHOWN.get(status, 0) >= SHOWN.get(shown, 0):
            number["channels"][channel] = status
        if status == DeliveryStatus.FAILED:
            number["failed"] = error or ""
    numbers = {m for per_code in found.values() for m in per_code if m}
    for address in session.scalars(select(FlaggedAddress.address).where(FlaggedAddress.address.in_(numbers))):
        for per_code in found.values():
            if address in per_code:
                per_code[address]["invalid"] = True
    return found


def all_rows(session: Session, warning: Warning, actor: Actor, zone: ZoneInfo, filters: dict) -> Iterator[dict]:
    """Every enterprise the filters show, page after page of the list's own query."""
    page = 1
    while True:
        found = queries.enterprises(session, warning, actor, zone, page=page, per_page=EXPORT_PAGE, **filters)
        yield from found["items"]
        if page * EXPORT_PAGE >= found["total"]:
            return
        page += 1


def reminded(session: Session, warning: Warning, actor: Actor, event_id: int | None) -> dict | None:
    """The outcome of the actor's own "remind now" on this warning (its event), else None."""
    if event_id is None or actor.user_id is None:
        return None
    event = session.scalars(select(Event).where(Event.id == event_id, Event.kind == EventKind.ESCALATED,
                                                Event.subject_type == "warning", Event.subject_id == warning.id,
                                                Event.actor_id == actor.user_id)).first()
    return event.detail if event is not None and event.detail.get("manual") else None
