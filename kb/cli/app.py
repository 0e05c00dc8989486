"""The state one invocation carries: which database, opened (and migrated) only when needed."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.orm import Session

    from kb.db import Database


R = TypeVar("R")


class App:
    def __init__(self, db: str | None, debug: bool = False) -> None:
        self.db_option = db
        self.debug = debug
        self._database: Database | None = None
        self._opened: list[Database] = []  # every engine made, disposed of at the end

    @property
    def database(self) -> Database:
        """The database, created and migrated to head on first use."""
        if self._database is None:
            from kb.db import Database, resolve_url

            database = Database(resolve_url(self.db_option))
            self._opened.append(database)
            self._database = database
            database.ensure_current()
        return self._database

    def unmigrated(self) -> Database:
        """The database without migrating it (for `kb db ...`)."""
        from kb.db import Database, resolve_url

        database = Database(resolve_url(self.db_option))
        self._opened.append(database)
        return database

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.database.read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.database.write() as session:
            yield session

    def close(self) -> None:
        for database in self._opened:
            database.dispose()


_pass_app = click.make_pass_decorator(App)


def pass_app(command: Callable[..., R]) -> Callable[..., R]:
    """Hand a command the invocation's App as its first argument."""
    return _pass_app(command)
