"""Small factories: valid workbook records, written to real .xlsx files, and import helpers."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import rulesets
from config.events import Event
from lists import creditcode
from lists.importer import ImportResult, import_workbook
from lists.models import Area, Contact, Enterprise, ImportRecord, ListVersion, Measure, Unit, UnitDuty
from lists.workbook import SHEETS

LEVELS = ("黄色", "橙色", "红色")


def code(n: int) -> str:
    return creditcode.make("91", "110115", f"{n:08d}")


def make_enterprise(n: int, **values: Any) -> dict[str, Any]:
    return {"credit_code": code(n), "name": f"测试企业{n}有限公司", "district": "大兴区", "town": "黄村镇",
            "industry": "包装印刷", "source_type": "工业源", "grade": "B", "guarantee": "否",
            "address": f"大兴区测试路{n}号", "lon": 116.3, "lat": 39.7,
            "so2_base": 10.0, "nox_base": 20.0, "pm_base": 30.0, "vocs_base": 40.0, **values}


def make_contact(n: int, **values: Any) -> dict[str, Any]:
    return {"credit_code": code(n), "name": f"联系人{n}", "role": "环保负责人", "mobile": f"1380000{n:04d}",
            "email": f"c{n}@example.com", "order": None, **values}


def make_measure(n: int, level: str, share: float, **values: Any) -> dict[str, Any]:
    base = make_enterprise(n)
    return {"credit_code": code(n), "level": level, "target": "1号生产线", "action": "限产",
            "description": f"{level}预警期间限产", "limit_pct": round(100 * (1 - share)),
            **{f"{p}_cut": base[f"{p}_base"] * share for p in ("so2", "nox", "pm", "vocs")}, **values}


def make_records(count: int = 2) -> dict[str, list[dict[str, Any]]]:
    """A valid workbook: enterprises 1..count, one contact each, one measure per level (10/20/30 %)."""
    return {
        "enterprises": [make_enterprise(n) for n in range(1, count + 1)],
        "contacts": [make_contact(n) for n in range(1, count + 1)],
        "measures": [make_measure(n, level, share) for n in range(1, count + 1)
                     for level, share in zip(LEVELS, (0.1, 0.2, 0.3))],
        "units": [{"name": "区生态环境局", "kind": "部门", "district": "大兴区", "contact": "王五",
                   "mobile": "13900000001", "email": None},
                  {"name": "黄村镇人民政府", "kind": "街道乡镇", "district": "大兴区", "contact": "赵六",
                   "mobile": None, "email": "hc@example.com"}],
        "duties": [{"unit": "区生态环境局", "level": level, "duty": f"{level}预警：执法检查"} for level in LEVELS],
    }


def write_xlsx(path: Path, records: dict[str, list[dict[str, Any]]], *, english: bool = False,
               drop_columns: dict[str, set[str]] | None = None, extra_columns: dict[str, str] | None = None,
               blank_rows_after: dict[str, int] | None = None, text_cells: bool = False) -> Path:
    """Write records as a workbook; a sheet is left out when records has no key for it. With
    text_cells, text starting with "=" is a text cell, not a formula."""
    book = Workbook()
    book.remove(book.active)
    for spec in SHEETS:
        if spec.key not in records:
            continue
        sheet = book.create_sheet(spec.name)
        columns = [c for c in spec.columns if c.key not in (drop_columns or {}).get(spec.key, set())]
        extra = (extra_columns or {}).get(spec.key)
        sheet.append([c.key if english else c.header for c in columns] + ([extra] if extra else []))
        for i, row in enumerate(records[spec.key]):
            sheet.append([row.get(c.key) for c in columns] + (["x"] if extra else []))
            if text_cells:
                for cell in sheet[sheet.max_row]:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"
            if (blank_rows_after or {}).get(spec.key) == i + 1:
                sheet.append([])
    book.save(path)
    return path


def run_import(session: Session, path: Path, *, rules: str = "national-2024", dry_run: bool = False) -> ImportResult:
    return import_workbook(session=session, path=path, actor="tester", rules=rulesets.load(rules),
                           grade_scheme="2026", dry_run=dry_run)


def table_counts(session: Session) -> dict[str, int]:
    tables = (Area, Unit, UnitDuty, Enterprise, ListVersion, Measure, Contact, ImportRecord, Event)
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in tables}


def records_for_warnings() -> dict[str, list[dict[str, Any]]]:
    """Five enterprises in 大兴区 for activation tests.

    1 grade A (self-chosen), 2 grade B, 3 guarantee (grade C), 4 grade D in 西红门镇, 5 grade C whose
    orange and red measures are identical (so an orange→red change leaves it unchanged).
    Every list meets 10/20/30 %. Contacts: two for enterprise 1, one for the others."""
    grades = {1: ("A", "否"), 2: ("B", "否"), 3: ("C", "是"), 4: ("D", "否"), 5: ("C", "否")}
    enterprises = [make_enterprise(n, grade=g, guarantee=guarantee, town="西红门镇" if n == 4 else "黄村镇")
                   for n, (g, guarantee) in grades.items()]
    measures = [make_measure(n, level, share) for n in range(1, 5) for level, share in zip(LEVELS, (0.1, 0.2, 0.3))]
    measures += [make_measure(5, "黄色", 0.1)]
    measures += [make_measure(5, level, 0.3, description="停产", action="停产", limit_pct=None) for level in ("橙色", "红色")]
    contacts = [make_contact(n) for n in range(1, 6)] + [make_contact(1, name="第二联系人", mobile="13800009999", order=2)]
    contacts[0]["order"] = 1
    records = make_records(0)
    records.update(enterprises=enterprises, measures=measures, contacts=contacts)
    records["units"].append({"name": "西红门镇人民政府", "kind": "街道乡镇", "district": "大兴区", "contact": "钱七",
                             "mobile": "13900000003", "email": None})
    return records


ROLES_BY_NAME = {"duty": "duty_officer", "a": "duty_officer", "b": "duty_officer", "chief": "commander",
                 "commander": "commander", "chief2": "commander", "office": "office", "viewer": "viewer",
                 "admin": "admin", "tester": "duty_officer"}


def who(name: str, role: str | None = None, *, area_path: str | None = None):
    """An Actor without a stored user (user_id None): roles by the tests' usual names."""
    from accounts.permissions import Actor

    return Actor(username=name, role=role or ROLES_BY_NAME[name], area_path=area_path)


def add_user(session: Session, username: str, role: str, area=None):
    """A stored user and its Actor; returns (actor, password)."""
    from accounts import service as accounts
    from accounts.permissions import system
    from config.db import utcnow

    user, password = accounts.add_user(session=session, actor=system("tests"), username=username, role=role,
                                       area=area, display_name=username, now=utcnow())
    return accounts.actor_of(session, user), password


def browser_sign_in(client, username: str, password: str, next: str = "/"):
    """Sign in through /login as a browser does (the form's CSRF token from its cookie); returns the
    response and the session's CSRF token read from the home page."""
    import re

    client.get("/login")
    response = client.post("/login", data={"username": username, "password": password, "next": next,
                                           "csrf_token": client.cookies.get("emergency_login_csrf", "")})
    home = client.get("/")
    found = re.search(r'name="csrf-token" content="([^"]+)"', home.text)
    return response, found.group(1) if found else None
