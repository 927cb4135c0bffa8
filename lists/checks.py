"""Checks across rows: each enterprise's list as a whole (its cuts, levels and contacts)."""
from __future__ import annotations

from collections import defaultdict

from config.rulesets import RuleSet
from lists.issues import Issue
from lists.models import SELF_CHOSEN_GRADES
from lists.plan import MeasureIn, Plan
from lists.workbook import CONTACTS, ENTERPRISES, MEASURES

POLLUTANTS = (("so2", "SO2"), ("nox", "NOx"), ("pm", "颗粒物"), ("vocs", "VOCs"))
EPSILON = 1e-9


def check_lists(plan: Plan, rules: RuleSet) -> None:
    """Add to plan.issues what is wrong or doubtful in each new list and contact set."""
    mandatory = [level for level in rules.levels if level.required > 0]
    for code, lst in plan.lists.items():
        by_level: dict[str, list[MeasureIn]] = defaultdict(list)
        for measure in plan.measures.get(code, []):
            by_level[measure.level].append(measure)
        for level, measures in by_level.items():
            _cuts_within_baseline(plan, level, measures, lst.bases, rules)
        place = _place(plan, code)
        exempt = lst.guarantee or lst.grade in SELF_CHOSEN_GRADES
        missing = [level for level in mandatory if level.key not in by_level]
        if missing and not exempt:
            names = "、".join(level.zh for level in missing)
            plan.issues.append(Issue.warning(*place, f"企业{code}在{names}预警级别下没有减排措施",
                                             f"enterprise {code} has no measures at level(s) "
                                             f"{', '.join(level.key for level in missing)}"))
        _cuts_grow(plan, code, by_level, mandatory)
        if lst.grade == "D" and "red" in rules.keys and not any(m.action == "stop" for m in by_level["red"]):
            plan.issues.append(Issue.warning(place[0], place[1], ENTERPRISES.column("grade").header,
                                             f"D级企业{code}在红色预警下没有停产措施",
                                             f"D-grade enterprise {code} does not stop production at red"))
    for code, contacts in plan.contacts.items():
        if not any(c.mobile for c in contacts):
            sheet, row, _ = _place(plan, code) if code in plan.enterprises else (CONTACTS.name, contacts[0].row, "")
            plan.issues.append(Issue.warning(sheet, row, "", f"企业{code}没有手机联系人，将无法收到短信通知",
                                             f"enterprise {code} has no contact with a mobile number: no SMS can reach it"))


def _place(plan: Plan, code: str) -> tuple[str, int, str]:
    if code in plan.enterprises:
        return ENTERPRISES.name, plan.enterprises[code].row, ""
    measures = plan.measures.get(code) or [None]
    return MEASURES.name, measures[0].row if measures[0] else 0, ""


def _cuts_within_baseline(plan: Plan, level: str, measures: list[MeasureIn], bases, rules: RuleSet) -> None:
    zh = rules.level(level).zh
    for index, (key, label) in enumerate(POLLUTANTS):
        total = 0.0
        for measure in measures:
            total += measure.cuts[index]
            if total > bases[index] + EPSILON:
                plan.issues.append(Issue.error(
                    MEASURES.name, measure.row, MEASURES.column(f"{key}_cut").header,
                    f"{zh}预警下{label}减排量合计{total:g}超过企业基数{bases[index]:g}",
                    f"total {label} cut at {level} ({total:g} kg/day) exceeds the enterprise's baseline ({bases[index]:g})"))
                break


def _cuts_grow(plan: Plan, code: str, by_level: dict[str, list[MeasureIn]], mandatory) -> None:
    for lower, higher in zip(mandatory, mandatory[1:]):
        if not by_level.get(lower.key) or not by_level.get(higher.key):
            continue
        first = by_level[higher.key][0]
        for index, (key, label) in enumerate(POLLUTANTS):
            low = sum(m.cuts[index] for m in by_level[lower.key])
            high = sum(m.cuts[index] for m in by_level[higher.key])
            if high < low - EPSILON:
                plan.issues.append(Issue.warning(
                    MEASURES.name, first.row, MEASURES.column(f"{key}_cut").header,
                    f"企业{code}{higher.zh}预警的{label}减排量（{high:g}）小于{lower.zh}预警（{low:g}）",
                    f"enterprise {code}: {label} cut at {higher.key} ({high:g}) is less than at {lower.key} ({low:g})"))
