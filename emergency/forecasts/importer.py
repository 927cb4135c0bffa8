"""Reading a forecast CSV (../shared/spec/forecast.md): all rows valid, or nothing stored."""
from __future__ import annotations

import csv
import math
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.db import utcnow
from config.events import EventKind, record
from emergency.forecasts import aqi
from emergency.forecasts.models import Forecast, ForecastImport
from lists.issues import Issue
from accounts.permissions import Action, Actor
from areas.models import DEPTH, Area

COLUMNS = ("area", "date", "aqi", *aqi.POLLUTANTS, "issued_at")
REQUIRED = ("area", "date")


@dataclass
class ForecastResult:
    rows: list[Forecast] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    import_id: int | None = None

    def to_json(self) -> dict:
        return {"rows": len(self.rows), "areas": len({r.area_id for r in self.rows}), "import_id": self.import_id,
                "errors": [e.to_json() for e in self.errors]}


class RowReader:
    """Reads one CSV row, collecting an error per bad cell."""

    def __init__(self, sheet: str, number: int, row: dict[str, str], errors: list[Issue]):
        self.sheet, self.line, self.row, self.errors = sheet, number, row, errors

    def fail(self, column: str, zh: str, en: str) -> None:
        self.errors.append(Issue.error(self.sheet, self.line, column, zh, en))

    def text(self, column: str) -> str:
        return (self.row.get(column) or "").strip()

    def number(self, column: str, *, top: float | None = None, integer: bool = False) -> float | None:
        raw = self.text(column)
        if not raw:
            return None
        try:
            value = int(raw) if integer else float(raw)
        except ValueError:
            self.fail(column, f"不是{'整数' if integer else '数字'}：{raw}", f"not {'an integer' if integer else 'a number'}: {raw!r}")
            return None
        if not math.isfinite(value):
            self.fail(column, f"不是有限的数字：{raw}", f"not a finite number: {raw!r}")
            return None
        if value < 0:
            self.fail(column, f"不能为负数：{raw}", f"must not be negative: {raw}")
            return None
        if top is not None and value > top:
            self.fail(column, f"不能大于{top:g}：{raw}", f"must be at most {top:g}: {raw}")
            return None
        return value

    def day(self) -> date | None:
        raw = self.text("date")
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                return date.fromisoformat(raw)
        except ValueError:
            pass
        self.fail("date", f"日期应为 YYYY-MM-DD：{raw or '（空）'}", f"date must be YYYY-MM-DD: {raw!r}")
        return None

    def issued(self, zone: ZoneInfo, default: datetime) -> datetime | None:
        raw = self.text("issued_at")
        if not raw:
            return default
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.fail("issued_at", f"时间应为 ISO 8601：{raw}", f"issued_at must be ISO 8601: {raw!r}")
            return None
        return value if value.tzinfo else value.replace(tzinfo=zone)


def areas_by_name(session: Session, scope: str | None = None) -> dict[str, int]:
    """Area names, name paths and GB/T 2260 codes to ids, within the area of path `scope` (None: all);
    where a name repeats, the highest area of that name wins (a district before a town)."""
    query = select(Area.id, Area.name, Area.code, Area.path, Area.kind)
    if scope is not None:
        query = query.where(Area.path.startswith(scope))
    rows = session.execute(query).all()
    names = {area_id: name for area_id, name, *_ in rows}
    found: dict[str, int] = {}
    for area_id, name, code, path, kind in sorted(rows, key=lambda r: DEPTH.get(r.kind, 9)):
        found.setdefault(name, area_id)
        found.setdefault("/".join(names.get(int(i), "?") for i in path.strip("/").split("/")), area_id)
        if code:
            found[code] = area_id
    return found


