"""The warning lifecycle: draft, change and lift requests, sign-off by a second person, activation,
and the passage of time (start, end, lift). Each function works inside the caller's transaction
and either completes or raises Refused having changed nothing; every transition writes the event log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.events import EventKind, record
from config.rulesets import RuleSet
from config.settings import AppConfig
from emergency.forecasts.service import NoForecast, assess_area
from emergency.notices import schedule
from emergency.warnings.activation import activate, area_ids
from emergency.warnings.models import OPEN, Activation, Kind, Request, RequestStatus, Status, Warning
from lists import service as lists_service
from lists.models import Area

SYSTEM = "system"


class Refused(Exception):
    """The request cannot be carried out; nothing was changed. Says why in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def draft(*, session: Session, rules: RuleSet, config: AppConfig, area: str, level: str, start: datetime,
          end: datetime, reason: str, actor: str, now: datetime) -> Request:
    """A new warning in draft, with its issue request pending approval. Raises Refused."""
    advance(session=session, now=now)
    key = level_key(rules, level)
    place = find_area(session, area)
    check_window(start, end, now)
    lock_district(session, place)
    existing = session.scalars(select(Warning).where(Warning.status.in_(OPEN),
                                                     Warning.area_id.in_(area_ids(session, place.id)))).first()
    if existing is not None:
        raise Refused(f"{area} 已有预警 #{existing.id}（{existing.status}），请变更或解除该预警",
                      f"{area} is already under warning {existing.id} ({existing.status}): change or lift that one")
    warning = Warning(area_id=place.id, rules=rules.name, level=key, status=Status.DRAFT, start_at=start, end_at=end,
                      created_by=actor, created_at=now)
    session.add(warning)
    session.flush()
    request = new_request(session, warning, Kind.ISSUE, level=key, end=end, reason=reason, actor=actor, now=now)
    request.adequacy = adequacy(session, rules, config, key, place)
    request.evidence = evidence(session, rules, place)
    session.flush()
    log(session, EventKind.WARNING_DRAFTED, actor, warning, request, now, before=None, after=Status.DRAFT)
    session.flush()
    return request


def request_change(*, session: Session, rules: RuleSet, config: AppConfig, warning_id: int, level: str | None,
                   end: datetime | None, reason: str, actor: str, now: datetime) -> Request:
    """An upgrade, downgrade and/or extension (or shortening) awaiting approval. Raises Refused."""
    advance(session=session, now=now)
    warning = changeable(session, warning_id, "变更", "changed")
    key = level_key(rules, level) if level else warning.level
    new_end = end or warning.end_at
    if key == warning.level and new_end == warning.end_at:
        raise Refused("级别和结束时间都没有变化", "neither the level nor the end changes")
    check_window(warning.start_at, new_end, now)
    request = new_request(session, warning, Kind.CHANGE, level=key, end=new_end, reason=reason, actor=actor, now=now)
    place = session.get(Area, warning.area_id)
    request.adequacy = adequacy(session, rules, config, key, place)
    request.evidence = evidence(session, rules, place)
    session.flush()
    log(session, EventKind.WARNING_CHANGE_REQUESTED, actor, warning, request, now, before=warning.status,
        after=warning.status, from_level=warning.level, from_end=warning.end_at.isoformat())
    session.flush()
    return request


def request_lift(*, session: Session, warning_id: int, at: datetime, reason: str, actor: str, now: datetime) -> Request:
    """Lifting at `at` (now or later), awaiting approval. Raises Refused."""
    advance(session=session, now=now)
    warning = changeable(session, warning_id, "解除", "lifted")
    if at >= warning.end_at:
        raise Refused(f"解除时间不早于结束时间 {warning.end_at:%Y-%m-%d %H:%M} UTC，预警届时自动结束",
                      f"the lift time is not before the end ({warning.end_at.isoformat()}): the warning ends then anyway")
    request = new_request(session, warning, Kind.LIFT, level=warning.level, end=warning.end_at, reason=reason,
                          actor=actor, now=now)
    request.lift_at = at
    session.flush()
    log(session, EventKind.WARNING_LIFT_REQUESTED, actor, warning, request, now, before=warning.status,
        after=warning.status, lift_at=request.lift_at.isoformat())
    session.flush()
    return request


