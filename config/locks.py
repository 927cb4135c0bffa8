"""Exactly one process of a kind per database (the scheduler): a PostgreSQL advisory lock held by a
connection of its own, or on SQLite a lock row kept fresh by a heartbeat. A second process is told
who holds the lock."""
from __future__ import annotations

import os
import socket
import zlib
from datetime import datetime, timedelta

from sqlalchemy import String, delete, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.db import Base, UTCDateTime, utcnow


class ProcessLockRow(Base):
    __tablename__ = "process_locks"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlreadyRunning(Exception):
    """Another process holds the lock; the message names it."""


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ProcessLock:
    """`acquire()` once, `renew()` every few seconds (also re-takes a PostgreSQL lock lost with its
    connection), `release()` at the end. A SQLite lock row whose heartbeat is older than `stale`
    belongs to a dead process and is taken over."""

    def __init__(self, engine: Engine, name: str, *, holder: str | None = None, stale: timedelta = timedelta(seconds=90)):
        self.engine, self.name, self.holder, self.stale = engine, name, holder or me(), stale
        self.key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        self.connection: Connection | None = None
        self.postgres = engine.dialect.name == "postgresql"
        self.writer = engine.execution_options(sqlite_immediate=True)  # the lock row is read, then written

    def acquire(self, now: datetime | None = None) -> None:
        """Raises AlreadyRunning naming the holder."""
        if self.postgres:
            self._advisory()
        else:
            self._row(now or utcnow())

    def renew(self, now: datetime | None = None) -> None:
        """Keep the lock; raises AlreadyRunning if another process has taken it meanwhile, and the
        database's own error while it cannot be reached (call again later)."""
        if self.postgres:
            try:
                assert self.connection is not None
                self.connection.execute(text("SELECT 1"))
            except Exception:  # noqa: BLE001 — the lock went with its connection: take it again
                self._close(unlock=False)
                self._advisory()
            return
        with Session(self.writer) as session, session.begin():
            moved = session.execute(update(ProcessLockRow).where(ProcessLockRow.name == self.name,
                                                                 ProcessLockRow.holder == self.holder)
                                    .values(heartbeat_at=now or utcnow())).rowcount
        if not moved:
            self._row(now or utcnow())

    def release(self) -> None:
        if self.postgres:
            self._close()
            return
        with Session(self.engine) as session, session.begin():
            session.execute(delete(ProcessLockRow).where(ProcessLockRow.name == self.name,
                                                         ProcessLockRow.holder == self.holder))

    def _advisory(self) -> None:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("SELECT set_config('application_name', :n, false)"), {"n": f"{self.name} {self.holder}"[:63]})
        if connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar():
            self.connection = connection
            return
        holder = connection.execute(text(
            "SELECT a.application_name || ' (pid ' || a.pid || coalesce(', ' || host(a.client_addr), '') || ')' "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.objid = :k AND l.granted"), {"k": self.key}).scalar()
        connection.close()
        raise AlreadyRunning(f"another {self.name} is running: {holder or 'unknown'}")

    def _row(self, now: datetime) -> None:
        with Session(self.writer) as session, session.begin():
            row = session.get(ProcessLockRow, self.name, with_for_update=True)
            if row is not None and row.holder != self.holder and row.heartbeat_at > now - self.stale:
                raise AlreadyRunning(f"another {self.name} is running: {row.holder} "
                                     f"(last seen {row.heartbeat_at.isoformat(timespec='seconds')})")
            if row is None:
                session.add(ProcessLockRow(name=self.name, holder=self.holder, heartbeat_at=now))
            else:
                row.holder, row.heartbeat_at = self.holder, now

    def _close(self, unlock: bool = True) -> None:
        """Unlock and discard the lock's connection (returned to the pool, it would keep the lock)."""
        if self.connection is not None:
            try:
                if unlock:
                    self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self.connection.invalidate()
                self.connection.close()
            except Exception:  # noqa: BLE001 — already gone
                pass
            self.connection = None
