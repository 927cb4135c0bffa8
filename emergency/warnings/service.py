"""The warning lifecycle: draft, change and lift requests, sign-off by a second person, activation,
and the passage of time (start, end, lift). Each function works inside the caller's transaction
and either completes or raises Refused having changed nothing; every transition writes the event log."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.permissions import Action, Actor, Forbidden
from areas import service as areas
from config.events import EventKind, record
from config.rulesets import RuleSet
from config.settings import AppConfig
from emergency.forecasts.service import NoForecast, assess_area
from emergency.notices import schedule
from emergency.warnings.activation import activate
from emergency.warnings.models import OPEN, Activation, Kind, Request, RequestStatus, Status, Warning, status_at
from lists import service as lists_service
from lists.models import Area, Contact, Enterprise, Unit

SYSTEM = "system"
STATUS_ZH = {Status.DRAFT: "待审批", Status.SCHEDULED: "已批准待生效", Status.ACTIVE: "生效中", Status.LIFTED: "已解除",
             Status.EXPIRED: "已到期", Status.WITHDRAWN: "已退回"}
KIND_ZH = {Kind.ISSUE: "发布", Kind.CHANGE: "变更", Kind.LIFT: "解除"}
POLLUTANT_ZH = {"so2": "二氧化硫", "nox": "氮氧化物", "pm": "颗粒物", "vocs": "挥发性有机物"}
LIFT_GRACE = timedelta(minutes=10)  # a lift "now" typed a few minutes ago is still now
BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))


class Refused(Exception):
    """The request conflicts with the current state (409); nothing was changed. Says why in Chinese
    and English; `code` names the reason for programs."""

    def __init__(self, zh: str, en: str, code: str = "conflict", field: str | None = None):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.code, self.field = zh, en, code, field


class Invalid(Refused):
    """A field of the request is invalid (422); `field` names it."""


class NotFound(Refused):
    """No such warning, or not in the user's area (404)."""


def draft(*, session: Session, rules: RuleSet, config: AppConfig, area: str, level: str, start: datetime,
          end: datetime, reason: str, actor: Actor, now: datetime, drill: bool = False) -> Request:
    """A new warning in draft, with its issue request pending approval. Raises Refused, Forbidden.

    A drill (演练) goes through the same sign-off and activation; it neither blocks nor is blocked
    by a real warning for the same area (only another drill)."""
    actor.require(Action.DRAFT)
    advance(session=session, now=now)
    key = level_key(rules, level)
    place = find_area(session, area, actor)
    check_window(start, end, now)
    lock_tree(session, place)
    existing = session.scalars(select(Warning).where(Warning.status.in_(OPEN), Warning.drill.is_(drill),
                                                     Warning.area_id.in_(areas.overlapping(session, place)))).first()
    if existing is not None:
        what = ("演练", "drill") if drill else ("预警", "warning")
        there = session.scalar(select(Area.name).where(Area.id == existing.area_id))
        raise Refused(f"{there} 已有{what[0]} #{existing.id}（{STATUS_ZH.get(existing.status, existing.status)}），"
                      f"与 {place.name} 重叠：请变更或解除该{what[0]}",
                      f"{there} is already under {what[1]} {existing.id} ({existing.status}), which overlaps "
                      f"{place.name}: change or lift that one", code="area_under_warning")
    warning = Warning(area_id=place.id, rules=rules.name, level=key, status=Status.DRAFT, start_at=start, end_at=end,
                      created_by=actor.username, created_at=now, drill=drill)
    session.add(warning)
    session.flush()
    request = new_request(session, warning, Kind.ISSUE, level=key, end=end, reason=reason, actor=actor, now=now)
    request.adequacy = adequacy(session, rules, config, key, place)
    request.evidence = evidence(session, rules, place)
    session.flush()
    log(session, EventKind.WARNING_DRAFTED, actor, warning, request, now, before=None, after=Status.DRAFT, drill=drill)
    session.flush()
    return request


