"""What the live board shows, in the reader's words: the summary's figures as display texts (the
inspections' visits and violating enterprises among them), the escalation ladder with how many
enterprises stand on each rung, the confirmation curve, and the ECharts options of its charts.
Built here, in Python, so that the page and the 5-second refresh (board.js) draw from the same
answer and no words live in the script."""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, func, literal, select, true
from sqlalchemy.orm import Session

from accounts.permissions import Actor
from config.db import UTCDateTime
from emergency.dashboard import service
from emergency.dashboard.charts import curve_chart, funnel_chart, ranked_chart
from emergency.dashboard.times import minutes_between
from emergency.warnings.models import ActivatedEnterprise, Activation, Warning
from lists.models import Enterprise

STEPS = (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)  # minutes a curve bucket may span
BUCKETS = 48
PER_ENTERPRISE = ("remind", "call")


def board(session: Session, warning: Warning, actor: Actor, zone: ZoneInfo, now: datetime, t, *, dark: bool) -> dict:
    """Everything the board draws: the summary, the texts, bar widths and rung states by key, the
    ladder, the charts."""
    doc = service.summary(session, warning, actor, zone, now)
    activation = service.latest_activation(session, warning)
    ladder = rungs(session, activation, actor, doc, zone, t)
    return {"activation": activation.id if activation else None, "summary": doc, "ladder": ladder,
            "text": texts(doc, warning, activation, ladder, now, t), "widths": widths(doc),
            "flags": {f"rung_{i}": rung["done"] for i, rung in enumerate(ladder)}
                     | {"violating": doc["inspections"]["enterprises_violating"] > 0},
            "charts": {"board-towns": ranked_chart(doc["by_town"], "area", t, dark),
                       "board-industries": ranked_chart(doc["by_industry"], "industry", t, dark),
                       "board-funnel": funnel_chart(doc, t, dark),
                       "board-curve": curve_chart(curve(session, warning, activation, actor, zone, now), doc, t, dark)}}


def texts(doc: dict, warning: Warning, activation: Activation | None, ladder: list[dict], now: datetime, t) -> dict:
    """Display texts by the key of the element that shows them (`data-live="key"`)."""
    total = doc["enterprises"]
    found = {key: f"{doc[key]:,}" for key in ("enterprises", "reached", "acknowledged", "confirmed")}
    found |= {f"{key}_pct": share(doc[key], total) for key in ("reached", "acknowledged", "confirmed")}
    found["failed"] = f"{doc['deliveries'].get('failed', 0):,}"
    found["units"] = t("dashboard.kpi.units_value", confirmed=doc["units"]["confirmed"], total=doc["units"]["total"])
    found["inspections"] = f"{doc['inspections']['visits']:,}"
    found["violating"] = t("dashboard.kpi.violating", n=f"{doc['inspections']['enterprises_violating']:,}")
    found["clock_label"], found["clock"] = clock(warning, activation, now, t)
    found["as_of"] = doc["as_of"][11:19]
    for key in ("acknowledged", "confirmed"):
        figures = doc["times"][key]
        found[f"times_{key}"] = (t("dashboard.times.value", median=minutes(figures["median"], t),
                                   p90=minutes(figures["p90"], t), n=figures["n"])
                                 if figures["n"] else t("dashboard.times.none"))
    escalation = doc["escalation"]
    found["escalated"] = t("dashboard.ladder.totals", reminded=escalation["reminded"], called=escalation["called"],
                           reported=escalation["reported_to_town"])
    for i, rung in enumerate(ladder):
        found[f"rung_{i}"], found[f"rung_{i}_note"] = rung["value"], rung["note"]
    return found


def widths(doc: dict) -> dict[str, float]:
    total = doc["enterprises"]
    return {key: round(100 * doc[key] / total, 1) if total else 0.0 for key in ("reached", "acknowledged", "confirmed")}


def share(part: int, total: int) -> str:
    return f"{100 * part / total:.0f}%" if total else "—"


def minutes(value: float | None, t) -> str:
    """A time in minutes as people say it: 0.4 分钟, 25 分钟, 2 小时 10 分, 1 天 3 小时."""
    if value is None:
        return "—"
    if value < 120:
        fraction = value < 10 and value != int(value)
        return t("dashboard.duration.minutes", m=f"{value:.1f}" if fraction else f"{value:.0f}")
    return duration(timedelta(minutes=value), t)


