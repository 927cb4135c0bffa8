"""List imports by a permitted user, and the enterprises a user may see (those of their area)."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Action, Actor, OutOfScope
from areas.models import Area
from config.rulesets import RuleSet
from config.settings import ListsConfig
from lists import guard
from emergency.enterprises import scope
from lists.importer import ImportResult, Progress, import_workbook
from lists.models import Contact, Enterprise, ListVersion, Measure
from lists.service import in_area

MEASURE_COLUMNS = ("position", "target", "action", "description", "limit_pct", "so2_cut", "nox_cut", "pm_cut", "vocs_cut")


def import_lists(*, session: Session, actor: Actor, path: Path, rules: RuleSet, grade_scheme: str,
                 dry_run: bool = False, progress: Progress | None = None, limits: ListsConfig | None = None) -> ImportResult:
    """Validate and import a workbook as the actor (duty officer or admin), refusing rows outside the
    actor's area as errors. Raises Forbidden."""
    actor.require(Action.IMPORT_LISTS)
    limits = limits or ListsConfig()
    return import_workbook(session=session, path=path, actor=actor, rules=rules, grade_scheme=grade_scheme,
                           dry_run=dry_run, progress=progress, check=scope.checker(actor),
                           limits=guard.Limits(uncompressed_bytes=limits.max_unpacked_mb * guard.MB,
                                               rows=limits.max_rows, cell_chars=limits.max_cell_chars))


def _base(actor: Actor):
    query = (select(Enterprise, ListVersion, Area.name.label("town"))
             .join(ListVersion, ListVersion.id == Enterprise.current_version_id)
             .join(Area, Area.id == Enterprise.town_id))
    return query.where(in_area(actor.area_path)) if actor.area_path is not None else query


def listing(session: Session, actor: Actor, *, q: str | None, town: str | None, page: int, per_page: int) -> dict:
    """Enterprises of the actor's area with their current list, filtered and paged."""
    query = _base(actor)
    if q:
        query = query.where(or_(Enterprise.name.contains(q, autoescape=True), Enterprise.credit_code == q.strip().upper()))
    if town:
        query = query.where(Area.name == town)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Enterprise.credit_code).offset((page - 1) * per_page).limit(per_page)).all()
    return {"total": total, "page": page, "per_page": per_page,
            "items": [_identity(e, v, town) for e, v, town in rows]}


def one(session: Session, actor: Actor, credit_code: str, zone: ZoneInfo) -> dict:
    """Identity, contacts, current list with measures per level, version history. Raises OutOfScope."""
    row = session.execute(_base(actor).where(Enterprise.credit_code == credit_code.strip().upper())).first()
    if row is None:
        raise OutOfScope(f"没有统一社会信用代码为 {credit_code} 的企业", f"there is no enterprise {credit_code}")
    enterprise, version, town = row
    measures: dict[str, list] = {}
    for m in session.scalars(select(Measure).where(Measure.list_version_id == version.id)
                             .order_by(Measure.level, Measure.position)):
        measures.setdefault(m.level, []).append({"id": m.id, **{c: getattr(m, c) for c in MEASURE_COLUMNS}})
    contacts = [{"name": c.name, "role": c.role, "mobile": c.mobile, "email": c.email, "order": c.position}
                for c in session.scalars(select(Contact).where(Contact.enterprise_id == enterprise.id)
                                         .order_by(Contact.position))]
    history = [{"version": v.version, "created_at": v.created_at.astimezone(zone).isoformat(), "import_id": v.import_id,
                "grade": v.grade, "guarantee": v.guarantee}
               for v in session.scalars(select(ListVersion).where(ListVersion.enterprise_id == enterprise.id)
                                        .order_by(ListVersion.version))]
    district = session.scalar(select(Area.name).where(Area.id == enterprise.district_id))
    return {**_identity(enterprise, version, town), "district": district, "address": enterprise.address,
            "source_type": enterprise.source_type, "lon": enterprise.lon, "lat": enterprise.lat,
            "baseline": {p: getattr(version, f"{p}_base") for p in ("so2", "nox", "pm", "vocs")},
            "grade_scheme": version.grade_scheme, "contacts": contacts, "measures": measures, "versions": history}


def _identity(e: Enterprise, v: ListVersion, town: str) -> dict:
    return {"credit_code": e.credit_code, "name": e.name, "town": town, "industry": e.industry, "grade": v.grade,
            "guarantee": v.guarantee, "version": v.version}