def request_change(*, session: Session, rules: RuleSet, config: AppConfig, warning_id: int, level: str | None,
                   end: datetime | None, reason: str, actor: Actor, now: datetime) -> Request:
    """An upgrade, downgrade and/or extension (or shortening) awaiting approval. Raises Refused, Forbidden."""
    actor.require(Action.REQUEST_CHANGE)
    advance(session=session, now=now)
    warning = changeable(session, warning_id, actor, "变更", "changed")
    key = level_key(rules, level) if level else warning.level
    new_end = end or warning.end_at
    if key == warning.level and new_end == warning.end_at:
        raise Invalid("级别和结束时间都没有变化", "neither the level nor the end changes", code="no_change", field="level")
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


def request_lift(*, session: Session, warning_id: int, at: datetime, reason: str, actor: Actor, now: datetime) -> Request:
    """Lifting at `at` (now or later), awaiting approval. Raises Refused, Forbidden."""
    actor.require(Action.REQUEST_LIFT)
    advance(session=session, now=now)
    warning = changeable(session, warning_id, actor, "解除", "lifted")
    if at < now - LIFT_GRACE:
        raise Invalid("解除时间已经过去：请填写现在或以后的时间", f"the lift time ({at.isoformat()}) has passed: "
                      "give now or a later time", code="lift_in_past", field="at")
    if at >= warning.end_at:
        raise Invalid(f"解除时间不早于结束时间 {warning.end_at:%Y-%m-%d %H:%M} UTC，预警届时自动结束",
                      f"the lift time is not before the end ({warning.end_at.isoformat()}): the warning ends then anyway",
                      code="lift_after_end", field="at")
    request = new_request(session, warning, Kind.LIFT, level=warning.level, end=warning.end_at, reason=reason,
                          actor=actor, now=now)
    request.lift_at = at
    session.flush()
    log(session, EventKind.WARNING_LIFT_REQUESTED, actor, warning, request, now, before=warning.status,
        after=warning.status, lift_at=request.lift_at.isoformat())
    session.flush()
    return request


def approve(*, session: Session, rules: RuleSet, config: AppConfig, warning_id: int, actor: Actor, now: datetime,
            override_reason: str | None = None) -> Activation:
    """Sign off the pending request of the warning and activate it. Raises Refused, Forbidden."""
    actor.require(Action.APPROVE)
    advance(session=session, now=now)
    warning = get(session, warning_id, actor)
    request = pending(session, warning)
    if request is None:
        raise Refused(f"预警 #{warning_id} 没有待审批的申请", f"warning {warning_id} has no request awaiting approval",
                      code="nothing_to_approve")
    if same_person(actor, request):
        raise Refused("审批人不能是申请人本人，请由另一位负责人审批",
                      f"{actor.username} asked for this; another person must approve it", code="own_request")
    if request.end_at <= now:
        raise Refused("该申请的结束时间已过，请撤回后重新起草", "its end has passed: withdraw it and draft again",
                      code="request_expired")
    if request.kind != Kind.LIFT:
        request.adequacy = adequacy(session, rules, config, request.level, session.get(Area, warning.area_id))
        if not request.adequacy["ok"] and not (override_reason or "").strip():
            missed = [(p, v) for p, v in request.adequacy["pollutants"].items() if not v["ok"]]
            ratio = lambda v: "—" if v["ratio"] is None else f"{v['ratio']:.1%}"  # noqa: E731
            zh = "，".join(f"{POLLUTANT_ZH.get(p, p)} {ratio(v)}（要求 {v['required']:.0%}）" for p, v in missed)
            en = ", ".join(f"{p} {ratio(v)} (required {v['required']:.0%})" for p, v in missed)
            raise Refused(f"清单减排比例未达要求：{zh}。如仍要批准，请填写批准理由",
                          f"the lists miss the required ratio: {en}; to approve anyway, give a reason",
                          code="inadequate_lists")
    before = warning.status
    previous = session.scalars(select(Activation).where(Activation.warning_id == warning.id)
                               .order_by(Activation.id.desc()).limit(1)).first()
    request.status, request.decided_at = RequestStatus.APPROVED, now
    request.decided_by, request.decided_by_id = actor.username, actor.user_id
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


