"""Sources as real libraries hold them: EDTF dates with their span, every CSL variable, shared
URLs, and a history of changes.

- `issued` and `accessed` hold EDTF (ISO 8601-2) instead of `YYYY[-MM[-DD]]` (which is EDTF
  level 0, so every stored value stays valid); `issued_literal` keeps a date with no EDTF form;
  `issued_start`/`issued_end` are the span as day numbers (proleptic Gregorian ordinals, which
  reach before year 1 where SQL dates and Python's `date` do not), indexed for queries.
- `extra`: every other CSL variable of the work, as JSON.
- `url_normalized` is no longer unique (distinct works share placeholder URLs); it is indexed.
- `source_revision`: create/edit/overwrite/delete, with before/after JSON, who and when.

Downgrade is lossy by nature: `extra`, literals and histories go, dates that are not plain
become NULL, and of several sources sharing a URL only the first keeps it.

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _span(value: str) -> tuple[int | None, int | None]:
    """The span of a stored `YYYY[-MM[-DD]]` (all this revision's predecessors allowed)."""
    try:
        parts = [int(p) for p in value.split("-")]
        year, month, day = [*parts, 0, 0][:3]
        start = dt.date(year, month or 1, day or 1)
        if day:
            end = start
        else:
            last_month = month or 12
            end = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
    except (ValueError, TypeError):
        return None, None
    return start.toordinal(), end.toordinal()


def _sqlite_triggers() -> list[str]:
    """Every trigger's SQL: a table rebuild drops the source's and trips the others'."""
    rows = op.get_bind().execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")).all()
    for name, _sql in rows:
        op.execute(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in rows]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = _sqlite_triggers() if sqlite else []
    with op.batch_alter_table("source", recreate="always" if sqlite else "auto") as batch:
        batch.drop_constraint("uq_source_url_normalized", type_="unique")
        batch.alter_column("issued", type_=sa.Text(), existing_type=sa.String(length=10))
        batch.alter_column("accessed", type_=sa.Text(), existing_type=sa.String(length=10))
        batch.add_column(sa.Column("issued_literal", sa.Text(), nullable=True))
        batch.add_column(sa.Column("issued_start", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("issued_end", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))
        batch.create_index("ix_source_url_normalized", ["url_normalized"], unique=False)
        batch.create_index("ix_source_issued_start", ["issued_start", "issued_end"],
                           unique=False)
    for statement in triggers:
        op.execute(statement)
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, issued FROM source WHERE issued IS NOT NULL")).all()
    for source_id, issued in rows:
        start, end = _span(issued)
        bind.execute(sa.text("UPDATE source SET issued_start = :s, issued_end = :e "
                             "WHERE id = :id"), {"s": start, "e": end, "id": source_id})
    op.create_table(
        "source_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"],
                                name=op.f("fk_source_revision_source_id_source"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_revision")),
    )
    op.create_index("ix_source_revision_key", "source_revision", ["source_key", "id"])
    op.create_index("ix_source_revision_source_id", "source_revision", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_source_revision_source_id", table_name="source_revision")
    op.drop_index("ix_source_revision_key", table_name="source_revision")
    op.drop_table("source_revision")
    op.execute("UPDATE source SET issued = NULL WHERE length(issued) > 10 "
               "OR issued LIKE '%-2_' OR issued LIKE '%X%' OR issued LIKE '-%'")
    op.execute("UPDATE source SET accessed = NULL WHERE length(accessed) > 10 "
               "OR accessed LIKE '%-2_' OR accessed LIKE '%X%' OR accessed LIKE '-%'")
    op.execute("UPDATE source SET url_normalized = NULL WHERE id NOT IN "
               "(SELECT min(id) FROM source WHERE url_normalized IS NOT NULL "
               "GROUP BY url_normalized)")
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = _sqlite_triggers() if sqlite else []
    with op.batch_alter_table("source", recreate="always" if sqlite else "auto") as batch:
        batch.drop_index("ix_source_issued_start")
        batch.drop_index("ix_source_url_normalized")
        batch.drop_column("extra")
        batch.drop_column("issued_end")
        batch.drop_column("issued_start")
        batch.drop_column("issued_literal")
        batch.alter_column("accessed", type_=sa.String(length=10), existing_type=sa.Text())
        batch.alter_column("issued", type_=sa.String(length=10), existing_type=sa.Text())
        batch.create_unique_constraint("uq_source_url_normalized", ["url_normalized"])
    for statement in triggers:
        op.execute(statement)
