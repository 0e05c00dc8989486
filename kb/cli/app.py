"""The state one invocation carries: which database, opened (and migrated) only when needed."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import click

from kb.errors import LARGEST_INTEGER

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.orm import Session

    from kb.db import Database


R = TypeVar("R")
MAX_NOTICES = 5
# An id as kb stores it; larger (or below its negative) is a usage error.
ID = click.IntRange(-LARGEST_INTEGER - 1, LARGEST_INTEGER)
ID.name = "integer"  # "'abc' is not a valid integer", as before the range


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

            database = Database(resolve_url(self.db_option), on_wait=_say_waiting)
            self._opened.append(database)
            self._database = database
            database.ensure_current()
        return self._database

    def unmigrated(self) -> Database:
        """The database without migrating it (for `kb db ...`)."""
        from kb.db import Database, resolve_url

        database = Database(resolve_url(self.db_option), on_wait=_say_waiting)
        self._opened.append(database)
        return database

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.database.read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        from kb.services import notices

        with self.database.write() as session:
            yield session
        # Said once the change has committed: a refused command announces nothing. A seed or
        # an import that brings many new themes is told as a count, not a page of lines.
        said = notices.of(session)
        kinds = Counter(kind for kind, _ in said)
        for kind, notice in said:
            if kinds[kind] <= MAX_NOTICES:
                click.echo(notice, err=True)
        for kind, count in kinds.items():
            if count > MAX_NOTICES:
                click.echo(f"{count} new {kind}s (see `kb {kind}s`)", err=True)

    def close(self) -> None:
        for database in self._opened:
            database.dispose()


def _say_waiting() -> None:
    from kb.db import WAITING

    click.echo(WAITING, err=True)


_pass_app = click.make_pass_decorator(App)


def pass_app(command: Callable[..., R]) -> Callable[..., R]:
    """Hand a command the invocation's App as its first argument."""
    return _pass_app(command)
