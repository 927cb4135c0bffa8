"""A report as the Word document a district sends upward: the title (a drill's marked 【演练】), the
headline figures in sentences, a chart of the reduction achieved against the required ratio and one
of the confirmed share by town, and the tables of the workbook."""
from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from config.settings import POLLUTANTS
from emergency.reports import chart
from emergency.reports.tables import POLLUTANT_ZH, STATUS_ZH, Table, level_zh, share, tables, text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LATIN = {"so2": "SO2", "nox": "NOx", "pm": "PM", "vocs": "VOCs"}
FONT = "宋体"


def document(doc: dict) -> bytes:
    """The .docx file of the report document."""
    word = _blank()
    word.add_heading(doc["title"], level=0)
    if doc["drill"]:
        _paragraph(word, "本报告为演练报告，所载数据不计入正式预警统计。", bold=True, colour=RGBColor(0xC0, 0x1C, 0x1C))
    for line in _headline(doc):
        _paragraph(word, line)
    by_name = {t.name: t for t in tables(doc)}
    _section(word, "一、预警与通知", [by_name["通知"]])
    _section(word, "二、送达、签收与确认", [by_name[n] for n in ("分乡镇街道", "分行业", "分绩效等级", "时效", "消息", "单位")],
             image=_town_chart(doc))
    _section(word, "三、催办与督查", [by_name["催办升级"], by_name["督查检查"]])
    _section(word, "四、减排成效", [by_name["减排"]], image=_reduction_chart(doc), lines=_reduction_lines(doc))
    out = BytesIO()
    word.save(out)
    return out.getvalue()


def _blank() -> Document:
    """Landscape A4 (the tables are wide), 宋体 for the Chinese text."""
    word = Document()
    section = word.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    for name in ("Normal", "Title", "Heading 1"):
        style = word.styles[name]
        style.font.name = FONT
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    word.styles["Normal"].font.size = Pt(10.5)
    return word


def _headline(doc: dict) -> list[str]:
    """The figures a reader wants first, as sentences."""
    w, s, period = doc["warning"], doc["summary"], doc["period"]
    n = s["enterprises"]
    pct = lambda part: text(share(part, n), "pct")  # noqa: E731
    first = doc["notices"][0]
    lines = [f"{w['area']}于{text(first['approved_at'], 'time')}发布{level_zh(doc, first['level'])}（编号{w['id']}），"
             f"生效时间{text(w['start'], 'time')}至{text(w['lifted_at'] or w['end'], 'time')}，当前为"
             f"{level_zh(doc, w['level'])}、{STATUS_ZH.get(w['status'], w['status'])}，共发布通知{len(doc['notices'])}次。"]
    if doc["report"] == "daily":
        lines.append(f"本日报为{period['date']}（{text(period['from'], 'time')}至{text(period['to'], 'time')}）的情况，"
                     f"生成于{text(doc['generated_at'], 'time')}{'' if doc['final'] else '，当日尚未结束'}。")
    else:
        lines.append(f"本评估覆盖{text(period['from'], 'time')}至{text(period['to'], 'time')}，生成于"
                     f"{text(doc['generated_at'], 'time')}{'' if doc['final'] else '；预警尚未结束，数据为截至生成时的情况'}。")
    lines.append(f"截至生成时，涉及企业{n:,}家（其中自主减排{s['self_chosen']:,}家）：已送达{s['reached']:,}家（{pct(s['reached'])}），"
                 f"已签收{s['acknowledged']:,}家（{pct(s['acknowledged'])}），已确认落实减排措施{s['confirmed']:,}家"
                 f"（{pct(s['confirmed'])}）；{'当日' if doc['report'] == 'daily' else '期间'}签收"
                 f"{doc['in_period']['acknowledged']:,}家、确认{doc['in_period']['confirmed']:,}家。")
    t = s["times"]
    lines.append(f"自通知发出至签收用时中位数{text(t['acknowledged']['median'], 'minutes')}分钟、90分位"
                 f"{text(t['acknowledged']['p90'], 'minutes')}分钟；至确认落实用时中位数{text(t['confirmed']['median'], 'minutes')}"
                 f"分钟、90分位{text(t['confirmed']['p90'], 'minutes')}分钟。{s['units']['total']}个单位中"
                 f"{s['units']['acknowledged']}个已签收、{s['units']['confirmed']}个已确认职责。")
    e = s["escalation"]
    lines.append(f"已短信催办{e['reminded']:,}家、电话催办{e['called']:,}家，逾时未确认的{e['reported_to_town']:,}家已报告属地乡镇街道。"
                 + _inspection_line(doc))
    return lines


