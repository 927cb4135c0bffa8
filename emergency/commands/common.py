"""What every command shares: settings, the database, --db and --json, and clean failures."""
from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from accounts import service as accounts
from accounts.permissions import Action, Actor, Forbidden, system
from config.settings import ConfigError
from emergency.context import Context


class Rejected(click.ClickException):
    """The request cannot be carried out; exit status 1 and a message saying what to change."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(f"错误 / error: {self.format_message()}", err=True)


class App(Context):
    """The application context of one command; a configuration that cannot be used exits 1."""

    def __init__(self, db_url: str | None):
        try:
            super().__init__(db_url=db_url)
        except ValidationError as exc:
            raise Rejected(f"invalid setting: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from exc
        except ConfigError as exc:
            raise Rejected(str(exc)) from exc

    def actor(self, session: Session, username: str, action: Action | None = None) -> Actor:
        """The active user named by --by, allowed to do `action`; exit 1 otherwise."""
        try:
            actor = accounts.acting(session, username)
            if action is not None:
                actor.require(action)
        except (accounts.BadUser, Forbidden) as exc:
            raise Rejected(str(exc)) from None
        return actor

    def operator(self, session: Session, username: str | None, action: Action) -> Actor:
        """The user named by --by; without it, the operator at this server's shell acts as the system
        (recorded as operator:OS_USER), as for `init` and `demo`."""
        if username is None:
            return system(f"operator:{getpass.getuser()}")
        return self.actor(session, username, action)

    def require_schema(self) -> None:
        from emergency.database import current_revision, head_revision

        try:
            current = current_revision(self.engine)
        except OperationalError as exc:
            raise Rejected(f"cannot open the database: {_first_line(exc)}") from exc
        if current != head_revision(self.engine):
            raise Rejected("the database schema is missing or out of date: run `emergency init` first")


def command(group: click.Group | None, name: str | None = None, json_output: bool = False, **kwargs) -> Callable:
    """A (sub)command with --db (and --json), an App in its first argument, and no tracebacks.

    With group None it is a standalone command, for the caller to add to a group."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(db: str | None, **params: Any) -> None:
            try:
                func(App(db), **params)
            except DBAPIError as exc:
                raise Rejected(f"database error: {_first_line(exc)}") from exc

        wrapped = click.option("--db", metavar="URL", envvar=None, default=None,
                               help="Database URL (default: EMERGENCY_DATABASE_URL, else sqlite:///emergency.db).")(wrapper)
        if json_output:
            wrapped = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(wrapped)
        return (group.command if group else click.command)(name, **kwargs)(wrapped)

    return decorate


def emit_json(document: Any) -> None:
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]


class TerminalProgress:
    """A progress bar on stderr when it is a terminal; silent otherwise."""

    LABELS = {"read": "读取 reading", "validate": "校验 validating", "write": "写入 writing"}

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=self.LABELS.get(stage, stage), file=sys.stderr, unit="row",
                            leave=False, dynamic_ncols=True)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
