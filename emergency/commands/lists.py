"""emergency lists template | import | export | check"""
from __future__ import annotations

from pathlib import Path

import click

from accounts.permissions import Action
from emergency.commands.common import App, Rejected, TerminalProgress, command, emit_json
from lists import service


@click.group(name="lists")
def lists_group() -> None:
    """The reduction lists (一厂一策): workbook template, import, export, adequacy check."""


@command(lists_group, "template")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def template(app: App, out: Path) -> None:
    """Write the blank workbook (sheets, headers, drop-downs, an example row a sheet) to OUT."""
    from lists.export import write_template

    write_template(out, app.rules)
    click.echo(f"模板已写入 template written: {out}", err=True)


@command(lists_group, "import", json_output=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--by", "actor", default=None, help="The user importing (duty officer or admin); default: this shell's operator.")
def import_(app: App, file: Path, dry_run: bool, actor: str | None, as_json: bool) -> None:
    """Validate FILE.xlsx and import it, all or nothing. Exit status 1 when it has errors."""
    from emergency.enterprises.service import import_lists

    if not file.is_file():
        raise Rejected(f"file not found: {file}")
    app.require_schema()
    progress = TerminalProgress()
    with app.transaction() as session:
        try:
            result = import_lists(session=session, path=file, actor=app.operator(session, actor, Action.IMPORT_LISTS),
                                  rules=app.rules, grade_scheme=app.config.grade_scheme, dry_run=dry_run,
                                  progress=progress, limits=app.config.lists)
        except LookupError as exc:  # a district name two cities share
            raise Rejected(str(exc)) from None
    progress.close()
    plan = result.plan
    if as_json:
        emit_json(result.to_json())
    else:
        for issue in plan.issues:
            click.echo(f"{'错误 error' if issue in plan.errors else '警告 warning'}: {issue}", err=True)
        _summary(result, dry_run)
    if plan.errors:
        if not as_json:
            click.echo(f"导入被拒绝，未写入任何数据 / import rejected, nothing was written: "
                       f"{len(plan.errors)} error(s)", err=True)
        raise SystemExit(1)


def _summary(result, dry_run: bool) -> None:
    data = result.to_json()
    if result.plan.errors:
        return
    verb = "校验通过（未写入）/ valid (dry run, nothing written)" if dry_run else "已导入 / imported"
    click.echo(f"{verb}: {data['enterprises']} enterprises, {data['contacts']} contacts, {data['measures']} measures, "
               f"{data['units']} units; {len(result.plan.warnings)} warning(s)")
    if not dry_run:
        click.echo(f"  new enterprises {data['new_enterprises']}, new list versions {data['versions_created']}, "
                   f"unchanged {data['unchanged']}, contact sets replaced {data['contacts_replaced']}")


@command(lists_group, "export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export(app: App, out: Path) -> None:
    """Write the current lists to OUT in the workbook layout (it imports back unchanged)."""
    from lists.export import export_lists

    app.require_schema()
    with app.sessions() as session:
        counts = export_lists(session=session, path=out, rules=app.rules)
    click.echo(f"已导出 exported to {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), err=True)


@command(lists_group, "check", json_output=True)
@click.option("--level", required=True, help="yellow / orange / red (or 黄色 / 橙色 / 红色).")
@click.option("--area", default=None, help="A district or town/street; default: every listed enterprise.")
def check(app: App, level: str, area: str | None, as_json: bool) -> None:
    """Per pollutant: baseline, the cut the lists bring at LEVEL, the ratio and whether it meets the rule."""
    app.require_schema()
    with app.sessions() as session:
        try:
            result = service.adequacy(session=session, rules=app.rules, config=app.config, level=level, area=area)
        except KeyError:
            raise Rejected(f"unknown level {level!r} for rule set {app.rules.name}; use one of: "
                           f"{', '.join(app.rules.keys)}") from None
        except service.UnknownArea as exc:
            raise Rejected(str(exc)) from None
    if as_json:
        emit_json(result.to_json())
        return
    click.echo(f"{result.level} · {result.area or '全部 all'} · {result.enterprises} enterprises · rules {result.rules}")
    click.echo(f"{'pollutant':<10}{'base kg/d':>14}{'cut kg/d':>14}{'ratio':>9}{'required':>10}  ok")
    for name, p in result.pollutants.items():
        ratio = "—" if p.ratio is None else f"{p.ratio:.1%}"
        base = f"{p.baseline:,.1f}" + ("*" if p.base == "inventory" else "")
        click.echo(f"{name:<10}{base:>14}{p.cut:>14,.1f}{ratio:>9}{p.required:>10.0%}  {'✓' if p.ok else '✗ 未达标'}")
    if any(p.base == "inventory" for p in result.pollutants.values()):
        click.echo("* base: the area's emission inventory total (configured)")
    if result.traded:
        click.echo("SO2 and NOx are judged together (the rule set allows trading)")
