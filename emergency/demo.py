"""A realistic demo district, written through the same validation and import path as a workbook.

The same seed gives the same data. Phone numbers start with 100, a prefix no Chinese mobile
network assigns, so that demo notices can never reach a real person; emails use example.com."""
from __future__ import annotations

from datetime import date, timedelta

import random
from typing import Any

from emergency import demo_data as D
from lists import creditcode

LEVELS = ("黄色", "橙色", "红色")
# Share of the baseline each grade cuts at yellow, orange and red.
CUT_SHARE = {
    "self": (0.10, 0.15, 0.20),  # A+, A, 引领性: self-chosen (自主减排)
    "B": (0.25, 0.35, 0.50), "B-": (0.30, 0.40, 0.60), "C": (0.40, 0.55, 0.75), "D": (1.0, 1.0, 1.0),
    None: (0.30, 0.45, 0.60), "非引领性": (0.30, 0.45, 0.60),
    "dust": (0.40, 0.70, 0.95), "mobile": (0.30, 0.50, 0.80), "guarantee": (0.05, 0.08, 0.10),
}
INDUSTRY_WEIGHTS = {"包装印刷": 12, "铸造": 5, "家具制造": 8, "工业涂装": 8, "汽车维修": 14, "化学原料和化学制品制造": 3,
                    "水泥制品": 4, "医药制造": 3, "食品制造": 5, "橡胶和塑料制品": 5, "建筑施工": 16, "物流运输": 10,
                    "供热": 2, "生活垃圾处理": 1}


