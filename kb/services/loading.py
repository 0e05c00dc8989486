"""Loading many rows at once on PostgreSQL: COPY, and planner statistics that keep up.

Measured on an import of 20,000 bench claims (bench/postgres.py's corpus) into a small analysed
database, in CPU seconds of the client and the server:

- executemany sends, binds and executes one INSERT per row; COPY streams a table's rows as
  one statement: client 5.9 -> 3.1 s, server 7.8 -> 5.1 s. SQLite keeps Core executemany
  (STYLE §3: ~65% of raw sqlite3's rate).
- A foreign-key check is a statement PostgreSQL prepares once per session; after five runs it
  keeps a generic plan costed with the statistics of that moment. Analysed while `source` held
  51 rows (one page), `source.id = $1` became a sequential scan, so each new claim read every
  source (196 us a check at 1,000 sources; issue 11 saw 1.25 billion rows read for 50k claims
  by the same mechanism). `Statistics` analyses a table the load has doubled: ANALYZE inside
  the transaction counts the transaction's own rows and drops the plans made for the small
  table. Planning every statement for its values instead (`plan_cache_mode =
  force_custom_plan`) also stays linear but took the server from 5.0 to 11.0 s: kb uses it only
  for a role that may not ANALYZE (PostgreSQL 15: the table's owner may).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from sqlalchemy import Table
    from sqlalchemy.orm import Session

# Analysing a table smaller than this buys nothing: a scan of it costs less than the ANALYZE.
MIN_GROWTH = 100


def insert_many(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys: COPY on PostgreSQL, executemany on SQLite.

    Triggers and constraints apply to COPY as to INSERT; a refusal is raised as SQLAlchemy
    raises the same refusal from an INSERT (kb.db.translate_errors words it)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    import psycopg

    columns = list(rows[0])
    statement = f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN'
    connection = session.connection().connection.driver_connection
    assert isinstance(connection, psycopg.Connection)
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def owns(session: Session, table: str) -> bool:
    """Whether this role may ANALYZE `table` and disable its triggers (PostgreSQL: its owner,
    a member of the owning role, or a superuser)."""
    return bool(session.scalar(text(
        "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = to_regclass(:t)"),
        {"t": table}))


class Statistics:
    """Planner statistics for the tables a bulk load grows (PostgreSQL; nothing on SQLite).

    `grown({table: added})` after each batch: a table is analysed once the rows added since
    its statistics were taken outnumber the rows they counted, so there are about log2(final /
    first) ANALYZEs, each reading a sample (at most 30,000 rows at PostgreSQL's default
    statistics target): the load stays linear whatever the statistics were before it. The
    first batch runs on the statistics it found: what a stale plan costs there is bounded by
    the batch's size, not the file's.
    """

    def __init__(self, session: Session, tables: Iterable[str]) -> None:
        self.session = session
        self.counted: dict[str, float] = {}  # rows the table's statistics count
        self.added_then: dict[str, int] = {}  # rows this load had added when they were taken
        if session.get_bind().dialect.name != "postgresql":
            return
        tables = list(tables)
        if not all(owns(session, t) for t in tables):
            session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            return
        for table in tables:
            self.counted[table] = self._counted(table)
            self.added_then[table] = 0

    def _counted(self, table: str) -> float:
        # reltuples is -1 for a table never analysed: PostgreSQL then plans by its size on disk.
        return float(self.session.scalar(text(
            "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = to_regclass(:t)"),
            {"t": table}) or 0)

    def grown(self, added: Mapping[str, int]) -> None:
        """This load has added so many rows to each table so far (an estimate serves: it only
        decides when to analyse)."""
        for table, rows in added.items():
            if table not in self.counted:
                continue
            if rows - self.added_then[table] >= max(self.counted[table], MIN_GROWTH):
                self.session.execute(text(f'ANALYZE "{table}"'))
                self.counted[table] = self._counted(table)
                self.added_then[table] = rows
