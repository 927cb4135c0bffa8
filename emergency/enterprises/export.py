"""The current lists of a user's area as a workbook, in the layout of lists/export.py (so that it
imports back unchanged).

`lists.export.export_lists` writes every enterprise in the database: right for the command line
and a city-level user, but a district's duty officer must not carry off another district's contacts.
For an area-scoped user the rows are chosen here by area and handed to the same `write_workbook`.
Units go with a district-level export only, as only a district (or wider) user may import them."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import case, select
from sqlalchemy.orm import Session, aliased

from accounts.permissions import Action, Actor
from areas.models import Area, AreaKind
from config.rulesets import RuleSet
from lists.export import ZH_ACTION, ZH_KIND, ZH_ROLE, ZH_SOURCE, export_lists, write_workbook
from lists.models import Contact, Enterprise, ListVersion, Measure, Unit, UnitDuty
from lists.service import in_area

BATCH = 5000


def export(*, session: Session, actor: Actor, path: Path, rules: RuleSet) -> None:
    """Write the current lists the actor may import to path. Raises Forbidden."""
    actor.require(Action.IMPORT_LISTS)
    if actor.area_path is None:
        export_lists(session=session, path=path, rules=rules)
        return
    own_kind = session.scalar(select(Area.kind).where(Area.id == actor.area_id))
    units = own_kind != AreaKind.TOWN
    write_workbook(path, {
        "enterprises": _enterprises(session, actor.area_path),
        "contacts": _contacts(session, actor.area_path),
        "measures": _measures(session, actor.area_path, rules),
        "units": _units(session, actor.area_path) if units else (),
        "duties": _duties(session, actor.area_path, rules) if units else (),
    }, rules)


def _enterprises(session: Session, path: str) -> Iterable[list]:
    district, town = aliased(Area), aliased(Area)
    query = (select(Enterprise.credit_code, Enterprise.name, district.name, town.name, Enterprise.industry,
                    Enterprise.source_type, ListVersion.grade, ListVersion.guarantee, Enterprise.address,
                    Enterprise.lon, Enterprise.lat, ListVersion.so2_base, ListVersion.nox_base,
                    ListVersion.pm_base, ListVersion.vocs_base)
             .join(ListVersion, ListVersion.id == Enterprise.current_version_id)
             .join(district, district.id == Enterprise.district_id).join(town, town.id == Enterprise.town_id)
             .where(in_area(path)).order_by(Enterprise.id))
    for code, name, dist, twn, industry, source, grade, guarantee, *rest in session.execute(query).yield_per(BATCH):
        yield [code, name, dist, twn, industry, ZH_SOURCE[source], grade, "是" if guarantee else "否", *rest]


def _contacts(session: Session, path: str) -> Iterable[list]:
    query = (select(Enterprise.credit_code, Contact.name, Contact.role, Contact.mobile, Contact.email, Contact.position)
             .join(Enterprise, Enterprise.id == Contact.enterprise_id).where(in_area(path))
             .order_by(Contact.enterprise_id, Contact.position))
    for code, name, role, *rest in session.execute(query).yield_per(BATCH):
        yield [code, name, ZH_ROLE[role], *rest]


def _level_order(rules: RuleSet, column):
    return case({key: rank for rank, key in enumerate(rules.keys)}, value=column, else_=len(rules.keys))


def _measures(session: Session, path: str, rules: RuleSet) -> Iterable[list]:
    zh = {level.key: level.zh for level in rules.levels}
    query = (select(Enterprise.credit_code, Measure.level, Measure.target, Measure.action, Measure.description,
                    Measure.limit_pct, Measure.so2_cut, Measure.nox_cut, Measure.pm_cut, Measure.vocs_cut)
             .join(Enterprise, Enterprise.current_version_id == Measure.list_version_id).where(in_area(path))
             .order_by(Enterprise.id, _level_order(rules, Measure.level), Measure.position))
    for code, level, target, action, *rest in session.execute(query).yield_per(BATCH):
        yield [code, zh.get(level, level), target, ZH_ACTION[action], *rest]


def _units(session: Session, path: str) -> Iterable[list]:
    parent = aliased(Area)
    query = (select(Unit.name, Unit.kind, Area.kind, Area.name, parent.name, Unit.contact_name, Unit.mobile, Unit.email)
             .join(Area, Area.id == Unit.area_id).outerjoin(parent, parent.id == Area.parent_id)
             .where(Area.path.startswith(path)).order_by(Unit.id))
    for name, kind, area_kind, area_name, parent_name, *rest in session.execute(query):
        yield [name, ZH_KIND[kind], parent_name if area_kind == AreaKind.TOWN else area_name, *rest]


def _duties(session: Session, path: str, rules: RuleSet) -> Iterable[list]:
    zh = {level.key: level.zh for level in rules.levels}
    query = (select(Unit.name, UnitDuty.level, UnitDuty.duty).join(Unit, Unit.id == UnitDuty.unit_id)
             .join(Area, Area.id == Unit.area_id).where(Area.path.startswith(path))
             .order_by(Unit.id, _level_order(rules, UnitDuty.level), UnitDuty.position))
    for name, level, duty in session.execute(query):
        yield [name, zh.get(level, level), duty]
