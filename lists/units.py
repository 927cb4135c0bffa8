"""Which area a workbook's district, town and responsible unit belong to."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from areas import service as areas
from areas.models import Area, AreaKind
from lists.models import UnitKind

_OFFICE_SUFFIXES = ("人民政府", "办事处", "政府", "管委会")


def town_of_unit(name: str) -> str:
    """The town/street a town office answers for: its name less 人民政府/办事处 (黄村镇人民政府 → 黄村镇)."""
    for suffix in _OFFICE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


class AreaIndex:
    """Area ids by name, adding the districts and towns a workbook names for the first time.

    A workbook names districts by name only: a name two stored districts share (two cities' 朝阳区)
    is refused rather than guessed; a new district is added at the top level."""

    def __init__(self, session: Session, areas: list[Area]):
        self.session = session
        self.districts: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        for a in areas:
            if a.kind == AreaKind.DISTRICT:
                if a.name in self.districts:
                    self.ambiguous.add(a.name)
                self.districts.setdefault(a.name, a.id)
        self.towns = {(a.parent_id, a.name): a.id for a in areas if a.kind == AreaKind.TOWN}
        self.parents = {a.id: a for a in areas}

    @classmethod
    def load(cls, session: Session) -> "AreaIndex":
        return cls(session, list(session.scalars(select(Area))))

    def district(self, name: str) -> int:
        if name in self.ambiguous:
            raise areas.AmbiguousArea(f"several districts are named {name!r}: import this district's lists "
                                      "from a workbook for one city only")
        if name not in self.districts:
            self.districts[name] = self._add(name, AreaKind.DISTRICT, None)
        return self.districts[name]

    def town(self, district: str, name: str) -> int:
        key = (self.district(district), name)
        if key not in self.towns:
            self.towns[key] = self._add(name, AreaKind.TOWN, key[0])
        return self.towns[key]

    def unit_area(self, kind: str, district: str, unit_name: str) -> int:
        if kind == UnitKind.TOWN:
            return self.town(district, town_of_unit(unit_name))
        return self.district(district)

    def _add(self, name: str, kind: AreaKind, parent_id: int | None) -> int:
        parent = self.parents.get(parent_id) if parent_id is not None else None
        area = areas.add(self.session, name=name, kind=kind, parent=parent)
        self.parents[area.id] = area
        return area.id
