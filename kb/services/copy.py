"""Copy a whole kb database into another, empty one: every row of every table, ids kept.

This is how a SQLite database moves to a shared PostgreSQL server (or back) with nothing
left behind: edit history, actor kinds, evidence ids and timestamps travel as they are.
Full-text indexes are not copied; the target's triggers build them as the rows arrive. The id
counters travel too: an id the original ever gave, to a row deleted since, the copy never gives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, select, text, update

from kb.errors import Conflict
from kb.models import Base
from kb.services import fulltext

if TYPE_CHECKING:
    from sqlalchemy import Column, Table
    from sqlalchemy.orm import Session

BATCH = 5000


def copy_all(source: Session, target: Session) -> dict[str, int]:
    """Rows copied per table, parents before children, in the caller's two transactions."""
    tables = Base.metadata.sorted_tables
    for table in tables:
        if target.scalar(select(select(table).exists())):
            raise Conflict(f"the target database already holds data (table {table.name}); "
                           "copy into a new, empty database")
    if source.get_bind().dialect.name == "postgresql":
        # One snapshot for every table, however long the copy takes.
        source.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    counts = {table.name: _copy_table(source, target, table) for table in tables}
    for table in tables:
        if _is_serial(table):
            # The counters too: an id the original gave (to a row deleted since) is never
            # given again by the copy.
            fulltext.carry_ids(target, table.name, fulltext.last_id(source, table.name))
    return counts


def _copy_table(source: Session, target: Session, table: Table) -> int:
    # A row may point at a later row of its own table (a source reporting on another):
    # insert those links empty and fill them once every row exists.
    self_links = [c for c in table.c if any(fk.column.table is table for fk in c.foreign_keys)]
    later: dict[str, list[dict[str, object]]] = {column.name: [] for column in self_links}
    copied = 0
    result = source.connection().execution_options(stream_results=True).execute(
        select(table).order_by(*table.primary_key.columns))
    for rows in result.mappings().partitions(BATCH):
        batch = [dict(row) for row in rows]
        for row in batch:
            for name, links in later.items():
                if row[name] is not None:
                    links.append({"pk": row[_pk(table).name], "value": row[name]})
                    row[name] = None
        target.execute(insert(table), batch)
        copied += len(batch)
    for name, links in later.items():
        if links:
            target.execute(update(table).where(_pk(table) == bindparam("pk"))
                           .values({name: bindparam("value")}), links)
    return copied


def _pk(table: Table) -> Column[object]:
    (column,) = table.primary_key.columns
    return column


def _is_serial(table: Table) -> bool:
    columns = list(table.primary_key.columns)
    return len(columns) == 1 and columns[0].name == "id" and columns[0].autoincrement in (
        True, "auto")
