"""Provenance: source texts (versioned, raw file kept), quote checks, retractions and notices,
stance and strength, and who made each change.

- `source_text`: one row per version of a source's text, the raw file in the row (see
  kb.models.SourceText for why in the database); `quote_check`: a claim's quote against one
  version.
- `claim_retraction` and `source_notice`: withdrawals and notices, nothing deleted.
- `change_log`: evidence added and removed, claims removed, retracted, superseded; claim
  creations are `claim.created_by` and edits `claim_revision.actor` (None before this
  revision: who made them was never recorded).
- `claim.stance` (default asserts), `stance_cues`, `attributed_to`; `evidence.strength`.

Columns are added with ALTER TABLE (no table rebuild): claim carries the full-text triggers,
which a batch rebuild would drop.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=10), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index("ix_change_log_at", ["changed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_change_log_source_key"), ["source_key"], unique=False)

    op.create_table(
        "source_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("notice_doi", sa.String(length=255), nullable=True),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_source_notice_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_notice")),
    )
    with op.batch_alter_table("source_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_notice_source_id"), ["source_id"], unique=False)

    op.create_table(
        "source_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("extractor", sa.String(length=40), nullable=False),
        sa.Column("extractor_version", sa.String(length=40), nullable=False),
        sa.Column("page_starts", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("retrieved", sa.String(length=10), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_source_text_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_text")),
    )
    with op.batch_alter_table("source_text", schema=None) as batch_op:
        batch_op.create_index("ix_source_text_source_id", ["source_id", "version"], unique=True)

    op.create_table(
        "claim_retraction",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("retracted_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_retraction_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["claim.id"],
            name=op.f("fk_claim_retraction_superseded_by_id_claim"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_claim_retraction")),
    )
    with op.batch_alter_table("claim_retraction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_retraction_superseded_by_id"), ["superseded_by_id"], unique=False
        )

    op.create_table(
        "quote_check",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("text_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("anchor_start", sa.Integer(), nullable=True),
        sa.Column("anchor_end", sa.Integer(), nullable=True),
        sa.Column("exact", sa.Text(), nullable=True),
        sa.Column("prefix", sa.Text(), nullable=True),
        sa.Column("suffix", sa.Text(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("nearest", sa.Text(), nullable=True),
        sa.Column("warnings", sa.Text(), nullable=True),
        sa.Column("normaliser_version", sa.Integer(), nullable=False),
        sa.Column("reanchored", sa.String(length=10), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_by", sa.String(length=200), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_quote_check_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["text_id"],
            ["source_text.id"],
            name=op.f("fk_quote_check_text_id_source_text"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "text_id", name=op.f("pk_quote_check")),
    )
    with op.batch_alter_table("quote_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_check_text_id"), ["text_id"], unique=False)

    op.add_column("claim", sa.Column("created_by", sa.String(length=200), nullable=True))
    op.add_column(
        "claim", sa.Column("stance", sa.String(length=10), server_default="asserts", nullable=False)
    )
    op.add_column("claim", sa.Column("stance_cues", sa.Text(), nullable=True))
    op.add_column("claim", sa.Column("attributed_to", sa.Text(), nullable=True))

    op.add_column("claim_revision", sa.Column("actor", sa.String(length=200), nullable=True))

    op.add_column("evidence", sa.Column("strength", sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.drop_column("evidence", "strength")

    op.drop_column("claim_revision", "actor")

    op.drop_column("claim", "attributed_to")
    op.drop_column("claim", "stance_cues")
    op.drop_column("claim", "stance")
    op.drop_column("claim", "created_by")

    with op.batch_alter_table("quote_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_check_text_id"))

    op.drop_table("quote_check")
    with op.batch_alter_table("claim_retraction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_retraction_superseded_by_id"))

    op.drop_table("claim_retraction")
    with op.batch_alter_table("source_text", schema=None) as batch_op:
        batch_op.drop_index("ix_source_text_source_id")

    op.drop_table("source_text")
    with op.batch_alter_table("source_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_notice_source_id"))

    op.drop_table("source_notice")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_log_source_key"))
        batch_op.drop_index("ix_change_log_at")

    op.drop_table("change_log")
