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

# index: (table, columns as 0001 made them, columns in the listings' order)
INDEXES = {
    "ix_claim_date_start": ("claim", "date_start, id", "date_start DESC NULLS LAST, id DESC"),
    "ix_claim_theme_newest": ("claim_theme", "theme_id, date_start, claim_id",
                              "theme_id, date_start DESC NULLS LAST, claim_id DESC"),
}


def _remake(newest_first: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, plain, newest) in INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON {table} ({newest if newest_first else plain})")


def upgrade() -> None:
    _remake(newest_first=True)


def downgrade() -> None:
    _remake(newest_first=False)
