"""Reading inspections within a user's area: one with its findings and photos, a warning's list
(filtered, paged), and the counts per enterprise that the laggards list, the board and the reports
show. A few queries per page, never one per inspection."""
from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from emergency.inspections.models import Finding, Inspection, Photo, Result
from emergency.inspections.service import inspection_in_scope
from emergency.warnings import queries as warnings
from lists.models import Area, Enterprise, Measure
from lists.service import in_area


def one(session: Session, actor: Actor, inspection_id: int, zone: ZoneInfo) -> dict:
    """The inspection as JSON; NotFound outside the actor's area."""
    inspection = inspection_in_scope(session, actor, inspection_id)
    return documents(session, [inspection.id], zone)[0]


def for_warning(session: Session, actor: Actor, warning_id: int, zone: ZoneInfo, *, result: str | None = None,
                town: str | None = None, inspector: str | None = None, q: str | None = None, page: int = 1,
                per_page: int = 50) -> dict:
    """A warning's inspections in the actor's area, newest first: `{"total", "page", "per_page", "items"}`."""
    warning = warnings.one(session, warning_id, actor)
    query = (select(Inspection.id).join(Enterprise, Enterprise.id == Inspection.enterprise_id)
             .join(Area, Area.id == Enterprise.town_id).where(Inspection.warning_id == warning.id))
    if actor.area_path is not None:
        query = query.where(in_area(actor.area_path))
    if result:
        query = query.where(Inspection.result == result)
    if town:
        query = query.where(Area.name == town)
    if inspector:
        query = query.where(Inspection.inspector == inspector)
    if q:
        query = query.where(or_(Enterprise.name.contains(q, autoescape=True), Enterprise.credit_code == q.strip().upper()))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = list(session.scalars(query.order_by(Inspection.at.desc(), Inspection.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)))
    return {"warning": warning.id, "total": total, "page": page, "per_page": per_page,
            "items": documents(session, ids, zone)}


def documents(session: Session, ids: list[int], zone: ZoneInfo) -> list[dict]:
    """The JSON of these inspections, in the order given (three queries whatever their number)."""
    if not ids:
        return []
    rows = session.execute(select(Inspection, Enterprise.credit_code, Enterprise.name, Area.name)
                           .join(Enterprise, Enterprise.id == Inspection.enterprise_id)
                           .join(Area, Area.id == Enterprise.town_id).where(Inspection.id.in_(ids))).all()
    findings: dict[int, list[dict]] = defaultdict(list)
    for f, target, description, position in session.execute(
            select(Finding, Measure.target, Measure.description, Measure.position)
            .join(Measure, Measure.id == Finding.measure_id).where(Finding.inspection_id.in_(ids))
            .order_by(Finding.inspection_id, Measure.position)):
        findings[f.inspection_id].append({"measure_id": f.measure_id, "ok": f.ok, "note": f.note, "target": target,
                                          "description": description, "position": position})
    photos: dict[int, list[dict]] = defaultdict(list)
    for p in session.scalars(select(Photo).where(Photo.inspection_id.in_(ids)).order_by(Photo.id)):
        photos[p.inspection_id].append(photo_json(p))
    found = {}
    for i, code, name, town in rows:
        found[i.id] = {"id": i.id, "warning_id": i.warning_id, "activation_id": i.activation_id, "credit_code": code,
                       "enterprise": name, "town": town, "at": i.at.astimezone(zone).isoformat(), "result": i.result,
                       "findings": findings.get(i.id, []), "note": i.note,
                       "location": {"lat": i.lat, "lon": i.lon, "accuracy_m": i.accuracy_m} if i.lat is not None else None,
                       "inspector": i.inspector, "photos": photos.get(i.id, []),
                       "created_at": i.created_at.astimezone(zone).isoformat()}
    return [found[i] for i in ids if i in found]


def photo_json(photo: Photo) -> dict:
    base = f"/inspections/photos/{photo.id}"
    return {"id": photo.id, "sha256": photo.sha256, "bytes": photo.bytes, "content_type": photo.content_type,
            "width": photo.width, "height": photo.height, "uploaded_by": photo.uploaded_by,
            "thumb": f"{base}/thumb", "view": f"{base}/view", "original": f"{base}/original"}


def per_enterprise(session: Session, warning_id: int, enterprise_ids: list[int] | None = None) -> dict[int, dict]:
    """Visits and violations per enterprise in one warning (`{id: {"visits", "violations", "last_at"}}`)."""
    query = (select(Inspection.enterprise_id, func.count(),
                    func.count().filter(Inspection.result == Result.VIOLATION), func.max(Inspection.at))
             .where(Inspection.warning_id == warning_id).group_by(Inspection.enterprise_id))
    if enterprise_ids is not None:
        query = query.where(Inspection.enterprise_id.in_(enterprise_ids))
    return {e: {"visits": n, "violations": v, "last_at": last} for e, n, v, last in session.execute(query)}