def duration(span: timedelta, t) -> str:
    """A span in days and hours, or hours and minutes, or minutes."""
    total = max(int(span.total_seconds() // 60), 0)
    days, hours, mins = total // 1440, total % 1440 // 60, total % 60
    if days:
        return t("dashboard.duration.days", d=days, h=hours)
    if hours:
        return t("dashboard.duration.hours", h=hours, m=mins) if mins else t("dashboard.duration.hours_only", h=hours)
    return t("dashboard.duration.minutes", m=mins)


def clock(warning: Warning, activation: Activation | None, now: datetime, t) -> tuple[str, str]:
    """The time tile: left to the start, in force for how long, or over since when."""
    start = activation.starts_at if activation else warning.start_at
    end = warning.lifted_at or warning.end_at
    if warning.status in ("draft", "withdrawn"):
        return t("dashboard.clock.not_issued"), "—"
    if now < start:
        return t("dashboard.clock.until_start"), duration(start - now, t)
    if now < end:
        return t("dashboard.clock.in_force"), duration(now - start, t)
    return t("dashboard.clock.ended"), duration(now - end, t)


# -- the escalation ladder ------------------------------------------------------------------------

def rungs(session: Session, activation: Activation | None, actor: Actor, doc: dict, zone: ZoneInfo, t) -> list[dict]:
    """The notice, then each rung of its frozen ladder: for a reminder or a call, the unconfirmed
    enterprises whose last rung it is (`escalated_after`); for a report, whether and when it went."""
    if activation is None:
        return []
    standing, confirmed = on_rungs(session, activation, actor)
    ran = service.rung_times(session, activation)
    found = [{"after": 0, "action": "notice", "label": t("dashboard.ladder.notice"),
              "value": t("dashboard.ladder.waiting", n=standing.get(0, 0)),
              "note": t("dashboard.ladder.confirmed_after", n=confirmed.get(0, 0)), "done": True}]
    for index, step in enumerate(activation.ladder or []):
        action, after = step["action"], step["after"]
        label = t("dashboard.ladder.step", after=minutes(after, t), action=t(f"dashboard.action.{action}"))
        if action in PER_ENTERPRISE:
            found.append({"after": after, "action": action, "label": label, "done": action in ran,
                          "value": t("dashboard.ladder.waiting", n=standing.get(after, 0)),
                          "note": t("dashboard.ladder.confirmed_after", n=confirmed.get(after, 0))})
            continue
        done = activation.escalation_step > index
        at = ran.get(action)
        value = t("dashboard.ladder.sent_at", time=at.astimezone(zone).strftime("%H:%M")) if done and at else (
            t("dashboard.ladder.sent") if done else t("dashboard.ladder.not_yet"))
        reported = doc["escalation"]["reported_to_town"]
        note = t("dashboard.ladder.reported", n=reported) if action == "town" and done else ""
        found.append({"after": after, "action": action, "label": label, "done": done, "value": value, "note": note})
    return found


def on_rungs(session: Session, activation: Activation, actor: Actor) -> tuple[dict[int, int], dict[int, int]]:
    """Per `escalated_after`: the enterprises told by the notice still unconfirmed, and those confirmed."""
    state = ActivatedEnterprise
    rows = session.execute(
        select(state.escalated_after, func.count() - func.count(state.confirmed_at), func.count(state.confirmed_at))
        .join(Enterprise, Enterprise.id == state.enterprise_id)
        .where(state.activation_id == activation.id, state.changed == true(), *service.scope(actor))
        .group_by(state.escalated_after)).all()
    return {after: n for after, n, _ in rows}, {after: n for after, _, n in rows}


# -- the confirmation curve -----------------------------------------------------------------------

def curve(session: Session, warning: Warning, activation: Activation | None, actor: Actor, zone: ZoneInfo,
          now: datetime) -> dict:
    """Cumulative receipts and confirmations by time bucket from the notice until the start (or now,
    if later): {"labels", "acknowledged", "confirmed", "start"} with None for buckets yet to come."""
    if activation is None:
        return {"labels": [], "acknowledged": [], "confirmed": [], "start": None, "start_time": None}
    since = activation.created_at
    until = max(min(now, warning.lifted_at or warning.end_at), activation.starts_at)
    span = max((until - since).total_seconds() / 60, 1)
    step = next((s for s in STEPS if span / s <= BUCKETS), STEPS[-1])
    points = [since + timedelta(minutes=step * i) for i in range(min(math.ceil(span / step), BUCKETS * 2) + 1)]
    fmt = "%H:%M" if until - since <= timedelta(hours=20) else "%m-%d %H:%M"
    series = {key: cumulative(buckets(session, activation, actor, column, step), points, now)
              for key, column in (("acknowledged", ActivatedEnterprise.acknowledged_at),
                                  ("confirmed", ActivatedEnterprise.confirmed_at))}
    labels = [point.astimezone(zone).strftime(fmt) for point in points]
    start = next((label for point, label in zip(points, labels) if point >= activation.starts_at), None)
    return {"labels": labels, **series, "start": start,
            "start_time": activation.starts_at.astimezone(zone).strftime("%H:%M")}


def buckets(session: Session, activation: Activation, actor: Actor, column, step: int) -> dict[int, int]:
    """How many enterprises of the notice had `column` set in each bucket of `step` minutes from the
    notice (one grouped query; earlier times, kept from a previous notice, fall in the first)."""
    dialect = session.get_bind().dialect.name
    elapsed = minutes_between(literal(activation.created_at, UTCDateTime), column, dialect) / step
    index = func.floor(elapsed) if dialect == "postgresql" else cast(elapsed, Integer)
    bucket = case((elapsed < 0, 0), else_=index)
    rows = session.execute(
        select(bucket, func.count()).select_from(ActivatedEnterprise)
        .join(Enterprise, Enterprise.id == ActivatedEnterprise.enterprise_id)
        .where(ActivatedEnterprise.activation_id == activation.id, column.is_not(None), *service.scope(actor))
        .group_by(bucket)).all()
    return {int(i): n for i, n in rows}


def cumulative(counts: dict[int, int], points: list[datetime], now: datetime) -> list[int | None]:
    """How many by each point (the buckets before it); the first point after now carries the count
    so far, so that the line reaches the present; later points are None."""
    found, running, total = [], 0, sum(counts.values())
    for i, at in enumerate(points):
        if at <= now:
            found.append(running)
        else:
            found.append(total if i and points[i - 1] <= now else None)
        running += counts.get(i, 0)
    return found
