"""The application context: settings, configuration, rule set, engine and sessions, built the same
way by the command line, the web application, the dispatch worker and the scheduler."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.orm import Session

from accounts.service import Limits
from alerts.providers.settings import ProviderSettings, load
from config import rulesets
from config.db import make_engine, make_sessionmaker
from config.settings import Settings


class Context:
    """Raises ConfigError or pydantic's ValidationError for a configuration that cannot be used."""

    def __init__(self, settings: Settings | None = None, *, providers: ProviderSettings | None = None,
                 db_url: str | None = None, **engine_args):
        self.settings = settings or Settings(**({"database_url": db_url} if db_url else {}))
        # The providers' own settings (EMERGENCY_<PROVIDER>__…): config knows no provider.
        self.providers = providers or load()
        self.config = self.settings.app
        self.rules = rulesets.load(self.config.rules)
        # pool_pre_ping: a connection lost to a database restart is replaced, not handed out dead.
        self.engine = make_engine(self.settings.database_url, **({"pool_pre_ping": True} | engine_args))
        self.sessions = make_sessionmaker(self.engine)
        auth = self.config.auth
        self.limits = Limits(session_idle=timedelta(minutes=auth.session_idle_minutes),
                             session_lifetime=timedelta(hours=auth.session_hours),
                             token_lifetime=timedelta(hours=auth.token_hours),
                             window=timedelta(minutes=auth.throttle_minutes),
                             per_username=auth.failures_per_username, per_client=auth.failures_per_client)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back whole on any error."""
        with self.sessions() as session, session.begin():
            yield session
