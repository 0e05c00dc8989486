"""The claim's date beside each theme link, so one theme's claims are read newest first.

Measured at 1M claims: country + theme + date range took 50 ms p50 collecting a theme's
~30k claims before sorting; walking (theme_id, date_start, claim_id) stops at the limit.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = [
    """CREATE TRIGGER claim_theme_date AFTER INSERT ON claim_theme
       WHEN NEW.date_start IS NULL BEGIN
        UPDATE claim_theme SET date_start = (SELECT date_start FROM claim WHERE id = NEW.claim_id)
        WHERE theme_id = NEW.theme_id AND claim_id = NEW.claim_id;
    END""",
    """CREATE TRIGGER claim_date_to_themes AFTER UPDATE OF date_start ON claim BEGIN
        UPDATE claim_theme SET date_start = NEW.date_start WHERE claim_id = NEW.id;
    END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION claim_theme_date() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.date_start IS NULL THEN
           SELECT date_start INTO NEW.date_start FROM claim WHERE id = NEW.claim_id;
         END IF;
         RETURN NEW;
       END $$""",
    "CREATE TRIGGER claim_theme_date BEFORE INSERT ON claim_theme "
    "FOR EACH ROW EXECUTE FUNCTION claim_theme_date()",
    """CREATE FUNCTION claim_date_to_themes() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE claim_theme SET date_start = NEW.date_start WHERE claim_id = NEW.id;
         RETURN NULL;
       END $$""",
    "CREATE TRIGGER claim_date_to_themes AFTER UPDATE OF date_start ON claim "
    "FOR EACH ROW EXECUTE FUNCTION claim_date_to_themes()",
]


def upgrade() -> None:
    op.add_column("claim_theme", sa.Column("date_start", sa.Date(), nullable=True))
    op.execute("UPDATE claim_theme SET date_start = "
               "(SELECT date_start FROM claim WHERE claim.id = claim_theme.claim_id)")
    op.create_index("ix_claim_theme_newest", "claim_theme",
                    ["theme_id", "date_start", "claim_id"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in ("DROP TRIGGER claim_date_to_themes ON claim",
                          "DROP FUNCTION claim_date_to_themes()",
                          "DROP TRIGGER claim_theme_date ON claim_theme",
                          "DROP FUNCTION claim_theme_date()"):
            op.execute(statement)
    else:
        op.execute("DROP TRIGGER claim_date_to_themes")
        op.execute("DROP TRIGGER claim_theme_date")
    op.drop_index("ix_claim_theme_newest", table_name="claim_theme")
    # SQLite 3.35+ drops a column in place; batch mode would rebuild the WITHOUT ROWID table.
    op.execute("ALTER TABLE claim_theme DROP COLUMN date_start")
