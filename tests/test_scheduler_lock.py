"""Exactly one scheduler per database: a second refuses to start and names the first."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from config.db import make_engine, utcnow
from config.locks import AlreadyRunning, ProcessLock
from emergency.database import upgrade

EMERGENCY = str(Path(sys.executable).parent / "emergency")


@pytest.fixture
def migrated(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    yield db_url, engine
    engine.dispose()


def start_scheduler(url: str) -> subprocess.Popen:
    process = subprocess.Popen([EMERGENCY, "scheduler", "--db", url], stderr=subprocess.PIPE, text=True,
                               env=os.environ | {"PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if "every 20–60 s" in line:
            return process
        assert process.poll() is None, process.stderr.read()
    raise AssertionError("the scheduler did not start")


def test_a_second_scheduler_refuses_to_run_and_names_the_first(migrated):
    url, _ = migrated
    first = start_scheduler(url)
    try:
        second = subprocess.run([EMERGENCY, "scheduler", "--db", url], capture_output=True, text=True, timeout=60)
        assert second.returncode == 1 and "another scheduler is running" in second.stderr
        assert str(first.pid) in second.stderr and "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=30)
    # the first one released its lock on the way out: a new one may start
    again = start_scheduler(url)
    again.send_signal(signal.SIGINT)
    again.wait(timeout=30)


def test_a_lock_is_renewed_and_a_dead_holders_lock_goes_stale(migrated):
    _, engine = migrated
    first = ProcessLock(engine, "scheduler", holder="host-a:1", stale=timedelta(seconds=90))
    first.acquire()
    second = ProcessLock(engine, "scheduler", holder="host-b:2", stale=timedelta(seconds=90))
    with pytest.raises(AlreadyRunning, match="host-a:1" if engine.dialect.name == "sqlite" else "another scheduler"):
        second.acquire()
    first.renew()
    if engine.dialect.name == "sqlite":
        # host-a died without releasing: after `stale` without a heartbeat its lock is taken over
        second.acquire(now=utcnow() + timedelta(seconds=91))
        with pytest.raises(AlreadyRunning, match="host-b:2"):
            first.renew(now=utcnow() + timedelta(seconds=92))
        second.release()
    else:
        first.release()  # PostgreSQL: the lock dies with its holder's connection
        second.acquire()
        second.release()


def test_the_sqlite_lock_row_is_taken_with_the_write_lock_first(tmp_path):
    # A read snapshot older than another process's commit cannot be upgraded to a write in WAL: the
    # lock would fail at once with "database is locked" while the worker and the web app write.
    from sqlalchemy import event

    from config.db import make_engine
    from config.locks import ProcessLock
    from emergency.database import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    upgrade(engine)
    begun: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *a: begun.append(sql) if sql.startswith("BEGIN") else None)
    lock = ProcessLock(engine, "scheduler")
    lock.acquire()
    lock.renew()
    assert begun and set(begun) == {"BEGIN IMMEDIATE"}
    engine.dispose()
