"""The area tree: province → city → district → town/street, each with its GB/T 2260 code where it has one.

Names are unique among siblings only (朝阳区 is in Beijing and in Changchun). `path` lists the ids from
the root down to the area itself ("/1/5/23/"), so that an area's subtree is one prefix match and its
ancestors are read from the row, whatever the depth."""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from config.db import Base


class AreaKind(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    TOWN = "town"


DEPTH = {AreaKind.PROVINCE: 0, AreaKind.CITY: 1, AreaKind.DISTRICT: 2, AreaKind.TOWN: 3}


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_areas_parent_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    code: Mapped[str | None] = mapped_column(String(12), unique=True)  # GB/T 2260 (towns: 9 or 12 digits)
    path: Mapped[str] = mapped_column(String(400), index=True, default="", server_default="")

    def contains(self, other: Area) -> bool:
        """True when `other` is this area or lies inside it."""
        return other.path.startswith(self.path)

    @property
    def lineage(self) -> list[int]:
        """The ids from the root down to this area."""
        return [int(i) for i in self.path.strip("/").split("/") if i]
