"""List imports by a permitted user, and the enterprises a user may see (those of their area)."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accounts.permissions import Action, Actor, OutOfScope
from areas.models import Area
from config.db import chunked
from config.events import Event, EventKind
from config.rulesets import RuleSet
from config.settings import ListsConfig
from lists import guard
from emergency.enterprises import scope
from lists.importer import CHUNK, ImportResult, Progress, import_workbook
from lists.models import GRADES, Contact, Enterprise, ImportRecord, ListVersion, Measure
from lists.plan import content_hash
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


def preview(session: Session, result: ImportResult) -> ImportResult:
    """A valid dry run's result with the counts the import will report filled in (new enterprises,
    new list versions, unchanged lists), so that the user knows what "import" writes. A refused
    workbook's result is returned as it is."""
    plan = result.plan
    if plan.errors:
        return result
    stored: dict[str, str | None] = {}
    for chunk in chunked(list(plan.lists.keys() | plan.enterprises.keys()), CHUNK):
        stored.update(session.execute(select(Enterprise.credit_code, ListVersion.content_hash)
                                      .outerjoin(ListVersion, ListVersion.id == Enterprise.current_version_id)
                                      .where(Enterprise.credit_code.in_(chunk))).all())
    result.new_enterprises = sum(code not in stored for code in plan.enterprises)
    result.unchanged = sum(stored.get(code) == content_hash(lst, plan.measures.get(code, []))
                           for code, lst in plan.lists.items())
    result.versions_created = len(plan.lists) - result.unchanged
    return result


def imported(session: Session, actor: Actor, import_id: int) -> dict | None:
    """What the actor's own import of that id wrote (its event's counts and time), else None."""
    if actor.user_id is None:
        return None
    event = session.scalars(select(Event).where(Event.kind == EventKind.LISTS_IMPORTED, Event.subject_type == "import",
                                                Event.subject_id == import_id, Event.actor_id == actor.user_id)).first()
    return None if event is None else {**event.detail, "at": event.at}


def _base(actor: Actor):
    query = (select(Enterprise, ListVersion, Area.name.label("town"))
             .join(ListVersion, ListVersion.id == Enterprise.current_version_id)
             .join(Area, Area.id == Enterprise.town_id))
    return query.where(in_area(actor.area_path)) if actor.area_path is not None else query


UNGRADED = "none"  # the grade filter's value for enterprises without a grade


def listing(session: Session, actor: Actor, *, q: str | None, town: str | None, page: int, per_page: int,
            industry: str | None = None, grade: str | None = None) -> dict:
    """Enterprises of the actor's area with their current list, filtered and paged: a count and one
    query for the page. `q` is part of the name or the start of the credit code; grade UNGRADED
    finds those without a grade."""
    query = _base(actor)
    if q := (q or "").strip():
        query = query.where(or_(Enterprise.name.contains(q, autoescape=True),
                                Enterprise.credit_code.startswith(q.upper(), autoescape=True)))
    if town:
        query = query.where(Area.name == town)
    if industry:
        query = query.where(Enterprise.industry == industry)
    if grade:
        query = query.where(ListVersion.grade.is_(None) if grade == UNGRADED else ListVersion.grade == grade)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Enterprise.credit_code).offset((page - 1) * per_page).limit(per_page)).all()
    return {"total": total, "page": page, "per_page": per_page,
            "items": [_identity(e, v, town) for e, v, town in rows]}


def choices(session: Session, actor: Actor) -> dict[str, list[str]]:
    """What the filters offer: the towns, industries and grades of the actor's enterprises."""
    def distinct(column, *joins):
        query = select(column).select_from(Enterprise)
        for target, on in joins:
            query = query.join(target, on)
        if actor.area_path is not None:
            query = query.where(in_area(actor.area_path))
        return [v for v in session.scalars(query.distinct().order_by(column)) if v is not None]

    grades = distinct(ListVersion.grade, (ListVersion, ListVersion.id == Enterprise.current_version_id))
    return {"towns": distinct(Area.name, (Area, Area.id == Enterprise.town_id)),
            "industries": distinct(Enterprise.industry),
            "grades": sorted(grades, key=lambda g: GRADES.index(g) if g in GRADES else len(GRADES))}


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
                "grade": v.grade, "guarantee": v.guarantee, "source": source, "by": by}
               for v, source, by in session.execute(
                   select(ListVersion, ImportRecord.source, ImportRecord.actor)
                   .join(ImportRecord, ImportRecord.id == ListVersion.import_id)
                   .where(ListVersion.enterprise_id == enterprise.id).order_by(ListVersion.version))]
    district = session.scalar(select(Area.name).where(Area.id == enterprise.district_id))
    return {**_identity(enterprise, version, town), "district": district, "address": enterprise.address,
            "source_type": enterprise.source_type, "lon": enterprise.lon, "lat": enterprise.lat,
            "baseline": {p: getattr(version, f"{p}_base") for p in ("so2", "nox", "pm", "vocs")},
            "grade_scheme": version.grade_scheme, "contacts": contacts, "measures": measures, "versions": history}


def _identity(e: Enterprise, v: ListVersion, town: str) -> dict:
    return {"credit_code": e.credit_code, "name": e.name, "town": town, "industry": e.industry, "grade": v.grade,
            "guarantee": v.guarantee, "version": v.version}
