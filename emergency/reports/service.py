"""The reports as documents (dicts): the daily report of one local day of a warning, and the
post-event assessment (总结评估) of the whole warning. xlsx, docx, the API, the console and the
command line all render these same documents.

The standing figures (reach, receipt, confirmation, units, times, the reduction) are as of when the
report is made — the command center's summary (emergency.dashboard.service), so that a report and
the board agree —, and the daily report adds what happened within its day: notices that went out,
receipts and confirmations, escalations, inspections. The inspections section is of the visits
within the period (the daily report's day; the whole warning, with the last checks after its end,
for the assessment), naming each enterprise visited with its violations and the measures found not
in place; the reduction subtracts the violated measures found by every inspection of the warning
(emergency.reports.reduction). A drill's report says so in its title and in `drill`; every report
is of one warning, so a drill's figures and inspections never mix with a real warning's."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from areas.service import subtree
from config import rulesets
from config.events import Event, EventKind
from config.settings import AppConfig
from emergency.dashboard import service as dashboard
from emergency.inspections.models import Finding, Inspection, Result
from emergency.reports.reduction import reduction
from emergency.warnings.documents import shown_status, when
from emergency.warnings.models import ActivatedEnterprise, ActivatedUnit, Activation, Kind, Request, Warning
from emergency.warnings.service import Invalid, Refused
from lists.models import Area, Enterprise, Measure, Unit
from lists.service import in_area

DRILL_MARK = "【演练】"
NAMES = {"daily": "日报", "assessment": "总结评估报告"}


@dataclass(frozen=True)
class Period:
    """What a report covers: [start, end)."""

    kind: str
    start: datetime
    end: datetime
    day: date | None = None


def days(session: Session, warning: Warning, zone: ZoneInfo, now: datetime) -> list[date]:
    """The local days a daily report can cover: from the first approval to the end (or today)."""
    first = session.scalar(select(func.min(Activation.created_at)).where(Activation.warning_id == warning.id))
    if first is None:
        return []
    last = max(first, min(now, warning.lifted_at or warning.end_at) - timedelta(microseconds=1))
    start, stop = first.astimezone(zone).date(), last.astimezone(zone).date()
    return [start + timedelta(days=i) for i in range((stop - start).days + 1)]


def daily_period(session: Session, warning: Warning, zone: ZoneInfo, now: datetime, day: date | None) -> Period:
    """The day asked for, or yesterday (the nearest day of the warning when yesterday is not one).
    Raises Refused before any approval, Invalid for a day outside the warning."""
    covered = _covered(session, warning, zone, now)
    if day is None:
        yesterday = now.astimezone(zone).date() - timedelta(days=1)
        day = min(max(yesterday, covered[0]), covered[-1])
    elif not covered[0] <= day <= covered[-1]:
        raise Invalid(f"{day} 不在预警期间（{covered[0]} 至 {covered[-1]}）",
                      f"{day} is outside the warning ({covered[0]} to {covered[-1]})", code="date_out_of_range",
                      field="date")
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    return Period("daily", start, end, day)


def assessment_period(session: Session, warning: Warning, zone: ZoneInfo, now: datetime) -> Period:
    _covered(session, warning, zone, now)
    first = session.scalar(select(func.min(Activation.created_at)).where(Activation.warning_id == warning.id))
    return Period("assessment", first, max(first, min(now, warning.lifted_at or warning.end_at)))


def _covered(session: Session, warning: Warning, zone: ZoneInfo, now: datetime) -> list[date]:
    covered = days(session, warning, zone, now)
    if not covered:
        raise Refused("该预警尚未批准发布，没有报告", "the warning has not been approved: there is no report yet",
                      code="no_report")
    return covered


def report(*, session: Session, warning: Warning, actor: Actor, config: AppConfig, zone: ZoneInfo, now: datetime,
           kind: str, day: date | None = None) -> dict:
    """The daily report (of `day`, default yesterday) or the assessment. Raises Refused, Invalid."""
    period = (daily_period(session, warning, zone, now, day) if kind == "daily"
              else assessment_period(session, warning, zone, now))
    activations = list(session.scalars(select(Activation).where(Activation.warning_id == warning.id)
                                       .order_by(Activation.id)))
    place, scope = _place(session, warning, actor)
    ended = shown_status(warning, now) not in ("scheduled", "active")
    measures = dashboard.latest_activation(session, warning)  # after a lift, the notice in force until then
    seqs = dict(session.execute(select(Activation.id, Request.seq).join(Request, Request.id == Activation.request_id)
                                .where(Activation.warning_id == warning.id)).all())
    return {
        "report": kind, "drill": warning.drill, "title": title(session, warning, period),
        # the day is over; the warning has ended (an assessment to send upward)
        "final": period.end <= now if kind == "daily" else ended,
        "generated_at": when(now, zone),
        "period": {"date": period.day.isoformat() if period.day else None, "from": when(period.start, zone),
                   "to": when(period.end, zone)},
        "warning": _warning(session, warning, zone, now),
        "notices": _notices(session, warning, period, zone),
        "summary": dashboard.summary(session, warning, actor, zone, now),
        "in_period": _in_period(session, measures, period, scope),
        "units": _units(session, measures, actor, zone),
        "inspections": _inspections(session, warning, period, scope, zone),
        "escalations": _escalations(session, warning, seqs, period, zone),
        "reduction": [{"notice": seqs[a.id], **reduction(session, a, rules=warning.rules, config=config, place=place,
                                                         scope=scope)}
                      for a in _in_force(activations, period)],
    }


def title(session: Session, warning: Warning, period: Period) -> str:
    area = session.scalar(select(Area.name).where(Area.id == warning.area_id))
    level = rulesets.load(warning.rules).level(warning.level).zh
    what = f"{NAMES['daily']}（{period.day.isoformat()}）" if period.kind == "daily" else NAMES["assessment"]
    return f"{DRILL_MARK if warning.drill else ''}{area}{level}预警（#{warning.id}）{what}"


def _place(session: Session, warning: Warning, actor: Actor) -> tuple[Area, str | None]:
    """The area the report is of (the warning's, or the actor's when it lies inside it) and the path
    to keep the enterprises to (None: the whole warning)."""
    area = session.get(Area, warning.area_id)
    if actor.area_path is None or actor.area_path == area.path or not actor.area_path.startswith(area.path):
        return area, None
    return session.scalars(select(Area).where(Area.path == actor.area_path)).one(), actor.area_path


def _warning(session: Session, warning: Warning, zone: ZoneInfo, now: datetime) -> dict:
    level = rulesets.load(warning.rules).level(warning.level)
    return {"id": warning.id, "area": session.scalar(select(Area.name).where(Area.id == warning.area_id)),
            "level": warning.level, "level_zh": level.zh, "status": shown_status(warning, now), "drill": warning.drill,
            "rules": warning.rules, "start": when(warning.start_at, zone), "end": when(warning.end_at, zone),
            "lifted_at": when(warning.lifted_at, zone)}


def _notices(session: Session, warning: Warning, period: Period, zone: ZoneInfo) -> list[dict]:
    """The approved notices, each marked when it went out within the period."""
    rows = session.execute(select(Request, Activation).join(Activation, Activation.request_id == Request.id)
                           .where(Request.warning_id == warning.id).order_by(Request.seq)).all()
    return [{"seq": r.seq, "kind": r.kind, "level": r.level, "start": when(r.start_at, zone), "end": when(r.end_at, zone),
             "lift_at": when(r.lift_at, zone), "reason": r.reason, "requested_by": r.requested_by,
             "approved_by": r.decided_by, "approved_at": when(a.created_at, zone), "enterprises": a.enterprises,
             "notified": a.changed, "recipients": a.recipients, "in_period": period.start <= a.created_at < period.end}
            for r, a in rows]


def _in_force(activations: list[Activation], period: Period) -> list[Activation]:
    """The notices with measures (not lifts) in force at some time of the period, each from its
    approval until the next notice; for the assessment, all of them."""
    found = []
    for i, a in enumerate(activations):
        until = activations[i + 1].created_at if i + 1 < len(activations) else period.end
        if a.kind != Kind.LIFT and (period.kind == "assessment" or a.created_at < period.end and until > period.start):
            found.append(a)
    return found


def _in_period(session: Session, latest: Activation, period: Period, scope: str | None) -> dict:
    """Enterprises of the notice that acknowledged and that confirmed within the period."""
    state = ActivatedEnterprise
    within = lambda column: and_(column >= period.start, column < period.end)  # noqa: E731
    query = (select(func.count().filter(within(state.acknowledged_at)), func.count().filter(within(state.confirmed_at)))
             .select_from(state).where(state.activation_id == latest.id))
    if scope is not None:
        query = query.join(Enterprise, Enterprise.id == state.enterprise_id).where(in_area(scope))
    acknowledged, confirmed = session.execute(query).one()
    return {"acknowledged": acknowledged, "confirmed": confirmed}


def _units(session: Session, latest: Activation, actor: Actor, zone: ZoneInfo) -> list[dict]:
    """Each unit told of the notice (those of the reader's area, as the summary counts them), with its
    receipt and the confirmation of its duties."""
    query = (select(Unit.name, Unit.kind, ActivatedUnit.acknowledged_at, ActivatedUnit.confirmed_at)
             .join(ActivatedUnit, ActivatedUnit.unit_id == Unit.id)
             .where(ActivatedUnit.activation_id == latest.id).order_by(Unit.kind, Unit.name))
    if actor.area_path is not None:
        query = query.where(Unit.area_id.in_(subtree(path=actor.area_path)))
    rows = session.execute(query).all()
    return [{"name": name, "kind": kind, "acknowledged_at": when(ack, zone), "confirmed_at": when(conf, zone)}
            for name, kind, ack, conf in rows]


def _escalations(session: Session, warning: Warning, seqs: dict[int, int], period: Period,
                 zone: ZoneInfo) -> list[dict]:
    """The escalation rungs carried out within the period (reminders, calls, reports to the towns
    and to the command center), from the event log, with the number of their notice."""
    rows = session.scalars(select(Event).where(Event.subject_type == "warning", Event.subject_id == warning.id,
                                               Event.kind == EventKind.ESCALATED, Event.at >= period.start,
                                               Event.at < period.end).order_by(Event.at, Event.id))
    return [{"at": when(e.at, zone), "notice": seqs.get(e.detail.get("activation")), "action": e.detail.get("action"),
             "after": e.detail.get("after"), "unconfirmed": e.detail.get("unconfirmed")} for e in rows]


def _inspections(session: Session, warning: Warning, period: Period, scope: str | None, zone: ZoneInfo) -> dict:
    """The visits of the period (of the whole warning for the assessment): the summary's figures and
    each enterprise visited — visits, violations, last visit, the measures found not in place (each
    once) —, those with violations first. Three queries whatever the number of inspections."""
    where = [in_area(scope)] if scope is not None else []
    since, until = (period.start, period.end) if period.kind == "daily" else (None, None)
    within = [Inspection.at >= since, Inspection.at < until] if since is not None else []
    figures = dashboard.inspections(session, warning.id, where, since, until)
    violation = Inspection.result == Result.VIOLATION
    rows = session.execute(
        select(Enterprise.id, Enterprise.credit_code, Enterprise.name, Area.name, func.count(),
               func.count().filter(violation), func.max(Inspection.at))
        .join(Inspection, Inspection.enterprise_id == Enterprise.id).join(Area, Area.id == Enterprise.town_id)
        .where(Inspection.warning_id == warning.id, *within, *where)
        .group_by(Enterprise.id, Enterprise.credit_code, Enterprise.name, Area.name)).all()
    violated: dict[int, list[dict]] = {}
    for enterprise_id, measure_id, target, description, _ in session.execute(
            select(Inspection.enterprise_id, Measure.id, Measure.target, Measure.description, Measure.position)
            .join(Finding, Finding.inspection_id == Inspection.id).join(Measure, Measure.id == Finding.measure_id)
            .join(Enterprise, Enterprise.id == Inspection.enterprise_id)
            .where(Inspection.warning_id == warning.id, Finding.ok == false(), *within, *where)
            .distinct().order_by(Inspection.enterprise_id, Measure.position, Measure.id)):
        violated.setdefault(enterprise_id, []).append({"measure_id": measure_id, "target": target,
                                                       "description": description})
    enterprises = [{"credit_code": code, "name": name, "town": town, "visits": visits, "violations": violations,
                    "last_at": when(last, zone), "violated": violated.get(enterprise_id, [])}
                   for enterprise_id, code, name, town, visits, violations, last in rows]
    enterprises.sort(key=lambda e: (-e["violations"], e["town"], e["name"]))
    return figures | {"enterprises": enterprises}
