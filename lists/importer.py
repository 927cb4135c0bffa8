"""Writing a validated plan: areas, units, enterprises, new list versions and contacts.

Everything happens in the caller's transaction and in bulk (a handful of statements per table,
whatever the number of enterprises); the caller commits, or rolls back on any exception."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from config import events
from config.db import UTCDateTime, bulk_insert, chunked, utcnow
from config.rulesets import RuleSet
from lists.models import Contact, Enterprise, ImportRecord, ListVersion, Measure, Unit, UnitDuty
from lists import guard
from lists.plan import ListIn, Plan, content_hash
from lists.units import AreaIndex
from lists.validate import validate
from lists.workbook import Sheet, read_workbook

Progress = Callable[[str, int, int], None]  # stage, done, total
# A further check of a validated plan before anything is written (the caller's rules, e.g. the
# importing user's area); returns errors, located like the workbook's own.
Check = Callable[[Session, "Plan"], list]
CHUNK = 5000


@dataclass
class ImportResult:
    plan: Plan
    written: bool = False
    import_id: int | None = None
    versions_created: int = 0
    unchanged: int = 0
    contacts_replaced: int = 0
    new_enterprises: int = 0

    def counts(self) -> dict:
        plan = self.plan
        return {
            "enterprises": len(plan.lists), "contacts": plan.contact_count(),
            "measures": plan.measure_count(), "units": len(plan.units),
            "written": self.written, "import_id": self.import_id,
            "new_enterprises": self.new_enterprises, "versions_created": self.versions_created,
            "unchanged": self.unchanged, "contacts_replaced": self.contacts_replaced,
        }

    def to_json(self) -> dict:
        return {**self.counts(), "warnings": [i.to_json() for i in self.plan.warnings],
                "errors": [i.to_json() for i in self.plan.errors]}


class DbStored:
    """What validation may look up: stored enterprises' current lists, stored unit names."""

    def __init__(self, session: Session):
        self.session = session

    def lists(self, codes: Iterable[str]) -> dict[str, ListIn]:
        found: dict[str, ListIn] = {}
        for chunk in chunked(codes, CHUNK):
            rows = self.session.execute(
                select(Enterprise.credit_code, ListVersion.grade, ListVersion.grade_scheme, ListVersion.guarantee,
                       ListVersion.so2_base, ListVersion.nox_base, ListVersion.pm_base, ListVersion.vocs_base)
                .join(ListVersion, ListVersion.id == Enterprise.current_version_id)
                .where(Enterprise.credit_code.in_(chunk)))
            for code, grade, scheme, guarantee, *bases in rows:
                found[code] = ListIn(grade, scheme, guarantee, tuple(bases))
        return found

    def unit_names(self, names: Iterable[str]) -> set[str]:
        result: set[str] = set()
        for chunk in chunked(set(names), CHUNK):
            result.update(self.session.scalars(select(Unit.name).where(Unit.name.in_(chunk))))
        return result


def import_workbook(*, session: Session, path: Path, actor: str | events.Who, rules: RuleSet, grade_scheme: str,
                    dry_run: bool = False, progress: Progress | None = None, check: Check | None = None,
                    limits: guard.Limits | None = None) -> ImportResult:
    """Validate the workbook and, when it has no errors and this is no dry run, write it. A file over
    the limits is refused before it is read."""
    progress = progress or _no_progress
    limits = limits or guard.Limits()
    progress("read", 0, 1)
    issues: list = []
    if not guard.check(path, limits, issues):
        return ImportResult(Plan(issues=issues))
    sheets = read_workbook(path, issues, cell_chars=limits.cell_chars)
    progress("read", 1, 1)
    with open(path, "rb") as f:
        sha256 = hashlib.file_digest(f, "sha256").hexdigest()
    return import_sheets(session=session, sheets=sheets, source=path.name, sha256=sha256, actor=actor,
                         rules=rules, grade_scheme=grade_scheme, dry_run=dry_run, progress=progress, issues=issues,
                         check=check)


