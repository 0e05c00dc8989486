"""Results kept until the database changes: what a page counts over every claim (claims per
country, per month) is counted once, not once per visit.

A SQLite connection's `PRAGMA data_version` changes whenever another connection commits (the
server's own sessions, a `kb` command, anyone's), so a connection that only asks it is the
database's change counter. A request reads the counter before its session reads anything (the
session's snapshot then holds at least what the counter had seen), and a result is kept under
the counter's value: an entry whose value still matches is exact, never stale.

PostgreSQL has no such counter a role can read cheaply and exactly; there every result is
counted again (each page keeps its own time budget).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from kb.db import Database

KEPT = 256  # results kept, the least recently used dropped first


class Versioned:
    def __init__(self, database: Database | None) -> None:
        """Results of `database` (None: nothing is kept)."""
        url = database.engine.url if database else None
        path = url.database if url and url.get_backend_name() == "sqlite" else None
        self._watcher = (sqlite3.connect(path, check_same_thread=False)
                         if path and path != ":memory:" else None)
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()

    def version(self) -> int | None:
        """The database's change counter now; None where there is none (nothing is kept)."""
        if self._watcher is None:
            return None
        with self._lock:
            return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    def get(self, version: int | None, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()`'s result for `key`, kept while the counter stays at `version` (read
        before the session that computes it read anything)."""
        found = self.peek(version, key)
        if found is not None:
            return found
        value = compute()
        self.put(version, key, value)
        return value

    def peek(self, version: int | None, key: Hashable) -> Any:
        """What is kept for `key` at `version`, or None."""
        if version is None:
            return None
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or kept[0] != version:
                return None
            self._kept.move_to_end(key)
            return kept[1]

    def put(self, version: int | None, key: Hashable, value: Any) -> None:
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
