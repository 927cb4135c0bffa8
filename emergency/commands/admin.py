"""emergency init"""
from __future__ import annotations

import click

from emergency.commands.common import App, command


@command(None, "init")
def init(app: App) -> None:
    """Create the schema, or migrate it to the current revision (safe to run again)."""
    from emergency.database import upgrade
    from emergency.notices.tokens import ensure

    before, after = upgrade(app.engine)
    with app.transaction() as session:
        ensure(session)
    state = "already up to date" if before == after else f"migrated {before or 'empty'} → {after}"
    click.echo(f"database {app.engine.url.render_as_string(hide_password=True)}: {state}", err=True)
