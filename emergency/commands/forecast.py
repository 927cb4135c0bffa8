"""emergency forecast import | assess | replay"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from accounts.permissions import Action
from config import rulesets
from config.settings import ConfigError
from emergency.commands.common import App, Rejected, command, emit_json
from emergency.forecasts.importer import import_forecast
from emergency.forecasts.service import assess as assess_forecasts


@click.group(name="forecast")
def forecast_group() -> None:
    """Forecasts: import the daily forecast CSV, assess the recommended level, replay history."""


def rules_named(app: App, name: str | None):
    try:
        return rulesets.load(name) if name else app.rules
    except ConfigError as exc:
        raise Rejected(str(exc)) from None


@command(forecast_group, "import", json_output=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; store nothing.")
@click.option("--by", "actor", default=None, help="The duty officer importing (a user); default: this shell's operator.")
def import_(app: App, file: Path, dry_run: bool, actor: str | None, as_json: bool) -> None:
    """Store the forecast in FILE.csv, all rows or none (errors name the row and column)."""
    if not file.is_file():
        raise Rejected(f"file not found: {file}")
    app.require_schema()
    with app.transaction() as session:
        try:
            result = import_forecast(session=session, path=file, actor=app.operator(session, actor, Action.IMPORT_FORECAST),
                                     zone=app.settings.tz, dry_run=dry_run)
        except UnicodeDecodeError:
            raise Rejected(f"{file} is not UTF-8 text: save the CSV as UTF-8") from None
    if as_json:
        emit_json(result.to_json())
    for error in result.errors if not as_json else []:
        click.echo(f"错误 error: {error}", err=True)
    if result.errors:
        if not as_json:
            click.echo(f"预报被拒绝，未写入任何数据 / forecast rejected, nothing stored: {len(result.errors)} error(s)", err=True)
        raise SystemExit(1)
    if not as_json:
        verb = "校验通过（未写入）/ valid (dry run)" if dry_run else "已导入 / imported"
        click.echo(f"{verb}: {len(result.rows)} day(s) for {result.to_json()['areas']} area(s)")


@command(forecast_group, "assess", json_output=True)
@click.option("--area", default=None, help="A district or town/street; default: every area with a forecast.")
@click.option("--rules", "rules_name", default=None, help="Rule set name or .toml path; default: the configured one.")
def assess(app: App, area: str | None, rules_name: str | None, as_json: bool) -> None:
    """The recommended level per area from the latest forecast issued for it, and the rule behind it."""
    rules = rules_named(app, rules_name)
    app.require_schema()
    with app.sessions() as session:
        try:
            results = [a.to_json() for a in assess_forecasts(session=session, rules=rules, area=area)]
        except LookupError as exc:
            raise Rejected(str(exc)) from None
    if as_json:
        emit_json(results)
        return
    if not results:
        click.echo("没有预报 / no forecast stored", err=True)
    for r in results:
        level = rules.level(r["level"]).zh if r["level"] else "无预警 none"
        issued = datetime.fromisoformat(r["issued_at"]).astimezone(app.settings.tz)
        click.echo(f"{r['area']}: {level}  (forecast issued {issued:%Y-%m-%d %H:%M %Z})")
        for d in r["days"]:
            mark = "*" if d["date"] in r["trigger_days"] else " "
            click.echo(f"  {mark} {d['date']}  AQI {d['aqi']:>3}  {','.join(d['primary'])}")
        if r["rule"]:
            click.echo(f"  rule: {r['rule']}  (* the days that meet it)")


@command(None, "replay", json_output=True)
@click.option("--data", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of PRSA_Data_*.csv hourly files; default: ../shared/data/beijing-prsa.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (YYYY-MM-DD).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (YYYY-MM-DD).")
@click.option("--rules", "rules_name", default=None, help="Rule set name or .toml path; default: the configured one.")
@click.option("--horizon", type=click.IntRange(1, 15), default=5, show_default=True, help="Forecast length in days.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the daily means as a forecast CSV for `forecast import`.")
@click.option("--area", default="北京市", show_default=True, help="Area name written in the --csv file.")
def replay(app: App, directory: Path | None, start, end, rules_name: str | None, horizon: int, csv_out: Path | None,
           area: str, as_json: bool) -> None:
    """Replay real hourly observations as a perfect forecast: the warnings the rule set would have issued."""
    from emergency.forecasts import replay as replays  # pandas: only for this command

    rules = rules_named(app, rules_name)
    first, last = (start.date() if start else None), (end.date() if end else None)
    try:
        city = replays.daily_means(directory or replays.DEFAULT_DATA, first, last)
    except FileNotFoundError as exc:
        raise Rejected(f"{exc}; give the directory with --data") from None
    days = replays.with_aqi(city)
    found = replays.episodes(rules, replays.replay(rules, days, horizon))
    if csv_out:
        write_csv(csv_out, city, area)
    summary = {"rules": rules.name, "from": days[0].date.isoformat() if days else None,
               "to": days[-1].date.isoformat() if days else None, "days": len(days), "horizon": horizon,
               "episodes": [e.to_json() for e in found],
               "by_level": {k: sum(e.level == k for e in found) for k in rules.keys}}
    if as_json:
        emit_json(summary)
        return
    click.echo(f"{summary['from']} – {summary['to']}: {len(days)} days, rules {rules.name}, horizon {horizon} days")
    for e in found:
        click.echo(f"  {e.start} – {e.end}  {rules.level(e.level).zh:<4} peak AQI {e.peak_aqi:>3}  {e.rule}")
    click.echo("  " + ", ".join(f"{rules.level(k).zh} {n}" for k, n in summary["by_level"].items()))


def write_csv(path: Path, city, area: str) -> None:
    frame = city.copy()
    frame.insert(0, "date", [d.isoformat() if isinstance(d, date) else d for d in frame.index])
    frame.insert(0, "area", area)
    frame.to_csv(path, index=False, encoding="utf-8")


forecast_group.add_command(replay)
