"""Connecting to the configured database and bringing its schema to the current revision."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import accounts.models  # noqa: F401
import alerts.models  # noqa: F401
import areas.models  # noqa: F401
import config.events  # noqa: F401  (registers the events table)
import config.locks  # noqa: F401
import emergency.forecasts.models  # noqa: F401
import emergency.inspections.models  # noqa: F401
import emergency.notices.models  # noqa: F401
import emergency.warnings.models  # noqa: F401
import lists.models  # noqa: F401
from config.db import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
metadata = Base.metadata


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the newest revision; returns (revision before, revision after)."""
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
