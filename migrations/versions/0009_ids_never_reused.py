"""Ids never given twice, and locators without a length limit, on both backends.

SQLite: claim, evidence and source get `AUTOINCREMENT`, so the id of a deleted row (the newest
claim, say) is never handed out again: without it SQLite takes max(id) + 1, and a citation of
"claim 50220" would silently point at another claim. SQLite cannot add AUTOINCREMENT to a table,
so each is rebuilt (create, copy with its ids, drop, rename; SQLite's "12 steps"). The rename
checks every view and trigger in the schema, so all of them (the full-text triggers and view of
0007, the theme-date triggers of 0004) are set aside first and created again from their own
SQL at the end, as are the table's indexes. PostgreSQL's serial sequences never go back by
themselves; kb's bulk writers keep it so (kb/services/fulltext.py `follow_ids`).

Both: a locator (claim, evidence) was VARCHAR(200): SQLite kept 300 characters, PostgreSQL
refused them, so a laptop's database did not copy to the team's server. A bound there serves
nobody (a locator is a page, a paragraph, a timestamp, or a longer description of where):
it becomes TEXT. The downgrade refuses, naming the row, rather than cut a longer locator.

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("source", "claim", "evidence")
LOCATORS = ("claim", "evidence")
LOCATOR_LIMIT = 200


def _rebuild_sqlite(autoincrement: bool) -> None:
    conn = op.get_bind()
    # Views and triggers anywhere in the schema, in the order they were made.
    kept = conn.execute(sa.text(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') "
        "AND sql IS NOT NULL ORDER BY rowid")).all()
    for kind, name, _sql in reversed(kept):
        conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    for table in TABLES:
        create = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                      "AND name = :t"), {"t": table}).scalar_one()
        indexes = conn.execute(sa.text(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
            "AND sql IS NOT NULL ORDER BY rowid"), {"t": table}).scalars().all()
        body = create.split("(", 1)[1]
        if autoincrement:
            body = body.replace(f"\tCONSTRAINT pk_{table} PRIMARY KEY (id), \n", "", 1)
            body = body.replace("\tid INTEGER NOT NULL, ",
                                f"\tid INTEGER NOT NULL CONSTRAINT pk_{table} PRIMARY KEY "
                                "AUTOINCREMENT, ", 1)
            if table in LOCATORS:
                body = body.replace(f"locator VARCHAR({LOCATOR_LIMIT})", "locator TEXT", 1)
        else:
            body = re.sub(rf"\tid INTEGER NOT NULL CONSTRAINT pk_{table} PRIMARY KEY "
                          r"AUTOINCREMENT, ", "\tid INTEGER NOT NULL, ", body, count=1)
            body = body.replace("\tCONSTRAINT ", f"\tCONSTRAINT pk_{table} PRIMARY KEY (id), "
                                "\n\tCONSTRAINT ", 1)
            if table in LOCATORS:
                body = body.replace("locator TEXT", f"locator VARCHAR({LOCATOR_LIMIT})", 1)
        if ("AUTOINCREMENT" in body) != autoincrement:
            raise RuntimeError(f"migration 0009: table {table} is not in the expected shape")
        conn.exec_driver_sql(f"CREATE TABLE {table}__0009 ({body}")
        conn.exec_driver_sql(f"INSERT INTO {table}__0009 SELECT * FROM {table}")
        conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql(f"ALTER TABLE {table}__0009 RENAME TO {table}")
        for statement in indexes:
            conn.exec_driver_sql(statement)
    for _kind, _name, sql in kept:
        conn.exec_driver_sql(sql)


def _refuse_long_locators() -> None:
    conn = op.get_bind()
    for table in LOCATORS:
        row = conn.execute(sa.text(f"SELECT id FROM {table} WHERE length(locator) > "
                                   f"{LOCATOR_LIMIT} ORDER BY id LIMIT 1")).first()
        if row is not None:
            raise RuntimeError(
                f"{table} {row[0]} has a locator longer than {LOCATOR_LIMIT} characters, "
                "which the older schema cannot hold; shorten it first (nothing was changed)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LOCATORS:
            op.alter_column(table, "locator", type_=sa.Text(),
                            existing_type=sa.String(LOCATOR_LIMIT))
        return
    _rebuild_sqlite(autoincrement=True)


def downgrade() -> None:
    _refuse_long_locators()
    if op.get_bind().dialect.name == "postgresql":
        for table in LOCATORS:
            op.alter_column(table, "locator", type_=sa.String(LOCATOR_LIMIT),
                            existing_type=sa.Text())
        return
    _rebuild_sqlite(autoincrement=False)
