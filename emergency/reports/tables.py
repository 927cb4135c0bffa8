"""A report document as tables with Chinese headers, the same for the workbook (a sheet each) and
the Word document (a table each): one place says what each column is and how it reads."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config import rulesets
from config.settings import POLLUTANTS

POLLUTANT_ZH = {"so2": "二氧化硫", "nox": "氮氧化物", "pm": "颗粒物", "vocs": "挥发性有机物"}
KIND_ZH = {"issue": "发布", "change": "变更", "lift": "解除"}
STATUS_ZH = {"draft": "待审批", "scheduled": "已批准待生效", "active": "生效中", "lifted": "已解除", "expired": "已到期",
             "withdrawn": "已退回"}
DELIVERY_ZH = {"pending": "待发送", "sending": "发送中", "sent": "已发出", "delivered": "已送达", "failed": "发送失败",
               "cancelled": "已取消", "unknown": "状态不明"}
UNIT_ZH = {"command": "指挥部", "department": "行业部门", "town": "乡镇街道"}
ACTION_ZH = {"remind": "短信催办", "call": "电话催办", "town": "报告乡镇街道", "command": "报告指挥部"}
BASE_ZH = {"lists": "清单基数合计", "inventory": "排放清单总量"}
REDUCTION_NOTE = ("实际减排只计已确认全部措施的企业，并扣除督查发现未落实的措施（本次预警任一次检查发现的，"
                  "同一企业的同一措施只扣一次）。")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text, int, float (kg/day), pct (a fraction), minutes, time (ISO text), bool
    width: int = 12  # characters, for the workbook


@dataclass
class Table:
    name: str  # the sheet's name (at most 31 characters)
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str | None = None
    # a two-column table of figures of different kinds: each row's kind for its value
    row_kinds: list[str] | None = field(default=None)

    def kind(self, row: int, column: int) -> str:
        if self.row_kinds is not None and column == len(self.columns) - 1:
            return self.row_kinds[row]
        return self.columns[column].kind


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def level_zh(doc: dict, key: str) -> str:
    try:
        return rulesets.load(doc["warning"]["rules"]).level(key).zh + "预警"
    except KeyError:
        return key


def tables(doc: dict) -> list[Table]:
    """Every table of the report, in the order the document shows them."""
    return [overview(doc), notices(doc), reduction(doc), breakdown(doc, "by_town", "分乡镇街道", "乡镇/街道"),
            breakdown(doc, "by_industry", "分行业", "行业"), breakdown(doc, "by_grade", "分绩效等级", "绩效等级"),
            times(doc), deliveries(doc), units(doc), escalations(doc), inspections(doc)]


def overview(doc: dict) -> Table:
    w, s, period = doc["warning"], doc["summary"], doc["period"]
    daily = doc["report"] == "daily"
    rows = [("报告", doc["title"], "text"), ("预警编号", w["id"], "int"), ("区域", w["area"], "text"),
            ("级别", level_zh(doc, w["level"]), "text"), ("状态", STATUS_ZH.get(w["status"], w["status"]), "text"),
            ("演练", w["drill"], "bool"), ("开始时间", w["start"], "time"), ("结束时间", w["end"], "time"),
            ("解除时间", w["lifted_at"], "time"),
            ("报告日期" if daily else "评估期间起", period["date"] if daily else period["from"], "text" if daily else "time"),
            ("生成时间", doc["generated_at"], "time"),
            ("企业总数", s["enterprises"], "int"), ("自主减排企业", s["self_chosen"], "int"),
            ("已送达企业", s["reached"], "int"), ("已签收企业", s["acknowledged"], "int"),
            ("已确认企业", s["confirmed"], "int"), ("确认率", share(s["confirmed"], s["enterprises"]), "pct"),
            ("当日签收企业" if daily else "期间签收企业", doc["in_period"]["acknowledged"], "int"),
            ("当日确认企业" if daily else "期间确认企业", doc["in_period"]["confirmed"], "int"),
            ("单位总数", s["units"]["total"], "int"), ("单位已签收", s["units"]["acknowledged"], "int"),
            ("单位已确认职责", s["units"]["confirmed"], "int"),
            ("已短信催办企业", s["escalation"]["reminded"], "int"), ("已电话催办企业", s["escalation"]["called"], "int"),
            ("已报告乡镇街道企业", s["escalation"]["reported_to_town"], "int"), *inspection_rows(doc)]
    return Table("概况", "概况", [Column("项目", width=22), Column("数值", width=44)],
                 [[label, value] for label, value, _ in rows], row_kinds=[kind for *_, kind in rows])


def inspection_rows(doc: dict) -> list[tuple]:
    """The overview's inspection figures: the period's (the day's, for a daily report), and for a
    daily report the warning's so far as well."""
    i, so_far = doc["inspections"], doc["summary"]["inspections"]
    during = "当日" if doc["report"] == "daily" else ""
    rows = [(f"{during}督查检查（次）", i["visits"], "int"), (f"{during}督查企业", i["enterprises_visited"], "int"),
            (f"{during}发现违规（次）", i["violations"], "int"), (f"{during}违规企业", i["enterprises_violating"], "int")]
    if during:
        rows += [("累计督查检查（次）", so_far["visits"], "int"), ("累计违规企业", so_far["enterprises_violating"], "int")]
    return rows


def notices(doc: dict) -> Table:
    columns = [Column("序号", "int", 6), Column("类型"), Column("级别"), Column("开始", "time", 17),
               Column("结束", "time", 17), Column("解除时间", "time", 17), Column("申请人"), Column("批准人"),
               Column("批准时间", "time", 17), Column("企业数", "int"), Column("通知企业数", "int"),
               Column("接收人数", "int"), Column("本期发出", "bool", 10), Column("理由", width=40)]
    rows = [[n["seq"], KIND_ZH.get(n["kind"], n["kind"]), level_zh(doc, n["level"]), n["start"], n["end"], n["lift_at"],
             n["requested_by"], n["approved_by"], n["approved_at"], n["enterprises"], n["notified"], n["recipients"],
             n["in_period"], n["reason"]] for n in doc["notices"]]
    return Table("通知", "预警通知", columns, rows)


def reduction(doc: dict) -> Table:
    columns = [Column("通知序号", "int", 9), Column("级别"), Column("污染物", width=14), Column("减排基数(kg/d)", "float", 15),
               Column("基数来源", width=14), Column("要求比例", "pct", 10), Column("清单承诺减排(kg/d)", "float", 18),
               Column("承诺比例", "pct", 10), Column("已确认企业减排(kg/d)", "float", 20), Column("确认比例", "pct", 10),
               Column("违规扣减(kg/d)", "float", 15), Column("实际减排(kg/d)", "float", 15), Column("实际比例", "pct", 10),
               Column("是否达标", "bool", 10)]
    rows = []
    for r in doc["reduction"]:
        for p in POLLUTANTS:
            x = r["pollutants"][p]
            rows.append([r["notice"], level_zh(doc, r["level"]), POLLUTANT_ZH[p], x["baseline"], BASE_ZH[x["base"]],
                         x["required"], x["promised"]["cut"], x["promised"]["ratio"], x["confirmed"]["cut"],
                         x["confirmed"]["ratio"], x["violated"]["cut"], x["achieved"]["cut"], x["achieved"]["ratio"],
                         x["ok"]])
    return Table("减排", "减排成效", columns, rows, note=REDUCTION_NOTE)


def breakdown(doc: dict, part: str, name: str, label: str) -> Table:
    key = {"by_town": "area", "by_industry": "industry", "by_grade": "grade"}[part]
    columns = [Column(label, width=20), Column("企业数", "int"), Column("已送达", "int"), Column("已签收", "int"),
               Column("已确认", "int"), Column("确认率", "pct", 10)]
    town_times = {t["area"]: t for t in doc["summary"]["times"]["by_town"]} if part == "by_town" else None
    if town_times is not None:
        columns += [Column(h, "minutes", 16) for h in ("签收用时中位数(分)", "签收用时P90(分)", "确认用时中位数(分)",
                                                        "确认用时P90(分)")]
    rows = []
    for r in doc["summary"][part]:
        row = [r[key] or "未分级", r["enterprises"], r["reached"], r["acknowledged"], r["confirmed"],
               share(r["confirmed"], r["enterprises"])]
        if town_times is not None:
            t = town_times.get(r[key], {})
            row += [t.get(step, {}).get(q) for step in ("acknowledged", "confirmed") for q in ("median", "p90")]
        rows.append(row)
    return Table(name, name, columns, rows)


def times(doc: dict) -> Table:
    t = doc["summary"]["times"]
    columns = [Column("环节", width=24), Column("企业数", "int"), Column("中位数(分钟)", "minutes", 14),
               Column("90分位(分钟)", "minutes", 14)]
    rows = [[label, t[step]["n"], t[step]["median"], t[step]["p90"]]
            for label, step in (("通知至签收", "acknowledged"), ("通知至确认落实", "confirmed"))]
    return Table("时效", "响应时效", columns, rows, note="自企业的通知发出起计；分乡镇街道见“分乡镇街道”表。")


def deliveries(doc: dict) -> Table:
    rows = [[DELIVERY_ZH.get(status, status), n] for status, n in doc["summary"]["deliveries"].items()]
    return Table("消息", "消息发送（全部通知、催办与报告）", [Column("状态", width=14), Column("条数", "int")], rows)


def units(doc: dict) -> Table:
    columns = [Column("单位", width=30), Column("类型"), Column("签收时间", "time", 17), Column("确认职责时间", "time", 17)]
    rows = [[u["name"], UNIT_ZH.get(u["kind"], u["kind"]), u["acknowledged_at"], u["confirmed_at"]] for u in doc["units"]]
    return Table("单位", "单位签收与职责确认", columns, rows)


def escalations(doc: dict) -> Table:
    columns = [Column("时间", "time", 17), Column("通知序号", "int", 9), Column("措施", width=14),
               Column("逾时(分钟)", "int"), Column("涉及未确认企业", "int", 16)]
    rows = [[e["at"], e["notice"], ACTION_ZH.get(e["action"], e["action"]), e["after"], e["unconfirmed"]]
            for e in doc["escalations"]]
    return Table("催办升级", "催办与升级", columns, rows, note=None if rows else "本期无催办升级。")


def inspections(doc: dict) -> Table:
    """Each enterprise visited in the period, those with violations first, with the measures found not in place."""
    columns = [Column("企业", width=30), Column("统一社会信用代码", width=20), Column("乡镇街道", width=12),
               Column("检查次数", "int", 10), Column("违规次数", "int", 10), Column("最近检查", "time", 17),
               Column("未落实措施", width=50)]
    rows = [[e["name"], e["credit_code"], e["town"], e["visits"], e["violations"], e["last_at"], violated_text(e)]
            for e in doc["inspections"]["enterprises"]]
    empty = "当日无督查检查记录。" if doc["report"] == "daily" else "本次预警无督查检查记录。"
    return Table("督查检查", "督查检查与违规", columns, rows, note=None if rows else empty)


def violated_text(enterprise: dict) -> str:
    return "；".join(f"{m['target']}：{m['description']}" for m in enterprise["violated"])


def text(value: Any, kind: str) -> str:
    """A value as the Word document and the page print it."""
    if value is None or value == "":
        return "—"
    if kind == "int":
        return f"{value:,}"
    if kind == "float":
        return f"{value:,.1f}"
    if kind == "minutes":
        return f"{value:,.1f}"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "bool":
        return "是" if value else "否"
    if kind == "time":
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    return str(value)
