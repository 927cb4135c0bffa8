"""emergency demo"""
from __future__ import annotations

import click

from config import events
from emergency import demo as demo_data
from emergency.commands.common import App, Rejected, command, emit_json
from accounts import service as accounts
from accounts.models import Role
from accounts.permissions import system
from areas import service as areas
from areas.models import AreaKind
from config.db import utcnow
from emergency import demo_data as D
from emergency.forecasts.importer import import_text
from lists import service
from lists.importer import import_sheets
from lists.workbook import sheets_from_records

# One login per role; the inspector works in one town, the others for the whole district.
STAFF = (("duty", "值班员（演示）", Role.DUTY_OFFICER, None), ("commander", "指挥部负责人（演示）", Role.COMMANDER, None),
         ("commander2", "副指挥（演示）", Role.COMMANDER, None), ("office", "指挥部办公室（演示）", Role.OFFICE, None),
         ("inspector", f"督查员（演示，{D.TOWNS[0]}）", Role.INSPECTOR, D.TOWNS[0]), ("viewer", "只读（演示）", Role.VIEWER, None),
         ("admin", "管理员（演示）", Role.ADMIN, None))


@command(None, "demo", json_output=True)
@click.option("--enterprises", "count", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
def demo(app: App, count: int, seed: int, as_json: bool) -> None:
    """Load a realistic demo district (大兴区): command center, departments, town/street offices,
    enterprises with contacts and lists at every level. Staff logins are printed on stderr."""
    app.require_schema()
    sheets = sheets_from_records(demo_data.records(enterprises=count, seed=seed))
    with app.transaction() as session:
        district = _demo_district(session)
        result = import_sheets(session=session, sheets=sheets, source=f"demo(enterprises={count}, seed={seed})",
                               actor="demo", rules=app.rules, grade_scheme=app.config.grade_scheme)
        if result.plan.errors:  # the generator and the rules disagree: a bug, not bad input
            raise Rejected("the demo data failed validation: " + "; ".join(map(str, result.plan.errors[:5])))
        passwords = {u: _staff(session, u, n, r, town and areas.find(session, town, parent=district))
                     for u, n, r, town in STAFF}
        import_text(session=session, text=demo_data.forecast_csv(utcnow().astimezone(app.settings.tz).date()),
                    source="demo forecast", actor=system("demo"), zone=app.settings.tz)
        events.record(session, kind=events.EventKind.DEMO_LOADED, actor="demo",
                      detail={"enterprises": count, "seed": seed, "import_id": result.import_id})
        checks = {level: service.adequacy(session=session, rules=app.rules, config=app.config, level=level)
                  for level in app.rules.keys}
    summary = result.to_json()
    roles = {u: (r, town) for u, _, r, town in STAFF}
    for username, password in passwords.items():
        role, town = roles[username]
        click.echo(f"staff login 员工账号: {username} / {password}   ({role}{', ' + town if town else ''})", err=True)
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


def _demo_district(session):
    """北京市 → 大兴区, with their GB/T 2260 codes; the import adds the towns under the district."""
    try:
        return areas.find(session, D.DISTRICT)
    except LookupError:
        city = areas.add(session, name="北京市", kind=AreaKind.CITY, code="110000")
        return areas.add(session, name=D.DISTRICT, kind=AreaKind.DISTRICT, parent=city, code="110115")


def _staff(session, username: str, name: str, role: Role, area) -> str:
    """Create the demo user, or give the existing one a new password; returns the password."""
    now, operator = utcnow(), system("demo")
    if accounts.by_username(session, username) is None:
        return accounts.add_user(session=session, actor=operator, username=username, role=role, area=area,
                                 display_name=name, now=now)[1]
    return accounts.reset_password(session=session, actor=operator, username=username, now=now)
