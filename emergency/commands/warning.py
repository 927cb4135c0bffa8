"""emergency warning draft | approve | change | lift | withdraw | list | show | cap"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from sqlalchemy import select

from config.db import utcnow
from accounts.permissions import Forbidden
from emergency.commands.common import App, Rejected, command, emit_json
from emergency.warnings import cap as caps
from emergency.warnings import service
from emergency.warnings.models import Warning
from emergency.warnings.documents import warning_json


class Time(click.ParamType):
    """ISO 8601; without an offset, read in the configured time zone."""

    name = "TIME"

    def convert(self, value: Any, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time, e.g. 2026-12-01T00:00 or 2026-12-01T00:00+08:00", param, ctx)


TIME = Time()


@click.group(name="warning")
def warning_group() -> None:
    """Warnings: draft, sign-off, change, lift, and what they activated."""


def aware(app: App, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=app.settings.tz)


def run(app: App, action, by: str, **kwargs):
    """Carry out one lifecycle action as the user named by --by, in a transaction: all of it, or
    nothing and exit 1 (an unknown or disabled user, a role that may not, a refusal)."""
    app.require_schema()
    try:
        with app.transaction() as session:
            result = action(session=session, now=utcnow(), actor=app.actor(session, by), **kwargs)
            return result, warning_json(session, session.get(Warning, result.warning_id), app.settings.tz)
    except (service.Refused, Forbidden) as exc:
        raise Rejected(str(exc)) from None


def report(document: dict, as_json: bool, headline: str) -> None:
    if as_json:
        emit_json(document)
        return
    click.echo(headline)
    pending = document.get("pending")
    if pending and pending.get("adequacy"):
        ad = pending["adequacy"]
        click.echo(f"  清单减排 adequacy at {ad['level']}: {'达标 ok' if ad['ok'] else '未达标 NOT met'} "
                   f"({ad['enterprises']} enterprises)")
        for name, p in ad["pollutants"].items():
            ratio = "—" if p["ratio"] is None else f"{p['ratio']:.1%}"
            click.echo(f"    {name:<5} cut {p['cut']:>12,.1f} / base {p['baseline']:>12,.1f} kg/d = {ratio:>7} "
                       f"(required {p['required']:.0%}) {'✓' if p['ok'] else '✗'}")


@command(warning_group, "draft", json_output=True)
@click.option("--level", required=True, help="yellow / orange / red (or 黄色 …).")
@click.option("--area", required=True, help="The district or town/street under warning.")
@click.option("--start", required=True, type=TIME, help="When it takes effect (ISO 8601).")
@click.option("--end", required=True, type=TIME, help="When it is expected to end (ISO 8601).")
@click.option("--reason", required=True, help="Why: the forecast consultation's conclusion.")
@click.option("--by", "actor", required=True, help="The duty officer drafting it.")
@click.option("--drill", is_flag=True, help="A drill (演练): messages marked 【演练】, to the simulator or the allow-list only.")
def draft(app: App, level, area, start, end, reason, actor, drill, as_json) -> None:
    """Draft a warning; it goes out only when another person approves it."""
    request, doc = run(app, service.draft, rules=app.rules, config=app.config, area=area, level=level,
                       start=aware(app, start), end=aware(app, end), reason=reason, by=actor, drill=drill)
    report(doc, as_json, f"预警草稿 draft #{doc['id']}: {doc['level']} {doc['area']} {doc['start']} – {doc['end']}; "
                         f"审批 approve with: emergency warning approve {doc['id']} --by OTHER_USER")


@command(warning_group, "approve", json_output=True)
@click.argument("warning_id", type=int)
@click.option("--by", "actor", required=True, help="The approver; not the person who asked.")
@click.option("--reason", "override", default=None, help="Required when the lists miss the ratio: why approve anyway.")
def approve(app: App, warning_id, actor, override, as_json) -> None:
    """Sign off the pending draft, change or lift of WARNING_ID; it is activated at once."""
    activation, doc = run(app, service.approve, rules=app.rules, config=app.config, warning_id=warning_id, by=actor,
                          override_reason=override)
    doc["activation"] = {"id": activation.id, "kind": activation.kind, "enterprises": activation.enterprises,
                         "changed": activation.changed, "recipients": activation.recipients}
    report(doc, as_json, f"已批准 approved #{doc['id']} ({activation.kind}): {doc['status']}, level {doc['level']}; "
                         f"{activation.enterprises} enterprises, {activation.changed} to notify, "
                         f"{activation.recipients} recipients")


@command(warning_group, "change", json_output=True)
@click.argument("warning_id", type=int)
@click.option("--level", default=None, help="The new level (upgrade or downgrade).")
@click.option("--end", default=None, type=TIME, help="The new end (extension).")
@click.option("--reason", required=True)
@click.option("--by", "actor", required=True)
def change(app: App, warning_id, level, end, reason, actor, as_json) -> None:
    """Ask to upgrade, downgrade or extend WARNING_ID; then `approve` by another person."""
    if level is None and end is None:
        raise click.UsageError("give --level and/or --end")
    request, doc = run(app, service.request_change, rules=app.rules, config=app.config, warning_id=warning_id,
                       level=level, end=aware(app, end), reason=reason, by=actor)
    report(doc, as_json, f"变更申请 change #{doc['id']}: → {request.level}, end {request.end_at.isoformat()}; "
                         f"awaiting approval")


@command(warning_group, "lift", json_output=True)
@click.argument("warning_id", type=int)
@click.option("--at", "at", required=True, type=TIME, help="When it is lifted (ISO 8601; now or later).")
@click.option("--reason", required=True)
@click.option("--by", "actor", required=True)
def lift(app: App, warning_id, at, reason, actor, as_json) -> None:
    """Ask to lift WARNING_ID at a time; then `approve` by another person."""
    request, doc = run(app, service.request_lift, warning_id=warning_id, at=aware(app, at), reason=reason, by=actor)
    report(doc, as_json, f"解除申请 lift #{doc['id']} at {request.lift_at.isoformat()}; awaiting approval")


@command(warning_group, "withdraw", json_output=True)
@click.argument("warning_id", type=int)
@click.option("--reason", required=True)
@click.option("--by", "actor", required=True)
def withdraw(app: App, warning_id, reason, actor, as_json) -> None:
    """Withdraw (or reject) the pending request of WARNING_ID; a withdrawn draft closes it."""
    request, doc = run(app, service.withdraw, warning_id=warning_id, reason=reason, by=actor)
    report(doc, as_json, f"已撤回 withdrawn: {request.kind} request of #{doc['id']}; status {doc['status']}")


@command(warning_group, "list", json_output=True)
@click.option("--all", "everything", is_flag=True, help="Include lifted, expired and withdrawn warnings.")
def list_(app: App, everything: bool, as_json: bool) -> None:
    """The warnings (open ones unless --all), newest first."""
    app.require_schema()
    with app.sessions() as session:
        query = select(Warning).order_by(Warning.id.desc())
        if not everything:
            query = query.where(Warning.status.in_(service.OPEN))
        docs = [warning_json(session, w, app.settings.tz, history=False) for w in session.scalars(query)]
    if as_json:
        emit_json(docs)
        return
    for d in docs:
        click.echo(f"#{d['id']:<5}{d['status']:<10}{d['level']:<8}{d['area']:<12}{d['start']} – {d['end']}  "
                   f"{d['enterprises']} enterprises, {d['recipients']} recipients, "
                   f"{d['deliveries']['delivered']} delivered, {d['acknowledged']} acknowledged, {d['confirmed']} confirmed"
                   + (f"  [pending {d['pending']['kind']}]" if d["pending"] else ""))
    if not docs:
        click.echo("没有预警 / no warnings", err=True)


@command(warning_group, "show", json_output=True)
@click.argument("warning_id", type=int)
def show(app: App, warning_id: int, as_json: bool) -> None:
    """One warning: status, level, times, counts, and the history of its requests."""
    app.require_schema()
    with app.sessions() as session:
        warning = session.get(Warning, warning_id)
        if warning is None:
            raise Rejected(f"there is no warning {warning_id}")
        doc = warning_json(session, warning, app.settings.tz)
    if as_json:
        emit_json(doc)
        return
    report(doc, False, f"#{doc['id']} {doc['status']} {doc['level']} {doc['area']} {doc['start']} – {doc['end']}"
                       f"{' lifted ' + doc['lifted_at'] if doc['lifted_at'] else ''}; "
                       f"{doc['enterprises']} enterprises, {doc['recipients']} recipients")
    d = doc["deliveries"]
    click.echo(f"  消息 messages: {d['pending']} pending, {d['sending']} sending, {d['sent']} sent, "
               f"{d['delivered']} delivered, {d['failed']} failed, {d['cancelled']} cancelled; "
               f"企业 enterprises: {doc['acknowledged']} acknowledged (已收到), {doc['confirmed']} confirmed (已落实)")
    for h in doc["history"]:
        click.echo(f"  {h['seq']}. {h['kind']:<6} {h['status']:<9} {h['level']:<7} by {h['requested_by']} "
                   f"{h['requested_at']}" + (f", {h['status']} by {h['decided_by']}" if h["decided_by"] else "")
                   + f" — {h['reason']}")


@command(warning_group, "cap")
@click.argument("warning_id", type=int)
@click.option("--seq", type=int, default=None, help="Which notice (1 = the issue); default: the latest approved.")
def cap(app: App, warning_id: int, seq: int | None) -> None:
    """A notice of WARNING_ID as OASIS CAP 1.2 XML on stdout: issue = Alert, change = Update, lift = Cancel."""
    app.require_schema()
    with app.sessions() as session:
        try:
            xml = caps.notice_xml(session=session, warning_id=warning_id, seq=seq, rules=app.rules,
                                  config=app.config.cap, zone=app.settings.tz)
        except LookupError as exc:
            raise Rejected(str(exc)) from None
    click.echo(xml)
