"""Newest first from the index on PostgreSQL: claims by `date_start DESC NULLS LAST, id DESC`.

Every listing shows the newest claims first and the undated last. SQLite reads that order from
its plain (date_start, id) indexes backwards (its DESC puts NULLs last). A backward scan of the
same index on PostgreSQL gives the undated first, so PostgreSQL sorted every claim instead:
`kb claim list`'s first 50 of 100,000 took ~170 ms there against ~1 ms here. The two indexes a
listing walks, the claims' and one theme's links', are made again on PostgreSQL in the order
the listings read (kb.models.on_backend); SQLite keeps its own.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the index 0001 made and its columns, the index in the listings' order and its
# columns). Each backend's index has its own name: Alembic compares indexes by name.
INDEXES = [
    ("claim", "ix_claim_date_start", "date_start, id",
     "ix_claim_newest_first", "date_start DESC NULLS LAST, id DESC"),
    ("claim_theme", "ix_claim_theme_newest", "theme_id, date_start, claim_id",
     "ix_claim_theme_newest_first", "theme_id, date_start DESC NULLS LAST, claim_id DESC"),
]


def _remake(newest_first: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, plain, plain_columns, newest, newest_columns in INDEXES:
        drop, make, columns = ((plain, newest, newest_columns) if newest_first
                               else (newest, plain, plain_columns))
        op.execute(f"DROP INDEX {drop}")
        op.execute(f"CREATE INDEX {make} ON {table} ({columns})")


def upgrade() -> None:
    _remake(newest_first=True)


def downgrade() -> None:
    _remake(newest_first=False)
