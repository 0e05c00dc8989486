"""The first schema: sources, claims, countries, themes, actors, evidence.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 01:55:54.790869
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "actor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "kind IS NULL OR kind IN ('organization', 'person', 'product')",
            name=op.f("ck_actor_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actor")),
        sa.UniqueConstraint("name", name=op.f("uq_actor_name")),
    )
    op.create_table(
        "country",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_country")),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("container", sa.Text(), nullable=True),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("issued", sa.String(length=10), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("url_normalized", sa.Text(), nullable=True),
        sa.Column("doi", sa.String(length=255), nullable=True),
        sa.Column("accessed", sa.String(length=10), nullable=True),
        sa.Column("archived_url", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reports_on_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reports_on_id"],
            ["source.id"],
            name=op.f("fk_source_reports_on_id_source"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("doi", name=op.f("uq_source_doi")),
        sa.UniqueConstraint("key", name=op.f("uq_source_key")),
        sa.UniqueConstraint("url_normalized", name=op.f("uq_source_url_normalized")),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_reports_on_id"), ["reports_on_id"], unique=False
        )

    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
        sa.UniqueConstraint("path", name=op.f("uq_theme_path")),
    )
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("locator", sa.String(length=200), nullable=True),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("date_start", sa.Date(), nullable=True),
        sa.Column("date_end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(text) > 0", name=op.f("ck_claim_text_not_empty")),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_claim_source_id_source"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index("ix_claim_date_start", ["date_start", "id"], unique=False)
        batch_op.create_index("ix_claim_source_id", ["source_id", "date_start"], unique=False)

    op.create_table(
        "source_author",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("family", sa.Text(), nullable=True),
        sa.Column("given", sa.Text(), nullable=True),
        sa.Column("literal", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_source_author_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "position", name=op.f("pk_source_author")),
    )
    op.create_table(
        "claim_actor",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actor.id"], name=op.f("fk_claim_actor_actor_id_actor")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_actor_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor_id", "claim_id", name=op.f("pk_claim_actor")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("claim_actor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_actor_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_country",
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_country_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["country_code"], ["country.code"], name=op.f("fk_claim_country_country_code_country")
        ),
        sa.PrimaryKeyConstraint("country_code", "claim_id", name=op.f("pk_claim_country")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("claim_country", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_country_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_theme",
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_theme_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_claim_theme_theme_id_theme")
        ),
        sa.PrimaryKeyConstraint("theme_id", "claim_id", name=op.f("pk_claim_theme")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("claim_theme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_theme_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=10), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("evidence_claim_id", sa.Integer(), nullable=True),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("locator", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "relation IN ('supports', 'refutes', 'qualifies')", name=op.f("ck_evidence_relation")
        ),
        sa.CheckConstraint(
            "(source_id IS NULL) <> (evidence_claim_id IS NULL)",
            name=op.f("ck_evidence_one_target"),
        ),
        sa.CheckConstraint(
            "evidence_claim_id IS NULL OR evidence_claim_id <> claim_id",
            name=op.f("ck_evidence_not_self"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_evidence_claim_id_claim"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["evidence_claim_id"],
            ["claim.id"],
            name=op.f("fk_evidence_evidence_claim_id_claim"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_evidence_source_id_source"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_claim_id", ["claim_id", "relation"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_evidence_claim_id"), ["evidence_claim_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evidence_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_source_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_evidence_claim_id"))
        batch_op.drop_index("ix_evidence_claim_id")

    op.drop_table("evidence")
    with op.batch_alter_table("claim_theme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_theme_claim_id"))

    op.drop_table("claim_theme")
    with op.batch_alter_table("claim_country", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_country_claim_id"))

    op.drop_table("claim_country")
    with op.batch_alter_table("claim_actor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_actor_claim_id"))

    op.drop_table("claim_actor")
    op.drop_table("source_author")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_source_id")
        batch_op.drop_index("ix_claim_date_start")

    op.drop_table("claim")
    op.drop_table("theme")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_reports_on_id"))

    op.drop_table("source")
    op.drop_table("country")
    op.drop_table("actor")