def withdraw(*, session: Session, warning_id: int, reason: str, actor: Actor, now: datetime) -> Request:
    """Withdraw (one's own request) or reject (a commander) the pending request; a withdrawn draft
    ends the warning. Raises Refused, Forbidden."""
    if not (actor.may(Action.APPROVE) or actor.may(Action.WITHDRAW_OWN)):
        actor.require(Action.APPROVE)
    advance(session=session, now=now)
    warning = get(session, warning_id, actor)
    request = pending(session, warning)
    if request is None:
        raise Refused(f"预警 #{warning_id} 没有待审批的申请", f"warning {warning_id} has no request awaiting approval",
                      code="nothing_to_withdraw")
    if not actor.may(Action.APPROVE) and not same_person(actor, request):
        raise Forbidden(f"只能撤回本人提出的申请（该申请由 {request.requested_by} 提出）",
                        f"only your own requests can be withdrawn; {request.requested_by} asked for this one")
    if not reason.strip():
        raise Invalid("请说明理由", "give a reason", code="reason_required", field="reason")
    before = warning.status
    request.status, request.decided_at = RequestStatus.WITHDRAWN, now
    request.decided_by, request.decided_by_id = actor.username, actor.user_id
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
        raise Invalid(f"规则集 {rules.name} 没有级别 {level!r}（可用：{', '.join(rules.keys)}）",
                      f"rule set {rules.name} has no level {level!r}; use one of: {', '.join(rules.keys)}",
                      code="unknown_level", field="level") from None


def find_area(session: Session, name: str, actor: Actor) -> Area:
    """The area named, if it lies within the actor's area; an area outside it is unknown to them."""
    try:
        place = lists_service.find_area(session, name)
    except lists_service.AmbiguousArea as exc:
        raise Invalid(f"区域名称 {name!r} 不唯一，请写明上级区域", str(exc), code="ambiguous_area", field="area") from None
    except lists_service.UnknownArea as exc:
        raise Invalid(f"未知区域 {name!r}", str(exc), code="unknown_area", field="area") from None
    if not actor.covers(place.path):
        raise Invalid(f"未知区域 {name!r}", f"unknown area {name!r} (outside your area)", code="unknown_area", field="area")
    return place


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise Invalid("结束时间必须晚于开始时间", f"the end ({end.isoformat()}) must be after the start ({start.isoformat()})",
                      code="end_before_start", field="end")
    if end <= now:
        raise Invalid("结束时间已经过去", f"the end ({end.isoformat()}) has already passed", code="end_passed", field="end")


def lock_tree(session: Session, place: Area) -> None:
    """Serialise drafts that could overlap: lock the root of the area's tree (PostgreSQL row lock;
    SQLite has one writer anyway). Two drafts anywhere under one root wait for each other."""
    session.execute(select(Area.id).where(Area.id == place.lineage[0]).with_for_update()).all()


def get(session: Session, warning_id: int, actor: Actor) -> Warning:
    """The warning, locked; NotFound when there is none or it lies outside the actor's area."""
    warning = session.get(Warning, warning_id, with_for_update=True)
    if warning is None or not visible(session, warning, actor):
        raise NotFound(f"没有编号为 {warning_id} 的预警", f"there is no warning {warning_id}", code="not_found")
    return warning


def visible(session: Session, warning: Warning, actor: Actor) -> bool:
    if actor.area_path is None:
        return True
    return actor.sees_warning(session.scalar(select(Area.path).where(Area.id == warning.area_id)) or "")


def same_person(actor: Actor, request: Request) -> bool:
    if actor.user_id is not None and request.requested_by_id is not None:
        return actor.user_id == request.requested_by_id
    return actor.username.strip().lower() == request.requested_by.strip().lower()