def records(enterprises: int = 200, seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    """The demo's rows for each workbook sheet, keyed as the workbook's columns."""
    rng = random.Random(seed)
    data: dict[str, list[dict[str, Any]]] = {"enterprises": [], "contacts": [], "measures": [],
                                             "units": [], "duties": []}
    _units(rng, data)
    codes: set[str] = set()
    industries = rng.choices(list(INDUSTRY_WEIGHTS), weights=list(INDUSTRY_WEIGHTS.values()), k=enterprises)
    for index, industry in enumerate(industries):
        code = _unique_code(rng, codes)
        _enterprise(rng, data, code, industry, index)
    return data


def _units(rng: random.Random, data: dict) -> None:
    def unit(name: str, kind: str, duties: tuple[str, ...]) -> None:
        data["units"].append({"name": name, "kind": kind, "district": D.DISTRICT, "contact": _person(rng),
                              "mobile": _mobile(rng), "email": f"duty{len(data['units']) + 1:03d}@example.com"})
        data["duties"] += [{"unit": name, "level": level, "duty": duty} for level, duty in zip(LEVELS, duties)]

    unit(D.COMMAND_CENTER, "指挥部", ("组织会商，发布黄色预警，调度各成员单位", "组织会商，发布橙色预警，每日调度通报",
                                    "组织会商，发布红色预警，实时调度，督查督办"))
    for name, duties in D.DEPARTMENTS.items():
        unit(name, "部门", duties)
    for town in D.TOWNS:
        unit(town + ("人民政府" if town.endswith("镇") else "办事处"), "街道乡镇", D.TOWN_DUTIES)


def _unique_code(rng: random.Random, codes: set[str]) -> str:
    while True:
        code = creditcode.make("91", "110115", f"{rng.randrange(10**8):08d}")
        if code not in codes:
            codes.add(code)
            return code


def _enterprise(rng: random.Random, data: dict, code: str, industry: str, index: int) -> None:
    source, suffix, *ranges, grades, targets = D.INDUSTRIES[industry]
    bases = [round(rng.uniform(lo, hi), 2) for lo, hi in ranges]
    guarantee = grades == "G"
    grade = _grade(rng, grades)
    town = rng.choice(D.TOWNS)
    if index % 5 == 0:  # the demo inspector's town has enterprises to visit, even in a small demo
        town = D.TOWNS[0]
    data["enterprises"].append({
        "credit_code": code, "name": f"北京{rng.choice(D.BRANDS)}{D.BRANDS[index % len(D.BRANDS)][0]}{suffix}",
        "district": D.DISTRICT, "town": town, "industry": industry, "source_type": source, "grade": grade,
        "guarantee": "是" if guarantee else "否",
        "address": f"北京市大兴区{town}{rng.choice(D.ROADS)}{rng.randint(1, 300)}号",
        "lon": round(rng.uniform(116.20, 116.60), 5), "lat": round(rng.uniform(39.50, 39.85), 5),
        "so2_base": bases[0], "nox_base": bases[1], "pm_base": bases[2], "vocs_base": bases[3]})
    data["contacts"].append({"credit_code": code, "name": _person(rng), "role": "环保负责人", "mobile": _mobile(rng),
                             "email": f"ep{index + 1:05d}@example.com", "order": 1})
    data["contacts"].append({"credit_code": code, "name": _person(rng), "role": "法定代表人", "mobile": _mobile(rng),
                             "order": 2})
    if rng.random() < 0.2:
        data["contacts"].append({"credit_code": code, "name": "值班室", "role": "值班电话", "mobile": _mobile(rng), "order": 3})
    kind = "guarantee" if guarantee else {"扬尘源": "dust", "移动源": "mobile"}.get(source) or (
        "self" if grade in ("A+", "A", "引领性") else grade)
    for level, share in zip(LEVELS, CUT_SHARE[kind]):
        data["measures"] += _measures(code, level, share, kind, bases, targets)


def _grade(rng: random.Random, grades: str) -> str | None:
    if grades == "ABCD":
        return rng.choices(["A+", "A", "B", "B-", "C", "D", None], weights=[1, 3, 22, 6, 30, 15, 23])[0]
    if grades == "AB":
        return rng.choices(["A", "B"], weights=[1, 3])[0]
    if grades == "BC":
        return rng.choice(["B", "C"])
    if grades == "引":
        return rng.choices(["引领性", "非引领性"], weights=[1, 3])[0]
    return None


def _measures(code: str, level: str, share: float, kind: str, bases: list[float], targets: tuple[str, str]) -> list[dict]:
    """Two measures at the level, on the main and the secondary target, 70 % and 30 % of the cut."""
    rows = []
    for target, part in zip(targets, (0.7, 0.3)):
        action, text, limit = _action(kind, level, share, target)
        cuts = [int(b * share * part * 1000) / 1000 for b in bases]  # truncate: never above the baseline
        rows.append({"credit_code": code, "level": level, "target": target, "action": action, "description": text,
                     "limit_pct": limit, "so2_cut": cuts[0], "nox_cut": cuts[1], "pm_cut": cuts[2], "vocs_cut": cuts[3]})
    return rows


def _action(kind: str, level: str, share: float, target: str) -> tuple[str, str, float | None]:
    if kind == "D" or share >= 1.0:
        return "停产", f"{level}预警期间{target}全部停产", None
    if kind == "dust":
        return "停止露天作业", f"{level}预警期间停止{target}及露天作业，裸土全部苫盖", None
    if kind == "mobile":
        return "停止运输", f"{level}预警期间{target}停止运输（应急车辆除外）", None
    if kind == "self":
        return "其他", f"{level}预警期间{target}自主采取减排措施（自主减排）", None
    if kind == "C":
        return "停产", f"{level}预警期间{target}停止部分生产线（以停代限）", None
    kept = round(100 * (1 - share))
    scope = "保障范围内" if kind == "guarantee" else ""
    return "限产", f"{level}预警期间{target}{scope}限产，产量不超过正常的{kept}%", float(kept)


def _person(rng: random.Random) -> str:
    return rng.choice(D.SURNAMES) + "".join(rng.choices(D.GIVEN, k=rng.choice((1, 2))))


def _mobile(rng: random.Random) -> str:
    return f"100{rng.randrange(10**8):08d}"


def forecast_csv(today: date) -> str:
    """A forecast for 大兴区 issued today: four days of a PM2.5 episode that calls for red."""
    rows = [(1, 165, 210), (2, 262, 330), (3, 231, 290), (4, 118, 160)]  # day, PM2.5, PM10 (µg/m³)
    return "area,date,pm25,pm10,no2\n" + "".join(f"大兴区,{today + timedelta(days=d)},{pm25},{pm10},85\n"
                                                  for d, pm25, pm10 in rows)