def approve(*, session: Session, rules: RuleSet, config: AppConfig, warning_id: int, actor: str, now: datetime,
            override_reason: str | None = None) -> Activation:
    """Sign off the pending request of the warning and activate it. Raises Refused."""
    advance(session=session, now=now)
    warning = get(session, warning_id)
    request = pending(session, warning)
    if request is None:
        raise Refused(f"预警 #{warning_id} 没有待审批的申请", f"warning {warning_id} has no request awaiting approval")
    if actor.strip().lower() == request.requested_by.strip().lower():
        raise Refused("审批人不能是申请人本人，请由另一位负责人审批",
                      f"{actor} asked for this; another person must approve it")
    if request.end_at <= now:
        raise Refused("该申请的结束时间已过，请撤回后重新起草", "its end has passed: withdraw it and draft again")
    if request.kind != Kind.LIFT:
        request.adequacy = adequacy(session, rules, config, request.level, session.get(Area, warning.area_id))
        if not request.adequacy["ok"] and not (override_reason or "").strip():
            short = ", ".join(f"{p} {v['ratio'] if v['ratio'] is not None else '—'}<{v['required']}"
                              for p, v in request.adequacy["pollutants"].items() if not v["ok"])
            raise Refused(f"清单减排比例未达要求（{short}），如仍要批准请说明理由（--reason）",
                          f"the lists miss the required ratio ({short}); to approve anyway, give a reason (--reason)")
    before = warning.status
    previous = session.scalars(select(Activation).where(Activation.warning_id == warning.id)
                               .order_by(Activation.id.desc()).limit(1)).first()
    request.status, request.decided_by, request.decided_at = RequestStatus.APPROVED, actor, now
    request.override_reason = (override_reason or "").strip() or None
    apply(warning, request, now)
    session.flush()
    activation = activate(session=session, warning=warning, request=request, previous=previous, now=now)
    schedule.notice(session, activation=activation, config=config, now=now)
    log(session, EventKind.WARNING_APPROVED, actor, warning, request, now, before=before, after=warning.status,
        activation=activation.id, enterprises=activation.enterprises, changed=activation.changed,
        recipients=activation.recipients, override_reason=request.override_reason)
    session.flush()
    return activation


def withdraw(*, session: Session, warning_id: int, reason: str, actor: str, now: datetime) -> Request:
    """Withdraw (or, by the approver, reject) the pending request; a withdrawn draft ends the warning."""
    advance(session=session, now=now)
    warning = get(session, warning_id)
    request = pending(session, warning)
    if request is None:
        raise Refused(f"预警 #{warning_id} 没有待审批的申请", f"warning {warning_id} has no request awaiting approval")
    before = warning.status
    request.status, request.decided_by, request.decided_at = RequestStatus.WITHDRAWN, actor, now
    if request.kind == Kind.ISSUE:
        warning.status = Status.WITHDRAWN
    log(session, EventKind.WARNING_REQUEST_WITHDRAWN, actor, warning, request, now, before=before,
        after=warning.status, withdraw_reason=reason)
    session.flush()
    return request


def advance(*, session: Session, now: datetime) -> list[tuple[Warning, str, str]]:
    """Bring approved warnings up to `now`: start, expire, lift when the time has come (idempotent).

    Pending requests of a warning that has ended are withdrawn. Returns (warning, from, to) per change."""
    moved = []
    for warning in session.scalars(select(Warning).where(Warning.status.in_((Status.SCHEDULED, Status.ACTIVE)))
                                   .with_for_update()):
        target = status_at(warning, now)
        if target == warning.status:
            continue
        before, warning.status = warning.status, target
        kind = {Status.ACTIVE: EventKind.WARNING_STARTED, Status.EXPIRED: EventKind.WARNING_EXPIRED,
                Status.LIFTED: EventKind.WARNING_LIFTED}[target]
        log(session, kind, SYSTEM, warning, None, now, before=before, after=target)
        if target in (Status.EXPIRED, Status.LIFTED) and (request := pending(session, warning)) is not None:
            request.status, request.decided_by, request.decided_at = RequestStatus.WITHDRAWN, SYSTEM, now
            log(session, EventKind.WARNING_REQUEST_WITHDRAWN, SYSTEM, warning, request, now, before=target,
                after=target, withdraw_reason=f"the warning is {target}")
        moved.append((warning, before, target))
    session.flush()
    return moved


def status_at(warning: Warning, now: datetime) -> str:
    if warning.lifted_at is not None and warning.lifted_at <= now:
        return Status.LIFTED
    if warning.end_at <= now:
        return Status.EXPIRED
    return Status.ACTIVE if warning.start_at <= now else Status.SCHEDULED