def changeable(session: Session, warning_id: int, actor: Actor, zh_verb: str, verb: str) -> Warning:
    warning = get(session, warning_id, actor)
    if warning.status not in (Status.SCHEDULED, Status.ACTIVE):
        raise Refused(f"预警 #{warning_id} 状态为 {warning.status}，不能{zh_verb}",
                      f"warning {warning_id} is {warning.status}: only a scheduled or active warning can be {verb}",
                      code="not_open")
    if (request := pending(session, warning)) is not None:
        raise Refused(f"预警 #{warning_id} 已有待审批的{KIND_ZH.get(request.kind, request.kind)}申请，请先审批或撤回",
                      f"warning {warning_id} already has a pending {request.kind} request: approve or withdraw it first",
                      code="request_pending")
    if warning.lifted_at is not None:  # a lift approved for later: its notice is out, nothing may follow it
        raise Refused(f"预警 #{warning_id} 已批准于 {warning.lifted_at:%Y-%m-%d %H:%M}（UTC）解除，不能再{zh_verb}",
                      f"warning {warning_id} is to be lifted at {warning.lifted_at.isoformat()}: it cannot be {verb}",
                      code="lift_approved")
    return warning


def pending(session: Session, warning: Warning) -> Request | None:
    return session.scalars(select(Request).where(Request.warning_id == warning.id,
                                                 Request.status == RequestStatus.PENDING)).first()


def new_request(session: Session, warning: Warning, kind: Kind, *, level: str, end: datetime, reason: str, actor: Actor,
                now: datetime) -> Request:
    reason = reason.translate(BIDI)  # direction overrides would flip the text in every SMS and CAP notice
    if not reason.strip():
        raise Invalid("请说明理由", "give a reason", code="reason_required", field="reason")
    seq = (session.scalar(select(func.max(Request.seq)).where(Request.warning_id == warning.id)) or 0) + 1
    request = Request(warning_id=warning.id, seq=seq, kind=kind, status=RequestStatus.PENDING, level=level,
                      start_at=warning.start_at, end_at=end, reason=reason.strip(), requested_by=actor.username,
                      requested_by_id=actor.user_id, requested_at=now)
    session.add(request)
    return request


def adequacy(session: Session, rules: RuleSet, config: AppConfig, level: str, place: Area) -> dict:
    return lists_service.adequacy(session=session, rules=rules, config=config, level=level, area=place).to_json()


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


def log(session: Session, kind: EventKind, actor: Actor | str, warning: Warning, request: Request | None, now: datetime, *,
        before: str | None, after: str, **detail) -> None:
    data = {"from": before, "to": after, "level": warning.level, "area_id": warning.area_id}
    if request is not None:
        data |= {"request": request.id, "kind": request.kind, "requested_level": request.level,
                 "end": request.end_at.isoformat(), "reason": request.reason}
        if request.evidence is not None:
            data["evidence"] = {k: request.evidence.get(k) for k in ("level", "rule", "forecast_import", "trigger_days")}
    record(session, kind=kind, actor=actor, subject_type="warning", subject_id=warning.id, detail=data | detail, at=now)


def preview(*, session: Session, rules: RuleSet, config: AppConfig, area: str, level: str, actor: Actor) -> dict:
    """What a draft at this level for this area would be checked against and whom it would reach:
    the adequacy check, the enterprises, their contacts and the units concerned, and the messages per
    channel. Read-only; the area must lie in the actor's scope (Invalid otherwise)."""
    key = level_key(rules, level)
    place = find_area(session, area, actor)
    enterprises = select(Enterprise.id).where(Enterprise.current_version_id.is_not(None),
                                              lists_service.area_filter(session, place))
    contacts = session.execute(select(func.count(), func.count(Contact.mobile), func.count(Contact.email))
                               .where(Contact.enterprise_id.in_(enterprises))).one()
    units = session.execute(select(func.count(), func.count(Unit.mobile), func.count(Unit.email))
                            .where(Unit.area_id.in_(areas.concerned_units_areas(session, place)))).one()
    address = {"sms": 1, "voice": 1, "email": 2}
    messages = {}
    for who, channels in config.notify.channels.items():
        row = contacts if who == "enterprise" else units
        for channel in channels:
            messages[channel] = messages.get(channel, 0) + row[address[channel]]
    return {"area": place.name, "area_id": place.id, "level": key, "adequacy": adequacy(session, rules, config, key, place),
            "enterprises": session.scalar(select(func.count()).select_from(enterprises.subquery())),
            "contacts": contacts[0], "units": units[0], "messages": messages, "evidence": evidence(session, rules, place)}