def import_sheets(*, session: Session, sheets: dict[str, Sheet], source: str, actor: str | events.Who, rules: RuleSet,
                  grade_scheme: str, sha256: str | None = None, dry_run: bool = False,
                  progress: Progress | None = None, issues: list | None = None,
                  now: datetime | None = None, check: Check | None = None) -> ImportResult:
    """The one path into the lists, for workbooks and the demo alike."""
    progress = progress or _no_progress
    if not sheets and issues:  # the file could not be read at all
        return ImportResult(Plan(issues=issues))
    rows = sum(len(s.rows) for s in sheets.values())
    progress("validate", 0, rows)
    plan = validate(sheets, rules=rules, grade_scheme=grade_scheme, stored=DbStored(session), issues=issues)
    if check is not None and not plan.errors:
        plan.issues.extend(check(session, plan))
    progress("validate", rows, rows)
    result = ImportResult(plan)
    if plan.errors or dry_run:
        return result
    _write(session, result, source=source, sha256=sha256, actor=actor, now=now or utcnow(), progress=progress)
    return result


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def _write(session: Session, result: ImportResult, *, source: str, sha256: str | None, actor: str | events.Who,
           now: datetime, progress: Progress) -> None:
    plan = result.plan
    record = ImportRecord(at=now, actor=actor if isinstance(actor, str) else actor.username, source=source[:300], sha256=sha256)
    session.add(record)
    session.flush()
    areas = AreaIndex.load(session)
    ids = _enterprises(session, plan, areas, result)
    _versions(session, plan, ids, record.id, now, result, progress)
    _contacts(session, plan, ids, result)
    _units(session, plan, areas)
    result.written, result.import_id = True, record.id
    events.record(session, kind=events.EventKind.LISTS_IMPORTED, actor=actor, subject_type="import",
                  subject_id=record.id, at=now, detail={"source": source, "sha256": sha256,
                                                        **result.counts(), "warnings": len(plan.warnings)})


def _enterprises(session: Session, plan: Plan, areas: AreaIndex, result: ImportResult) -> dict[str, int]:
    """Insert new enterprises and update changed ones; returns the id of every code in the plan."""
    codes = set(plan.lists) | set(plan.contacts)
    cols = (Enterprise.id, Enterprise.credit_code, Enterprise.name, Enterprise.district_id, Enterprise.town_id,
            Enterprise.industry, Enterprise.source_type, Enterprise.address, Enterprise.lon, Enterprise.lat)
    stored: dict[str, tuple] = {}
    for chunk in chunked(codes, CHUNK):
        for row in session.execute(select(*cols).where(Enterprise.credit_code.in_(chunk))):
            stored[row[1]] = tuple(row)
    fresh, changed = [], []
    for code, e in plan.enterprises.items():
        district_id, town_id = areas.district(e.district), areas.town(e.district, e.town)
        values = dict(credit_code=code, name=e.name, district_id=district_id, town_id=town_id,
                      industry=e.industry, source_type=e.source_type, address=e.address, lon=e.lon, lat=e.lat)
        if code not in stored:
            fresh.append(values)
        elif stored[code][2:] != tuple(values.values())[1:]:
            changed.append({"id": stored[code][0], **values})
    ids = {code: row[0] for code, row in stored.items()}
    if fresh:
        returned = session.execute(
            insert(Enterprise.__table__).returning(Enterprise.__table__.c.id, Enterprise.__table__.c.credit_code,
                                                   sort_by_parameter_order=True), fresh)
        ids.update((code, id_) for id_, code in returned)
    if changed:
        session.execute(update(Enterprise), changed)
    result.new_enterprises = len(fresh)
    return ids


def _versions(session: Session, plan: Plan, ids: dict[str, int], import_id: int, now: datetime,
              result: ImportResult, progress: Progress) -> None:
    current: dict[int, tuple[int, str]] = {}
    for chunk in chunked([ids[c] for c in plan.lists], CHUNK):
        rows = session.execute(select(ListVersion.enterprise_id, ListVersion.version, ListVersion.content_hash)
                               .join(Enterprise, Enterprise.current_version_id == ListVersion.id)
                               .where(Enterprise.id.in_(chunk)))
        current.update((eid, (version, digest)) for eid, version, digest in rows)
    new_versions, new_codes = [], []
    stamp = UTCDateTime().process_bind_param(now, session.get_bind().dialect)  # bulk_insert bypasses column types
    for code, lst in plan.lists.items():
        eid = ids[code]
        digest = content_hash(lst, plan.measures.get(code, []))
        version, old_digest = current.get(eid, (0, None))
        if digest == old_digest:
            result.unchanged += 1
            continue
        new_codes.append(code)
        new_versions.append(dict(enterprise_id=eid, version=version + 1, import_id=import_id, created_at=stamp,
                                 grade=lst.grade, grade_scheme=lst.grade_scheme, guarantee=lst.guarantee,
                                 so2_base=lst.bases[0], nox_base=lst.bases[1], pm_base=lst.bases[2],
                                 vocs_base=lst.bases[3], content_hash=digest))
    result.versions_created = len(new_versions)
    if not new_versions:
        return
    bulk_insert(session, ListVersion.__table__, VERSION_COLUMNS, (tuple(v[c] for c in VERSION_COLUMNS) for v in new_versions))
    by_enterprise = dict(session.execute(select(ListVersion.enterprise_id, ListVersion.id)
                                         .where(ListVersion.import_id == import_id)).all())
    version_ids = [by_enterprise[ids[c]] for c in new_codes]
    total = sum(len(plan.measures.get(c, [])) for c in new_codes)
    progress("write", 0, total)
    done = 0
    for chunk in chunked(zip(new_codes, version_ids), CHUNK * 4):
        rows = list(_measure_rows(plan, chunk))
        done += bulk_insert(session, Measure.__table__, MEASURE_COLUMNS, rows)
        progress("write", done, total)
    # One set-based statement (UPDATE … FROM, a join) instead of an UPDATE per enterprise. A
    # correlated subquery here let SQLite scan this import's versions once per enterprise.
    session.execute(update(Enterprise).where(ListVersion.import_id == import_id, ListVersion.enterprise_id == Enterprise.id)
                    .values(current_version_id=ListVersion.id), execution_options={"synchronize_session": False})


