"""The `emergency` command."""
from __future__ import annotations

import click

from emergency.commands.common import App, command
from emergency.commands.demo import demo
from emergency.commands.forecast import forecast_group
from emergency.commands.lists import lists_group
from emergency.commands.notify import notify_group
from emergency.commands.scheduler import scheduler
from emergency.commands.serve import serve
from emergency.commands.users import area_group, user_group
from emergency.commands.warning import warning_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Heavy-pollution emergency response: reduction lists, warnings, notifications.

    The database is EMERGENCY_DATABASE_URL (or --db), default sqlite:///emergency.db."""


@command(main, "init")
def init(app: App) -> None:
    """Create the schema, or migrate it to the current revision (safe to run again)."""
    from emergency.database import upgrade

    before, after = upgrade(app.engine)
    from emergency.notices.tokens import ensure

    with app.transaction() as session:
        ensure(session)
    state = "already up to date" if before == after else f"migrated {before or 'empty'} → {after}"
    click.echo(f"database {app.engine.url.render_as_string(hide_password=True)}: {state}", err=True)


main.add_command(lists_group)
main.add_command(demo)
main.add_command(forecast_group)
main.add_command(warning_group)
main.add_command(notify_group)
main.add_command(serve)
main.add_command(scheduler)
main.add_command(user_group)
main.add_command(area_group)