def apply(warning: Warning, request: Request, now: datetime) -> None:
    if request.kind == Kind.CHANGE:
        warning.level, warning.end_at = request.level, request.end_at
    elif request.kind == Kind.LIFT:
        # Never before the sign-off: until then the warning was in force.
        warning.lifted_at = max(request.lift_at, now)
    warning.status = status_at(warning, now)


# -- helpers -------------------------------------------------------------------------------------

def level_key(rules: RuleSet, level: str) -> str:
    try:
        return rules.level(level).key
    except KeyError:
        raise Refused(f"规则集 {rules.name} 没有级别 {level!r}（可用：{', '.join(rules.keys)}）",
                      f"rule set {rules.name} has no level {level!r}; use one of: {', '.join(rules.keys)}") from None


def find_area(session: Session, name: str) -> Area:
    try:
        return lists_service.find_area(session, name)
    except lists_service.UnknownArea as exc:
        raise Refused(f"未知区域 {name!r}", str(exc)) from None


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise Refused("结束时间必须晚于开始时间", f"the end ({end.isoformat()}) must be after the start ({start.isoformat()})")
    if end <= now:
        raise Refused("结束时间已经过去", f"the end ({end.isoformat()}) has already passed")


def lock_district(session: Session, place: Area) -> None:
    """Serialise drafts for one district (PostgreSQL row lock; SQLite has one writer anyway)."""
    session.execute(select(Area.id).where(Area.id == (place.parent_id or place.id)).with_for_update()).all()


def get(session: Session, warning_id: int) -> Warning:
    warning = session.get(Warning, warning_id, with_for_update=True)
    if warning is None:
        raise Refused(f"没有编号为 {warning_id} 的预警", f"there is no warning {warning_id}")
    return warning


def changeable(session: Session, warning_id: int, zh_verb: str, verb: str) -> Warning:
    warning = get(session, warning_id)
    if warning.status not in (Status.SCHEDULED, Status.ACTIVE):
        raise Refused(f"预警 #{warning_id} 状态为 {warning.status}，不能{zh_verb}",
                      f"warning {warning_id} is {warning.status}: only a scheduled or active warning can be {verb}")
    if (request := pending(session, warning)) is not None:
        raise Refused(f"预警 #{warning_id} 已有待审批的{request.kind}申请，请先审批或撤回",
                      f"warning {warning_id} already has a pending {request.kind} request: approve or withdraw it first")
    return warning


def pending(session: Session, warning: Warning) -> Request | None:
    return session.scalars(select(Request).where(Request.warning_id == warning.id,
                                                 Request.status == RequestStatus.PENDING)).first()


def new_request(session: Session, warning: Warning, kind: Kind, *, level: str, end: datetime, reason: str, actor: str,
                now: datetime) -> Request:
    if not reason.strip():
        raise Refused("请说明理由", "give a reason")
    seq = (session.scalar(select(func.max(Request.seq)).where(Request.warning_id == warning.id)) or 0) + 1
    request = Request(warning_id=warning.id, seq=seq, kind=kind, status=RequestStatus.PENDING, level=level,
                      start_at=warning.start_at, end_at=end, reason=reason.strip(), requested_by=actor, requested_at=now)
    session.add(request)
    return request


def adequacy(session: Session, rules: RuleSet, config: AppConfig, level: str, place: Area) -> dict:
    return lists_service.adequacy(session=session, rules=rules, config=config, level=level, area=place.name).to_json()


def evidence(session: Session, rules: RuleSet, place: Area) -> dict:
    """The latest forecast for the area (or its district) and what the rule set makes of it."""
    for area in (place, session.get(Area, place.parent_id) if place.parent_id else None):
        if area is None:
            continue
        try:
            return assess_area(session, rules, area).to_json()
        except NoForecast:
            continue
    return {"area": place.name, "level": None, "rule": None, "days": [], "note": "no forecast stored"}


def log(session: Session, kind: EventKind, actor: str, warning: Warning, request: Request | None, now: datetime, *,
        before: str | None, after: str, **detail) -> None:
    data = {"from": before, "to": after, "level": warning.level, "area_id": warning.area_id}
    if request is not None:
        data |= {"request": request.id, "kind": request.kind, "requested_level": request.level,
                 "end": request.end_at.isoformat(), "reason": request.reason}
        if request.evidence is not None:
            data["evidence"] = {k: request.evidence.get(k) for k in ("level", "rule", "forecast_import", "trigger_days")}
    record(session, kind=kind, actor=actor, subject_type="warning", subject_id=warning.id, detail=data | detail, at=now)
