"""Activation, set-based: each statement covers every enterprise of the area at once
(INSERT … SELECT), whatever their number; nothing here loops over enterprises."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, and_, case, cast, exists, func, insert, literal, null, or_, select, true
from sqlalchemy.orm import Session, aliased

from emergency.warnings.models import (ActivatedDuty, ActivatedEnterprise, ActivatedUnit, Activation, Kind, Recipient,
                                      Request, Warning)
from areas import service as areas
from lists.service import area_filter
from lists.models import SELF_CHOSEN_GRADES, Area, Contact, Enterprise, ListVersion, Measure, Unit, UnitDuty

MEASURE_FIELDS = ("position", "target", "action", "description", "limit_pct", "so2_cut", "nox_cut", "pm_cut", "vocs_cut")


def activate(*, session: Session, warning: Warning, request: Request, previous: Activation | None,
             now: datetime) -> Activation:
    """Write the activation of an approved request: enterprises (pinned versions, self-chosen,
    changed), units with their duties, and recipients. Returns it with its counts."""
    activation = Activation(warning_id=warning.id, request_id=request.id, kind=request.kind, level=request.level,
                            starts_at=request.start_at, ends_at=request.lift_at or request.end_at, created_at=now)
    session.add(activation)
    session.flush()
    place = session.get(Area, warning.area_id)
    if previous is None:
        _enterprises_from_lists(session, activation, place)
    else:
        everyone = request.kind == Kind.LIFT or request.end_at != previous.ends_at
        _enterprises_from_previous(session, activation, previous, everyone)
    units = areas.concerned_units_areas(session, place)
    _duties(session, activation, units)
    _recipients(session, activation, units)
    _units(session, activation, units)
    _count(session, activation)
    return activation


def _enterprises_from_lists(session: Session, activation: Activation, place: Area) -> None:
    self_chosen = or_(func.coalesce(ListVersion.grade, "").in_(sorted(SELF_CHOSEN_GRADES)), ListVersion.guarantee == true())
    rows = (select(literal(activation.id), Enterprise.id, Enterprise.current_version_id, self_chosen, true())
            .join(ListVersion, ListVersion.id == Enterprise.current_version_id)
            .where(area_filter(session, place)))
    session.execute(insert(ActivatedEnterprise).from_select(
        ["activation_id", "enterprise_id", "list_version_id", "self_chosen", "changed"], rows))


def _enterprises_from_previous(session: Session, activation: Activation, previous: Activation, everyone: bool) -> None:
    """The same enterprises on the same pinned versions; changed where the measures at the new
    level differ from those at the old one (or for everyone: a new end time, a lift)."""
    before = aliased(ActivatedEnterprise)
    changed = true() if everyone else or_(
        _differs(before.list_version_id, previous.level, activation.level),
        _differs(before.list_version_id, activation.level, previous.level))
    # An enterprise told nothing new keeps its receipt and confirmation of the previous notice.
    kept = [case((changed, null()), else_=getattr(before, c)) for c in ("acknowledged_at", "acknowledged_via", "confirmed_at")]
    rows = select(literal(activation.id), before.enterprise_id, before.list_version_id, before.self_chosen, changed, *kept
                  ).where(before.activation_id == previous.id)
    session.execute(insert(ActivatedEnterprise).from_select(
        ["activation_id", "enterprise_id", "list_version_id", "self_chosen", "changed", "acknowledged_at",
         "acknowledged_via", "confirmed_at"], rows))


def _differs(version_id, level: str, other: str):
    """A measure of the version at `level` with no identical measure at `other`."""
    mine, theirs = aliased(Measure), aliased(Measure)
    same = and_(theirs.list_version_id == mine.list_version_id, theirs.level == other,
                *(getattr(theirs, f).is_not_distinct_from(getattr(mine, f)) for f in MEASURE_FIELDS))
    return exists().where(mine.list_version_id == version_id, mine.level == level, ~exists().where(same))


def _duties(session: Session, activation: Activation, unit_areas: list[int]) -> None:
    rows = (select(literal(activation.id), UnitDuty.unit_id, UnitDuty.position, UnitDuty.duty)
            .join(Unit, Unit.id == UnitDuty.unit_id)
            .where(Unit.area_id.in_(unit_areas), UnitDuty.level == activation.level))
    session.execute(insert(ActivatedDuty).from_select(["activation_id", "unit_id", "position", "duty"], rows))


def _recipients(session: Session, activation: Activation, unit_areas: list[int]) -> None:
    """Enterprise contacts in their order (those whose obligations changed), then every unit."""
    columns = ["activation_id", "enterprise_id", "unit_id", "position", "name", "role", "mobile", "email"]
    contacts = (select(literal(activation.id), Contact.enterprise_id, cast(null(), Integer), Contact.position, Contact.name,
                       Contact.role, Contact.mobile, Contact.email)
                .join(ActivatedEnterprise, ActivatedEnterprise.enterprise_id == Contact.enterprise_id)
                .where(ActivatedEnterprise.activation_id == activation.id, ActivatedEnterprise.changed == true()))
    session.execute(insert(Recipient).from_select(columns, contacts))
    units = (select(literal(activation.id), cast(null(), Integer), Unit.id, literal(1), Unit.contact_name, Unit.kind,
                    Unit.mobile, Unit.email)
             .where(Unit.area_id.in_(unit_areas)))
    session.execute(insert(Recipient).from_select(columns, units))


def _units(session: Session, activation: Activation, unit_areas: list[int]) -> None:
    """Every unit told of the notice, waiting for its receipt and confirmation (counted from these rows)."""
    rows = select(literal(activation.id), Unit.id).where(Unit.area_id.in_(unit_areas))
    session.execute(insert(ActivatedUnit).from_select(["activation_id", "unit_id"], rows))


def _count(session: Session, activation: Activation) -> None:
    total, changed = session.execute(
        select(func.count(), func.coalesce(func.sum(case((ActivatedEnterprise.changed == true(), 1), else_=0)), 0))
        .where(ActivatedEnterprise.activation_id == activation.id)).one()
    recipients = session.scalar(select(func.count()).select_from(Recipient).where(Recipient.activation_id == activation.id))
    activation.enterprises, activation.changed, activation.recipients = total, int(changed), recipients
