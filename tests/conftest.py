"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from EMERGENCY_TEST_POSTGRES_URL (`scripts/throwaway-postgres start` prints it). Without it the
PostgreSQL half is skipped on a developer's machine, and fails in CI (CI=true) or when
EMERGENCY_REQUIRE_POSTGRES=1, so that CI can never pass on SQLite alone."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config.db import make_engine
from emergency.database import upgrade

BACKENDS = ("sqlite", "postgresql")


def _postgres_admin_url() -> str:
    url = os.environ.get("EMERGENCY_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("CI") or os.environ.get("EMERGENCY_REQUIRE_POSTGRES"):
        pytest.fail("PostgreSQL is required here: set EMERGENCY_TEST_POSTGRES_URL (see scripts/throwaway-postgres)")
    pytest.skip("PostgreSQL tests skipped: EMERGENCY_TEST_POSTGRES_URL is not set")


class Databases:
    """Creates empty databases of one backend and drops them at the end."""

    def __init__(self, backend: str, tmp_path_factory):
        self.backend, self.tmp, self.created = backend, tmp_path_factory, []
        if backend == "postgresql":
            admin = make_url(_postgres_admin_url()).set(drivername="postgresql+psycopg")
            self.admin = create_engine(admin, isolation_level="AUTOCOMMIT")

    def new_url(self) -> str:
        name = f"emergency_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp.mktemp('db') / (name + '.db')}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.backend == "postgresql":
            with self.admin.connect() as conn:
                for name in self.created:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request, tmp_path_factory) -> Iterator[Databases]:
    dbs = Databases(request.param, tmp_path_factory)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def engine(databases):
    engine = make_engine(databases.new_url())
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def db_url(databases) -> str:
    """A fresh, empty database (no schema) for tests that run whole commands."""
    return databases.new_url()