VERSION_COLUMNS = ("enterprise_id", "version", "import_id", "created_at", "grade", "grade_scheme", "guarantee",
                   "so2_base", "nox_base", "pm_base", "vocs_base", "content_hash")
MEASURE_COLUMNS = ("list_version_id", "level", "position", "target", "action", "description", "limit_pct",
                   "so2_cut", "nox_cut", "pm_cut", "vocs_cut")


def _measure_rows(plan: Plan, pairs: list[tuple[str, int]]):
    for code, version_id in pairs:
        positions: dict[str, int] = {}
        for m in plan.measures.get(code, []):
            positions[m.level] = position = positions.get(m.level, 0) + 1
            yield (version_id, m.level, position, m.target, m.action, m.description, m.limit_pct, *m.cuts)


CONTACT_COLUMNS = ("enterprise_id", "position", "name", "role", "mobile", "email")


def _contacts(session: Session, plan: Plan, ids: dict[str, int], result: ImportResult) -> None:
    """Replace the contacts of each enterprise whose contacts in the file differ from those stored."""
    wanted = {ids[code]: [(c.name, c.role, c.mobile, c.email) for c in contacts]
              for code, contacts in plan.contacts.items()}
    stored: dict[int, list[tuple]] = {}
    for chunk in chunked(list(wanted), CHUNK):
        rows = session.execute(select(Contact.enterprise_id, Contact.name, Contact.role, Contact.mobile, Contact.email)
                               .where(Contact.enterprise_id.in_(chunk)).order_by(Contact.enterprise_id, Contact.position))
        for eid, *values in rows:
            stored.setdefault(eid, []).append(tuple(values))
    changed = [eid for eid, contacts in wanted.items() if stored.get(eid, []) != contacts]
    for chunk in chunked([eid for eid in changed if eid in stored], CHUNK):
        session.execute(delete(Contact).where(Contact.enterprise_id.in_(chunk)))
    rows = ((eid, position, *values) for eid in changed for position, values in enumerate(wanted[eid], start=1))
    bulk_insert(session, Contact.__table__, CONTACT_COLUMNS, rows)
    result.contacts_replaced = len(changed)


def _units(session: Session, plan: Plan, areas: AreaIndex) -> None:
    """Units are matched by area and name (unique per area); duties name a unit of the file, else the
    stored unit of that name."""
    stored = {(u.area_id, u.name): u for u in session.scalars(select(Unit).where(Unit.name.in_(list(plan.units))))
              } if plan.units else {}
    written: dict[str, Unit] = {}
    for name, u in plan.units.items():
        area_id = areas.unit_area(u.kind, u.district, name)
        unit = stored.get((area_id, name)) or Unit(name=name, area_id=area_id)
        unit.kind, unit.contact_name, unit.mobile, unit.email = u.kind, u.contact, u.mobile, u.email
        if unit.id is None:
            session.add(unit)
        written[name] = unit
    session.flush()
    if plan.duties is None:
        return
    unit_ids = {name: unit.id for name, unit in written.items() if name in plan.duties}
    for chunk in chunked([n for n in plan.duties if n not in written], CHUNK):
        for name, unit_id in session.execute(select(Unit.name, Unit.id).where(Unit.name.in_(chunk)).order_by(Unit.id)):
            unit_ids.setdefault(name, unit_id)
    if unit_ids:
        session.execute(delete(UnitDuty).where(UnitDuty.unit_id.in_(list(unit_ids.values()))))
    rows = []
    for name, duties in plan.duties.items():
        positions: dict[str, int] = {}
        for d in duties:
            positions[d.level] = positions.get(d.level, 0) + 1
            rows.append(dict(unit_id=unit_ids[name], level=d.level, position=positions[d.level], duty=d.duty))
    if rows:
        session.execute(insert(UnitDuty.__table__), rows)
