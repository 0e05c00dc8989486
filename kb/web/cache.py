"""Results kept until the database changes: what a page counts over every claim (claims per
country, per month) is counted once, not once per visit.

A result is kept under a version of the database that changes whenever anything is
committed, read by the request before it reads anything else; an entry whose version still
matches is exact, never stale.

- SQLite: a connection's `PRAGMA data_version` changes whenever another connection commits
  (the server's own sessions, a `kb` command, anyone's), so a connection that only asks it is
  the database's change counter. Read before the session's first read, whose snapshot then
  holds at least what the counter had seen.
- PostgreSQL: the request's own snapshot, `pg_current_snapshot()` (xmin, xmax and the
  transactions in progress). Two equal snapshots see the same committed transactions; a
  commit after it (seen by a later statement of a READ COMMITTED request, or by the next
  request) either ends a transaction it lists as in progress or has an id past its xmax, so
  every later snapshot differs. Transactions of other databases of the cluster change it too,
  which only costs a count again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import text

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from sqlalchemy.orm import Session

    from kb.db import Database

T = TypeVar("T")
KEPT = 256  # results kept, the least recently used dropped first


class Versioned:
    def __init__(self, database: Database | None) -> None:
        """Results of `database` (None: nothing is kept)."""
        backend = database.engine.url.get_backend_name() if database else None
        path = database.engine.url.database if database and backend == "sqlite" else None
        self._watcher = (sqlite3.connect(path, check_same_thread=False)
                         if path and path != ":memory:" else None)
        self._snapshots = backend == "postgresql"
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[object, Any]] = OrderedDict()

    def version(self, session: Session) -> object | None:
        """The database's version for a session that has read nothing yet; None where there
        is none (an in-memory database; nothing is kept)."""
        if self._snapshots:
            return str(session.scalar(text("SELECT pg_current_snapshot()::text")))
        if self._watcher is None:
            return None
        with self._lock:
            # fetchall: the statement runs to its end, so the watcher holds no read
            # transaction open between requests (that would stop WAL checkpoints).
            return int(self._watcher.execute("PRAGMA data_version").fetchall()[0][0])

    def get(self, version: object | None, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()`'s result for `key`, kept while the counter stays at `version` (read
        before the session that computes it read anything)."""
        found = self.peek(version, key)
        if found is not None:
            return found
        value = compute()
        self.put(version, key, value)
        return value

    def peek(self, version: object | None, key: Hashable) -> Any:
        """What is kept for `key` at `version`, or None."""
        if version is None:
            return None
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or kept[0] != version:
                return None
            self._kept.move_to_end(key)
            return kept[1]

    def put(self, version: object | None, key: Hashable, value: Any) -> None:
        if version is None:
            return
        with self._lock:
            self._kept[key] = (version, value)
            self._kept.move_to_end(key)
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()


@dataclass
class Budgeted(Generic[T]):
    """A count made within a time budget: its value, or None when it ran out of time."""

    value: T | None
    budget: float

    @property
    def complete(self) -> bool:
        return self.value is not None

    @classmethod
    def of(cls, session: Session, budget: float, work: Callable[[], T]) -> Budgeted[T]:
        from kb.services.facets import TimedOut, time_limit

        if budget <= 0:
            return cls(None, budget)
        try:
            with time_limit(session, budget):
                return cls(work(), budget)
        except TimedOut:
            return cls(None, budget)
