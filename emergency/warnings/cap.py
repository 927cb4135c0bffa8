"""Warning notices as OASIS CAP 1.2 (Common Alerting Protocol) messages.

The issue is an Alert, a change an Update and a lift a Cancel; each later notice references every
earlier one ("sender,identifier,sent"), so that a receiving system can thread them."""
from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rulesets import RuleSet
from config.settings import CapConfig
from emergency.warnings.models import Kind, Request, RequestStatus, Warning
from lists.models import Area

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MSG_TYPE = {Kind.ISSUE: "Alert", Kind.CHANGE: "Update", Kind.LIFT: "Cancel"}
TEXT = {
    "zh-CN": {"event": "重污染天气{zh}预警", "headline": "{area}发布重污染天气{zh}预警",
              "instruction": "请各相关单位和企业按照一厂一策清单{zh}预警措施执行，并通过短信链接确认。",
              "lifted": "{area}重污染天气{zh}预警解除", "lift_instruction": "预警已解除，恢复正常生产。"},
    "en-US": {"event": "Heavy air pollution {key} warning", "headline": "{area}: heavy air pollution {key} warning",
              "instruction": "Responsible units and enterprises apply their {key}-level emission-reduction measures "
                             "and confirm through the link in their notice.",
              "lifted": "{area}: heavy air pollution {key} warning lifted",
              "lift_instruction": "The warning is lifted; normal operation may resume."},
}


def cap_time(value: datetime, zone: ZoneInfo) -> str:
    # CAP 1.2 §3.3.2: no fractional seconds, an explicit offset ("-00:00" not allowed for UTC: use "+00:00").
    return value.astimezone(zone).replace(microsecond=0).isoformat()


def identifier(config: CapConfig, request: Request) -> str:
    return f"{config.sender.split('@')[-1]}.air-warning.{request.warning_id}.{request.seq}"


def notice_xml(*, session: Session, warning_id: int, seq: int | None, rules: RuleSet, config: CapConfig,
               zone: ZoneInfo) -> str:
    """The approved notice `seq` (default: the latest) of the warning as CAP XML; raises LookupError."""
    warning = session.get(Warning, warning_id)
    if warning is None:
        raise LookupError(f"there is no warning {warning_id}")
    notices = session.scalars(select(Request).where(Request.warning_id == warning_id,
                                                    Request.status == RequestStatus.APPROVED).order_by(Request.seq)).all()
    if not notices:
        raise LookupError(f"warning {warning_id} has no approved notice yet")
    chosen = [n for n in notices if seq is None or n.seq == seq]
    if not chosen:
        raise LookupError(f"warning {warning_id} has no approved notice {seq}; approved: {[n.seq for n in notices]}")
    notice = chosen[-1]
    earlier = [n for n in notices if n.seq < notice.seq]
    area = session.scalar(select(Area.name).where(Area.id == warning.area_id))
    return render(notice, earlier, rules=rules, config=config, zone=zone, area=area, drill=warning.drill)


def add(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{NS}}}{tag}").text = text


def render(notice: Request, earlier: list[Request], *, rules: RuleSet, config: CapConfig, zone: ZoneInfo,
           area: str, drill: bool = False) -> str:
    ET.register_namespace("", NS)
    alert = ET.Element(f"{{{NS}}}alert")
    for tag, text in (("identifier", identifier(config, notice)), ("sender", config.sender),
                      ("sent", cap_time(notice.decided_at, zone)), ("status", "Exercise" if drill else "Actual"),
                      ("msgType", MSG_TYPE[notice.kind]), ("scope", "Public")):
        add(alert, tag, text)
    if earlier:
        add(alert, "references", " ".join(f"{config.sender},{identifier(config, n)},{cap_time(n.decided_at, zone)}"
                                          for n in earlier))
    level = rules.level(notice.level)
    for language, words in TEXT.items():
        info = ET.SubElement(alert, f"{{{NS}}}info")
        fill = {"zh": level.zh, "key": level.key, "area": area}
        lifted = notice.kind == Kind.LIFT
        for tag, text in (
            ("language", language), ("category", "Env"), ("event", words["event"].format(**fill)),
            ("responseType", "AllClear" if lifted else "Execute"),
            ("urgency", "Immediate" if notice.start_at <= notice.decided_at or lifted else "Expected"),
            ("severity", level.cap_severity), ("certainty", "Likely"),
            ("effective", cap_time(notice.decided_at, zone)), ("onset", cap_time(notice.start_at, zone)),
            ("expires", cap_time(notice.lift_at if lifted and notice.lift_at else notice.end_at, zone)),
            ("senderName", config.sender_name),
            ("headline", words["lifted" if lifted else "headline"].format(**fill)),
            ("description", notice.reason),
            ("instruction", words["lift_instruction" if lifted else "instruction"].format(**fill)),
        ):
            add(info, tag, text)
        parameter = ET.SubElement(info, f"{{{NS}}}parameter")
        add(parameter, "valueName", "level")
        add(parameter, "value", level.key)
        add(ET.SubElement(info, f"{{{NS}}}area"), "areaDesc", area)
    ET.indent(alert)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(alert, encoding="unicode")
