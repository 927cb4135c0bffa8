"""emergency demo"""
from __future__ import annotations

import click

from config import events
from emergency import demo as demo_data
from emergency.commands.common import App, Rejected, command, emit_json
from emergency.models import Role
from emergency.staff import set_user
from config.db import utcnow
from emergency.forecasts.importer import import_text
from lists import service
from lists.importer import import_sheets
from lists.workbook import sheets_from_records

STAFF = (("duty", "值班员（演示）", Role.DUTY_OFFICER), ("commander", "指挥部负责人（演示）", Role.COMMANDER),
         ("office", "指挥部办公室（演示）", Role.OFFICE))


@command(None, "demo", json_output=True)
@click.option("--enterprises", "count", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
def demo(app: App, count: int, seed: int, as_json: bool) -> None:
    """Load a realistic demo district (大兴区): command center, departments, town/street offices,
    enterprises with contacts and lists at every level. Staff logins are printed on stderr."""
    app.require_schema()
    sheets = sheets_from_records(demo_data.records(enterprises=count, seed=seed))
    with app.transaction() as session:
        result = import_sheets(session=session, sheets=sheets, source=f"demo(enterprises={count}, seed={seed})",
                               actor="demo", rules=app.rules, grade_scheme=app.config.grade_scheme)
        if result.plan.errors:  # the generator and the rules disagree: a bug, not bad input
            raise Rejected("the demo data failed validation: " + "; ".join(map(str, result.plan.errors[:5])))
        passwords = {u: set_user(session=session, username=u, display_name=n, role=r, actor="demo") for u, n, r in STAFF}
        import_text(session=session, text=demo_data.forecast_csv(utcnow().astimezone(app.settings.tz).date()),
                    source="demo forecast", actor="demo", zone=app.settings.tz)
        events.record(session, kind=events.EventKind.DEMO_LOADED, actor="demo",
                      detail={"enterprises": count, "seed": seed, "import_id": result.import_id})
        checks = {level: service.adequacy(session=session, rules=app.rules, config=app.config, level=level)
                  for level in app.rules.keys}
    summary = result.to_json()
    for username, password in passwords.items():
        click.echo(f"staff login 员工账号: {username} / {password}", err=True)
    if as_json:
        emit_json({**{k: summary[k] for k in ("enterprises", "contacts", "measures", "units", "import_id")},
                   "warnings": len(summary["warnings"]), "staff": list(passwords),
                   "adequacy": {k: v.to_json() for k, v in checks.items()}})
        return
    click.echo(f"演示数据已载入 demo loaded: district 大兴区, {summary['enterprises']} enterprises, "
               f"{summary['contacts']} contacts, {summary['measures']} measures, {summary['units']} units "
               f"({summary['versions_created']} new list versions, {summary['unchanged']} unchanged)")
    for level, check in checks.items():
        ratios = ", ".join(f"{p} {c.ratio:.0%}" for p, c in check.pollutants.items() if c.ratio is not None)
        click.echo(f"  {level:<7} cut/baseline: {ratios}  (required {check.pollutants['so2'].required:.0%}) "
                   f"{'✓' if check.ok else '✗'}")
