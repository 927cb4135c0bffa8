"""Areas (district → town/street) and which area a responsible unit answers for."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lists.models import Area, AreaKind, UnitKind

_OFFICE_SUFFIXES = ("人民政府", "办事处", "政府", "管委会")


def town_of_unit(name: str) -> str:
    """The town/street a town office answers for: its name less 人民政府/办事处 (黄村镇人民政府 → 黄村镇)."""
    for suffix in _OFFICE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


class AreaIndex:
    """Area ids by name, adding the districts and towns a workbook names for the first time."""

    def __init__(self, session: Session, areas: list[Area]):
        self.session = session
        self.districts = {a.name: a.id for a in areas if a.kind == AreaKind.DISTRICT}
        self.towns = {(a.parent_id, a.name): a.id for a in areas if a.kind == AreaKind.TOWN}

    @classmethod
    def load(cls, session: Session) -> "AreaIndex":
        return cls(session, list(session.scalars(select(Area))))

    def district(self, name: str) -> int:
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
        area = Area(name=name, kind=kind, parent_id=parent_id)
        self.session.add(area)
        self.session.flush()
        return area.id