def parse(text: str, *, source: str, areas: dict[str, int], zone: ZoneInfo, now: datetime) -> ForecastResult:
    """Forecast rows (not yet added to a session) and every error found, by CSV row number."""
    result = ForecastResult()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        result.errors.append(Issue.error(source, 1, "", f"未知的列：{', '.join(unknown)}（可用：{', '.join(COLUMNS)}）",
                                         f"unknown columns: {', '.join(unknown)} (known: {', '.join(COLUMNS)})"))
        return result
    missing = [c for c in REQUIRED if c not in header]
    if missing or not any(c in header for c in ("aqi", *aqi.POLLUTANTS)):
        need = missing or ["aqi 或污染物浓度列 / aqi or a pollutant column"]
        result.errors.append(Issue.error(source, 1, "", f"缺少列：{', '.join(need)}", f"missing columns: {', '.join(need)}"))
        return result
    seen: dict[tuple[int, date], int] = {}
    for number, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        line = RowReader(source, number, row, result.errors)
        forecast = parse_row(line, areas, zone, now)
        if forecast is None:
            continue
        if (forecast.area_id, forecast.date) in seen:
            line.fail("date", f"同一区域同一天重复（第{seen[forecast.area_id, forecast.date]}行已有）",
                         f"the same area and day already on row {seen[forecast.area_id, forecast.date]}")
            continue
        seen[forecast.area_id, forecast.date] = number
        result.rows.append(forecast)
    if not result.rows and not result.errors:
        result.errors.append(Issue.error(source, 0, "", "文件没有数据行", "the file has no data rows"))
    return result


# Above these a daily mean is a typo or a unit error (µg/m³; CO mg/m³): far beyond any recorded
# episode (Beijing's worst daily PM2.5, January 2013, was under 900 µg/m³).
CEILING = {"pm25": 2000.0, "pm10": 5000.0, "so2": 5000.0, "no2": 3000.0, "co": 200.0, "o3_8h": 2000.0}


def parse_row(row: RowReader, areas: dict[str, int], zone: ZoneInfo, now: datetime) -> Forecast | None:
    before = len(row.errors)
    name = row.text("area")
    area_id = areas.get(name)
    if area_id is None:
        row.fail("area", f"未知区域：{name or '（空）'}（请先导入清单）", f"unknown area: {name!r} (import the lists first)")
    day, issued = row.day(), row.issued(zone, now)
    given = row.number("aqi", top=500, integer=True)
    values = {p: row.number(p, top=CEILING[p]) for p in aqi.POLLUTANTS}
    if len(row.errors) > before:
        return None
    if given is None and all(v is None for v in values.values()):
        row.fail("aqi", "aqi 和污染物浓度至少填一项", "give aqi or at least one pollutant concentration")
        return None
    try:
        computed = aqi.compute(values) if any(v is not None for v in values.values()) else None
    except ValueError as exc:
        row.fail("o3_8h", str(exc), str(exc))
        return None
    return Forecast(area_id=area_id, date=day, issued_at=issued, aqi=int(given) if given is not None else computed.aqi,
                    aqi_given=given is not None, primary=",".join(computed.primary) if computed else "", **values)


def import_forecast(*, session: Session, path: Path, actor: Actor, zone: ZoneInfo, now: datetime | None = None,
                    dry_run: bool = False) -> ForecastResult:
    """Validate the CSV file and store its rows in the session's transaction, or store nothing and
    return the errors. Raises OSError or UnicodeDecodeError for an unreadable file."""
    data = path.read_bytes()
    return import_text(session=session, text=data.decode("utf-8-sig"), source=path.name, actor=actor, zone=zone,
                       now=now, dry_run=dry_run, sha256=hashlib.sha256(data).hexdigest())


def import_text(*, session: Session, text: str, source: str, actor: Actor, zone: ZoneInfo, now: datetime | None = None,
                dry_run: bool = False, sha256: str | None = None) -> ForecastResult:
    """As import_forecast, for CSV text already read. Raises Forbidden for a role that may not import;
    areas outside the actor's area are unknown to it."""
    actor.require(Action.IMPORT_FORECAST)
    now = now or utcnow()
    try:
        result = parse(text, source=source, areas=areas_by_name(session, actor.area_path), zone=zone, now=now)
    except csv.Error as exc:  # a stray carriage return, an endless quoted field
        result = ForecastResult()
        result.errors.append(Issue.error(source, 1, "", f"CSV 格式错误：{exc}", f"malformed CSV: {exc}"))
    if result.errors or dry_run:
        return result
    batch = ForecastImport(at=now, actor=actor.username, source=source[:300], rows=len(result.rows),
                           sha256=sha256 or hashlib.sha256(text.encode()).hexdigest())
    session.add(batch)
    session.flush()
    for row in result.rows:
        row.import_id = batch.id
    session.add_all(result.rows)
    session.flush()
    result.import_id = batch.id
    record(session, kind=EventKind.FORECAST_IMPORTED, actor=actor, subject_type="forecast_import", subject_id=batch.id,
           detail={"source": source, "rows": len(result.rows), "areas": len({r.area_id for r in result.rows})}, at=now)
    return result