def _inspection_line(doc: dict) -> str:
    """The visits of the period and the enterprises found violating, named (the first ten)."""
    i = doc["inspections"]
    during = "当日" if doc["report"] == "daily" else "预警期间"
    if not i["visits"]:
        return f"{during}无督查检查记录。"
    line = (f"{during}督查检查{i['visits']:,}次、涉及企业{i['enterprises_visited']:,}家，"
            f"发现违规{i['violations']:,}次、违规企业{i['enterprises_violating']:,}家")
    named = [e["name"] for e in i["enterprises"] if e["violations"]]
    if named:
        line += f"（{'、'.join(named[:10])}{'等' if len(named) > 10 else ''}）"
    return line + "。"


def _reduction_lines(doc: dict) -> list[str]:
    if not doc["reduction"]:
        return ["本期无生效的减排通知。"]
    r = doc["reduction"][-1]
    achieved = "，".join(f"{POLLUTANT_ZH[p]}{text(r['pollutants'][p]['achieved']['ratio'], 'pct')}" for p in POLLUTANTS)
    promised = "，".join(f"{POLLUTANT_ZH[p]}{text(r['pollutants'][p]['promised']['ratio'], 'pct')}" for p in POLLUTANTS)
    short = [POLLUTANT_ZH[p] for p in POLLUTANTS if not r["pollutants"][p]["ok"]]
    verdict = "各污染物均达到要求。" if not short else f"{'、'.join(short)}未达到要求。"
    violated = [f"{POLLUTANT_ZH[p]}{text(r['pollutants'][p]['violated']['cut'], 'float')}千克/日" for p in POLLUTANTS
                if r["pollutants"][p]["violated"]["cut"]]
    deducted = f"已扣除督查发现未落实措施的减排量（{'，'.join(violated)}）。" if violated else ""
    return [f"第{r['notice']}号通知按{level_zh(doc, r['level'])}要求，各污染物减排比例不低于{text(r['required'], 'pct')}。"
            f"{r['enterprises']:,}家企业中已确认{r['confirmed_enterprises']:,}家，其措施实现减排：{achieved}（清单承诺：{promised}）。"
            + deducted + verdict]


def _section(word: Document, heading: str, parts: list[Table], image: bytes | None = None,
             lines: list[str] = ()) -> None:
    word.add_heading(heading, level=1)
    for line in lines:
        _paragraph(word, line)
    if image is not None:
        word.add_picture(BytesIO(image), width=Cm(20))
        word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for table in parts:
        _table(word, table)


def _table(word: Document, table: Table) -> None:
    _paragraph(word, table.title, bold=True)
    grid = word.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    size = Pt(8 if len(table.columns) > 8 else 9)
    header, *body = grid.rows  # row by row: Table.cell(r, c) walks the whole table each time
    for cell, column in zip(header.cells, table.columns):
        _cell(cell, column.header, size, bold=True)
    for r, (row, values) in enumerate(zip(body, table.rows)):
        for c, (cell, value) in enumerate(zip(row.cells, values)):
            _cell(cell, text(value, table.kind(r, c)), size)
    if table.note:
        _paragraph(word, table.note, size=Pt(9), colour=RGBColor(0x55, 0x55, 0x55))


def _cell(cell, value: str, size, bold: bool = False) -> None:
    run = cell.paragraphs[0].add_run(value)
    run.font.size, run.bold = size, bold


def _paragraph(word: Document, value: str, *, bold: bool = False, size=None, colour=None) -> None:
    run = word.add_paragraph().add_run(value)
    run.bold = bold
    if size is not None:
        run.font.size = size
    if colour is not None:
        run.font.color.rgb = colour


def _reduction_chart(doc: dict) -> bytes | None:
    if not doc["reduction"]:
        return None
    r = doc["reduction"][-1]
    cjk = chart.fonts().cjk
    bars = [(POLLUTANT_ZH[p] if cjk else LATIN[p], r["pollutants"][p]["promised"]["ratio"],
             r["pollutants"][p]["achieved"]["ratio"]) for p in POLLUTANTS]
    title = "减排比例：清单承诺、实际与要求" if cjk else "Reduction: promised, achieved (confirmed) and required"
    return chart.reduction_chart(title, bars, r["required"])


def _town_chart(doc: dict) -> bytes | None:
    towns = doc["summary"]["by_town"]
    if not towns:
        return None
    cjk = chart.fonts().cjk
    bars = [(t["area"] if cjk else f"#{i}", share(t["confirmed"], t["enterprises"])) for i, t in enumerate(towns, 1)]
    return chart.share_chart("各乡镇街道确认率" if cjk else "Confirmed share by town (# = row of the town table)", bars)
