"""Finding areas and reasoning about the tree: what lies inside an area, what overlaps it."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from areas.models import DEPTH, Area, AreaKind


class UnknownArea(LookupError):
    """No area answers to that reference; the message says what exists."""


class AmbiguousArea(LookupError):
    """Several areas answer to that name; the message lists them with their parents."""


class BadArea(ValueError):
    """An area cannot be added as asked (unknown kind, a name taken among its siblings, a code taken…)."""


def find(session: Session, ref: str | int, *, parent: Area | None = None) -> Area:
    """The area named by id, GB/T 2260 code, name path ("北京市/大兴区/黄村镇") or a name that is
    unambiguous (within `parent` when given). Raises UnknownArea or AmbiguousArea."""
    if isinstance(ref, int):
        area = session.get(Area, ref)
        if area is None:
            raise UnknownArea(f"unknown area id {ref}")
        return area
    ref = ref.strip()
    if ref.isdigit() and len(ref) >= 6:
        if (area := session.scalars(select(Area).where(Area.code == ref)).first()) is not None:
            return area
    if "/" in ref:
        for name in (n for n in ref.split("/") if n):
            parent = find(session, name, parent=parent) if parent is not None else _by_name(session, name, None)
        if parent is None:
            raise UnknownArea(f"unknown area {ref!r}")
        return parent
    return _by_name(session, ref, parent)


def _by_name(session: Session, name: str, parent: Area | None) -> Area:
    query = select(Area).where(Area.name == name)
    if parent is not None:
        query = query.where(Area.parent_id == parent.id)
    found = session.scalars(query).all()
    if len(found) > 1:
        # A district and a town of the same name: the higher one is meant (as before the tree had depth).
        top = min(DEPTH.get(a.kind, 9) for a in found)
        highest = [a for a in found if DEPTH.get(a.kind, 9) == top]
        if len(highest) == 1:
            return highest[0]
        raise AmbiguousArea(f"several areas are named {name!r}: " + ", ".join(label(session, a) for a in found)
                            + "; name the parent too, e.g. " + label(session, found[0]))
    if not found:
        where = f" in {parent.name}" if parent is not None else ""
        known = session.scalars(select(Area.name).where(Area.kind.in_((AreaKind.CITY, AreaKind.DISTRICT)))
                                .order_by(Area.name).limit(20)).all()
        raise UnknownArea(f"unknown area {name!r}{where}; areas stored: {', '.join(known) or 'none (import lists first)'}")
    return found[0]


def label(session: Session, area: Area, names: dict[int, str] | None = None) -> str:
    """The name path from the root, e.g. 北京市/大兴区/黄村镇 (`names`: every area's name by id, when
    labelling many areas, so that it is read once)."""
    if names is None:
        names = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(area.lineage))).all())
    return "/".join(names.get(i, "?") for i in area.lineage)


def subtree(*, path: str) -> Select:
    """SELECT of the ids of the area with that path and of every area inside it."""
    return select(Area.id).where(Area.path.startswith(path))


def overlapping(session: Session, area: Area) -> list[int]:
    """Ids of every area a warning for `area` overlaps: its ancestors, itself and everything inside it."""
    inside = session.scalars(subtree(path=area.path)).all()
    return sorted({*area.lineage, *inside})


def concerned_units_areas(session: Session, area: Area) -> list[int]:
    """The areas whose units a warning for `area` concerns: the area, everything inside it, and the
    areas above it down from its district (a town's warning involves its district's departments)."""
    above = session.execute(select(Area.id, Area.kind).where(Area.id.in_(area.lineage))).all()
    district_up = [i for i, kind in above if DEPTH.get(kind, 9) >= DEPTH[AreaKind.DISTRICT]]
    return sorted({*district_up, *session.scalars(subtree(path=area.path)).all()})


def add(session: Session, *, name: str, kind: str, parent: Area | None = None, code: str | None = None) -> Area:
    """A new area under `parent`; raises BadArea when the kind, the name or the code does not fit."""
    name = name.strip()
    if kind not in DEPTH:
        raise BadArea(f"unknown area kind {kind!r}; use one of {', '.join(DEPTH)}")
    if not name:
        raise BadArea("an area needs a name")
    if parent is not None and DEPTH[AreaKind(kind)] <= DEPTH.get(parent.kind, -1):
        raise BadArea(f"a {kind} cannot lie inside the {parent.kind} {parent.name}")
    if code is not None and not (code.isdigit() and len(code) in (6, 9, 12)):
        raise BadArea(f"GB/T 2260 code {code!r} must be 6 digits (9 or 12 for a town/street)")
    siblings = select(Area.id).where(Area.name == name,
                                     Area.parent_id == parent.id if parent else Area.parent_id.is_(None))
    if session.scalars(siblings).first() is not None:
        raise BadArea(f"{name!r} already exists {'in ' + parent.name if parent else 'at the top level'}")
    if code and session.scalars(select(Area.id).where(Area.code == code)).first() is not None:
        raise BadArea(f"code {code} is already used by another area")
    area = Area(name=name, kind=kind, parent_id=parent.id if parent else None, code=code or None, path="")
    session.add(area)
    session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    session.flush()
    return area


def attach(session: Session, area: Area, parent: Area) -> None:
    """Move a top-level area (and everything inside it) under `parent`; raises BadArea."""
    if area.parent_id is not None:
        raise BadArea(f"{area.name} already lies inside another area")
    if DEPTH.get(area.kind, 9) <= DEPTH.get(parent.kind, -1) or area.contains(parent):
        raise BadArea(f"the {area.kind} {area.name} cannot lie inside the {parent.kind} {parent.name}")
    old = area.path
    for inner in session.scalars(select(Area).where(Area.path.startswith(old))):
        inner.path = parent.path + inner.path.removeprefix("/")
    area.parent_id = parent.id
    session.flush()
