"""Rendering claimed deliveries into messages: the context of a whole batch is read in a few
queries, then each message is a Jinja2 template (templates/{zh,en}/{channel}_{purpose}.j2). An SMS
renders from its purpose's parameters alone (params.py), which travel with the message for the
providers that send registered templates instead of text; the workflow names no provider.

Before rendering, each delivery is checked against the present: a reminder or call to an
enterprise that has confirmed meanwhile, anything about a warning that has ended, and escalation
steps of a superseded notice are cancelled with the reason instead."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from alerts.models import Delivery
from alerts.providers.base import Message
from config import rulesets
from config.settings import Settings
from emergency.notices import params as sms_params
from emergency.notices import tokens
from emergency.warnings.models import ActivatedDuty, ActivatedEnterprise, Activation, Kind, Recipient, Request, Status, Warning
from lists.models import Area, Enterprise, Measure, Unit
from lists.workbook import ACTIONS

TEMPLATES = Path(__file__).resolve().parent / "templates"
ESCALATION = ("reminder", "call", "town", "command")
ENDED = (Status.LIFTED, Status.EXPIRED, Status.WITHDRAWN)
ACTION_ZH = {v: k for k, v in ACTIONS.items()}
DRILL = {"zh": "【演练】", "en": "[DRILL] "}
# Sent when a warning has ended, by design: the last day's report and the post-event assessment,
# and a violation found by the last checks (inspections are recorded up to a day after the end).
AFTERWARDS = ("report", "violation")


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["zh_time"] = sms_params.zh_time
    env.filters["en_time"] = sms_params.en_time
    env.filters["action_zh"] = lambda a: ACTION_ZH.get(a, a)
    env.filters["action_en"] = lambda a: a.replace("_", " ")
    return env


ENV = environment()


@dataclass
class Context:
    """Everything a template may use."""

    kind: str  # issue, change, lift
    level: str
    level_zh: str
    level_en: str
    area: str
    start: datetime
    end: datetime
    lift_at: datetime | None
    warning_id: int
    seq: int
    name: str  # the person
    enterprise: str | None
    unit: str | None
    link: str
    path: str  # the link without the public URL: the parameter of a registered template
    params: dict[str, Any] = field(default_factory=dict)
    drill: bool = False  # every message of a drill says so first
    # When the message was queued (local): reminders name it, so that no two are identical (providers
    # refuse a third identical text to a number within 24 h).
    queued: datetime | None = None
    measures: list[Measure] = field(default_factory=list)
    duties: list[str] = field(default_factory=list)


def message(purpose: str, context: Context, *, delivery_id: int, channel: str, address: str, base: str,
            lang: str) -> Message:
    """Render one message of a purpose (for every template: subject, text and html blocks where it
    has them; an SMS from its parameters and `base`, the public URL, alone)."""
    purpose = sms_params.purpose(channel, purpose, context)
    tpl = ENV.get_template(f"{lang}/{channel}_{purpose}.j2")
    params = sms_params.sms(purpose, context, lang) if channel == "sms" else {}
    values = params | {"base": base} if channel == "sms" else vars(context) | {"lang": lang}
    ctx = tpl.new_context(values)
    block = {name: "".join(tpl.blocks[name](ctx)).strip() for name in ("subject", "html") if name in tpl.blocks}
    text = ("".join(tpl.blocks["text"](tpl.new_context(values))) if "text" in tpl.blocks else tpl.render(values)).strip()
    if context.drill:
        mark = DRILL[lang]
        text, block = mark + text, {k: (mark + v if k == "subject" else v) for k, v in block.items()}
    return Message(delivery_id=delivery_id, channel=channel, address=address, text=text, purpose=purpose, lang=lang,
                   params=params, subject=block.get("subject"), html=block.get("html"), practice=context.drill)


class Renderer:
    """The dispatch worker's render step for the workflow's deliveries."""

    def __init__(self, settings: Settings):
        self.settings, self.lang, self.tz = settings, settings.app.notify.language, settings.tz

    def __call__(self, session: Session, batch: list[Delivery]) -> dict[int, Message | str]:
        secret = tokens.key(session, self.settings)
        rows = {r.Recipient.id: r for r in _recipients(session, {d.recipient_id for d in batch})}
        latest = _latest(session, {r.Warning.id for r in rows.values()})
        emails = [d for d in batch if d.channel == "email" and d.recipient_id in rows]
        measures = _measures(session, [rows[d.recipient_id] for d in emails])
        duties = _duties(session, [rows[d.recipient_id] for d in emails])
        out: dict[int, Message | str] = {}
        for d in batch:
            row = rows.get(d.recipient_id)
            if row is None:
                out[d.id] = "its recipient is gone"
            elif (why := _moot(d, row, latest)) is not None:
                out[d.id] = why
            else:
                context = self.context(row, secret, d.params or {})
                context.queued = d.created_at.astimezone(self.tz) if d.created_at else None
                if d.channel == "email":
                    context.measures = measures.get((row.ActivatedEnterprise_version, row.Activation.level), [])
                    context.duties = duties.get((row.Activation.id, row.Recipient.unit_id), [])
                out[d.id] = message(d.purpose, context, delivery_id=d.id, channel=d.channel, address=d.address,
                                    base=self.settings.public_url, lang=self.lang)
        return out

    def context(self, row, secret: bytes, params: dict) -> Context:
        activation, warning = row.Activation, row.Warning
        level = rulesets.load(warning.rules).level(activation.level)
        local = lambda t: t.astimezone(self.tz) if t else None  # noqa: E731
        path = f"a/{tokens.make(secret, row.Recipient.id)}"
        return Context(kind=activation.kind, level=level.key, level_zh=level.zh, level_en=level.key, area=row.area,
                       start=local(activation.starts_at), end=local(activation.ends_at),
                       lift_at=local(warning.lifted_at) if activation.kind == Kind.LIFT else None,
                       warning_id=warning.id, seq=row.seq, name=row.Recipient.name, enterprise=row.enterprise,
                       unit=row.unit, link=f"{self.settings.public_url}/{path}", path=path, params=params, drill=warning.drill)


def _moot(d: Delivery, row, latest: dict[int, int]) -> str | None:
    if row.Warning.status in ENDED and row.Activation.kind != Kind.LIFT and d.purpose not in AFTERWARDS:
        return f"the warning has ended ({row.Warning.status}) before this went out"
    if d.purpose in ESCALATION and latest.get(row.Warning.id) != row.Activation.id:
        return "a later notice superseded this one"
    if d.purpose in ("reminder", "call") and row.confirmed_at is not None:
        return "the enterprise confirmed before this went out"
    return None


def _recipients(session: Session, ids: set[int]):
    return session.execute(
        select(Recipient, Activation, Warning, Area.name.label("area"), Request.seq, Enterprise.name.label("enterprise"),
               Unit.name.label("unit"), ActivatedEnterprise.confirmed_at,
               ActivatedEnterprise.list_version_id.label("ActivatedEnterprise_version"))
        .join(Activation, Activation.id == Recipient.activation_id)
        .join(Warning, Warning.id == Activation.warning_id)
        .join(Area, Area.id == Warning.area_id)
        .join(Request, Request.id == Activation.request_id)
        .outerjoin(Enterprise, Enterprise.id == Recipient.enterprise_id)
        .outerjoin(Unit, Unit.id == Recipient.unit_id)
        .outerjoin(ActivatedEnterprise, and_(ActivatedEnterprise.activation_id == Recipient.activation_id,
                                             ActivatedEnterprise.enterprise_id == Recipient.enterprise_id))
        .where(Recipient.id.in_(ids))).all()


def _latest(session: Session, warning_ids: set[int]) -> dict[int, int]:
    return dict(session.execute(select(Activation.warning_id, func.max(Activation.id))
                                .where(Activation.warning_id.in_(warning_ids)).group_by(Activation.warning_id)).all())


def _measures(session: Session, rows) -> dict[tuple[int, str], list[Measure]]:
    versions = {r.ActivatedEnterprise_version for r in rows if r.ActivatedEnterprise_version is not None}
    found: dict[tuple[int, str], list[Measure]] = defaultdict(list)
    if versions:
        for m in session.scalars(select(Measure).where(Measure.list_version_id.in_(versions))
                                 .order_by(Measure.list_version_id, Measure.level, Measure.position)):
            found[(m.list_version_id, m.level)].append(m)
    return found


def _duties(session: Session, rows) -> dict[tuple[int, int], list[str]]:
    pairs = {(r.Activation.id, r.Recipient.unit_id) for r in rows if r.Recipient.unit_id is not None}
    found: dict[tuple[int, int], list[str]] = defaultdict(list)
    if pairs:
        activation_ids = {a for a, _ in pairs}
        for duty in session.scalars(select(ActivatedDuty).where(ActivatedDuty.activation_id.in_(activation_ids))
                                    .order_by(ActivatedDuty.position)):
            if (duty.activation_id, duty.unit_id) in pairs:
                found[(duty.activation_id, duty.unit_id)].append(duty.duty)
    return found
