"""emergency report daily | assessment — the same documents as the API: JSON, xlsx or docx."""
from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import click

from accounts.permissions import system
from config.db import utcnow
from config.settings import POLLUTANTS
from emergency.commands.common import App, Rejected, command, emit_json
from emergency.reports import formats, service
from emergency.reports.tables import POLLUTANT_ZH, violated_text
from emergency.warnings.models import Warning
from emergency.warnings.service import Refused


@click.group(name="report")
def report_group() -> None:
    """Reports: the daily report of a warning and its post-event assessment (总结评估)."""


def make(app: App, kind: str, warning_id: int, day: datetime | None, as_json: bool, out: Path | None) -> None:
    if as_json and out is not None:
        raise click.UsageError("give --json or --out, not both")
    fmt = out.suffix.lstrip(".").lower() if out is not None else None
    if fmt is not None and fmt not in formats.FORMATS:
        raise click.UsageError(f"--out {out}: the file must end in .xlsx, .docx or .json")
    app.require_schema()
    with app.sessions() as session:
        warning = session.get(Warning, warning_id)
        if warning is None:
            raise Rejected(f"there is no warning {warning_id}")
        try:
            doc = service.report(session=session, warning=warning, actor=system(f"operator:{getpass.getuser()}"),
                                 config=app.config, zone=app.settings.tz, now=utcnow(), kind=kind,
                                 day=day.date() if day else None)
        except Refused as exc:
            raise Rejected(str(exc)) from None
    if as_json:
        emit_json(doc)
    elif out is not None:
        out.write_bytes(formats.render(doc, fmt))
        click.echo(f"已写入 written: {out} ({doc['title']})", err=True)
    else:
        show(doc)


def show(doc: dict) -> None:
    """The headline of the report for a terminal."""
    s = doc["summary"]
    click.echo(doc["title"])
    click.echo(f"  企业 enterprises {s['enterprises']}: 送达 reached {s['reached']}, 签收 acknowledged {s['acknowledged']}, "
               f"确认 confirmed {s['confirmed']}; 单位 units {s['units']['acknowledged']}/{s['units']['total']} acknowledged")
    for r in doc["reduction"]:
        click.echo(f"  减排 reduction, notice {r['notice']} ({r['level']}, required {r['required']:.0%}, "
                   f"{r['confirmed_enterprises']}/{r['enterprises']} enterprises confirmed):")
        for p in POLLUTANTS:
            x = r["pollutants"][p]
            ratio = lambda part: "—" if x[part]["ratio"] is None else f"{x[part]['ratio']:.1%}"  # noqa: E731
            click.echo(f"    {POLLUTANT_ZH[p]:<6} base {x['baseline']:>12,.1f}  promised {ratio('promised'):>7}  "
                       f"violated {ratio('violated'):>7}  achieved {ratio('achieved'):>7} {'✓' if x['ok'] else '✗'}")
    show_inspections(doc)


def show_inspections(doc: dict) -> None:
    """The period's visits, then each enterprise found violating with the measures not in place."""
    i = doc["inspections"]
    click.echo(f"  督查 inspections{' (当日 this day)' if doc['report'] == 'daily' else ''}: {i['visits']} visits of "
               f"{i['enterprises_visited']} enterprises, {i['violations']} violations at "
               f"{i['enterprises_violating']} enterprises")
    for e in i["enterprises"]:
        if e["violations"]:
            click.echo(f"    违规 {e['name']} {e['credit_code']} ({e['town']}): {e['violations']}/{e['visits']} — "
                       f"{violated_text(e) or '—'}")


DATE = click.DateTime(formats=["%Y-%m-%d"])


@command(report_group, "daily", json_output=True)
@click.argument("warning_id", type=int)
@click.option("--date", "day", type=DATE, default=None, help="The local day (YYYY-MM-DD); default yesterday.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write FILE.xlsx, FILE.docx or FILE.json instead of printing.")
def daily(app: App, warning_id: int, day: datetime | None, out: Path | None, as_json: bool) -> None:
    """The daily report of WARNING_ID for one local day."""
    make(app, "daily", warning_id, day, as_json, out)


@command(report_group, "assessment", json_output=True)
@click.argument("warning_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write FILE.xlsx, FILE.docx or FILE.json instead of printing.")
def assessment(app: App, warning_id: int, out: Path | None, as_json: bool) -> None:
    """The post-event assessment of WARNING_ID: the whole warning, the reduction achieved."""
    make(app, "assessment", warning_id, None, as_json, out)
