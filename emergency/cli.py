"""The `emergency` command. Subcommands are imported when they are run (or their --help shown), so
that `emergency --help` answers at once and no command loads what it does not use."""
from __future__ import annotations

import importlib

import click

# name → (module:attribute, the one line shown by `emergency --help`)
COMMANDS = {
    "init": ("emergency.commands.admin:init", "Create the schema, or migrate it to the current revision."),
    "demo": ("emergency.commands.demo:demo", "Load a realistic demo district with staff logins."),
    "lists": ("emergency.commands.lists:lists_group", "Reduction lists: workbook template, import, export, check."),
    "forecast": ("emergency.commands.forecast:forecast_group", "Forecasts: import, assess, replay history."),
    "warning": ("emergency.commands.warning:warning_group", "Warnings: draft, sign-off, change, lift, show."),
    "notify": ("emergency.commands.notify:notify_group", "Notifications: the dispatch worker."),
    "report": ("emergency.commands.report:report_group", "Reports: the daily report and the post-event assessment."),
    "scheduler": ("emergency.commands.scheduler:scheduler", "The one scheduler process: escalations, times, auditor."),
    "serve": ("emergency.commands.serve:serve", "The web application: API, pages, webhooks."),
    "user": ("emergency.commands.users:user_group", "Staff accounts: add, reset, disable, list."),
    "area": ("emergency.commands.users:area_group", "The area tree: add, list."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, _, attribute = COMMANDS[name][0].partition(":")
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Heavy-pollution emergency response: reduction lists, warnings, notifications.

    The database is EMERGENCY_DATABASE_URL (or --db), default sqlite:///emergency.db."""
