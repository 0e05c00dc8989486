"""Regions as named sets of countries, claims about regions, and the edit history of claims.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("name", name=op.f("uq_region_name")),
    )
    op.create_table(
        "region_country",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"], ["country.code"], name=op.f("fk_region_country_country_code_country")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_region_country_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region_id", "country_code", name=op.f("pk_region_country")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "claim_region",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_region_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_claim_region_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region_id", "claim_id", name=op.f("pk_claim_region")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("claim_region", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_region_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_revision_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_revision")),
    )
    with op.batch_alter_table("claim_revision", schema=None) as batch_op:
        batch_op.create_index("ix_claim_revision_claim_id", ["claim_id", "id"], unique=False)

    backfill_history()


# The one revision of a claim whose past this upgrade cannot know (kb.services.revisions).
UNRECORDED = "unrecorded"


def backfill_history() -> None:
    """Each claim gets the first revision of its history, and it must be true.

    A claim its row says was never changed (updated_at = created_at) is as it was created:
    `created` at its creation, with its values. A claim changed since is not: nothing says
    what it was (a database from before history was kept, or one whose history a downgrade
    dropped), so its history begins here, `unrecorded` at the upgrade, with its values now;
    `kb claim history` says the history before this date was not kept. Recording its creation
    with its current values would say it was never edited.
    """
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    conn = op.get_bind()
    links = {
        name: _grouped(conn, sql)
        for name, sql in {
            "countries": "SELECT claim_id, country_code FROM claim_country",
            "themes": "SELECT ct.claim_id, t.path FROM claim_theme ct JOIN theme t "
            "ON t.id = ct.theme_id",
            "actors": "SELECT ca.claim_id, a.name FROM claim_actor ca JOIN actor a "
            "ON a.id = ca.actor_id",
        }.items()
    }
    claims = conn.execute(
        sa.text(
            "SELECT c.id, s.key, c.text, c.quote, c.locator, c.date, c.created_at, "
            "c.updated_at "
            "FROM claim c JOIN source s ON s.id = c.source_id ORDER BY c.id"
        )
    ).all()
    revision = sa.table(
        "claim_revision",
        sa.column("claim_id"),
        sa.column("action"),
        sa.column("changed_at", sa.DateTime),
        sa.column("snapshot"),
    )
    rows = [
        {
            "claim_id": c.id,
            "action": "created" if _unchanged(c) else UNRECORDED,
            "changed_at": _as_datetime(c.created_at) if _unchanged(c) else now,
            "snapshot": json.dumps(
                {
                    "source": c.key,
                    "text": c.text,
                    "quote": c.quote,
                    "locator": c.locator,
                    "date": c.date,
                    "countries": links["countries"].get(c.id, []),
                    "regions": [],
                    "themes": links["themes"].get(c.id, []),
                    "actors": links["actors"].get(c.id, []),
                },
                ensure_ascii=False,
            ),
        }
        for c in claims
    ]
    if rows:
        op.bulk_insert(revision, rows)


def _unchanged(claim: sa.Row[Any]) -> bool:
    return _as_datetime(claim.updated_at) == _as_datetime(claim.created_at)


def _grouped(conn: sa.Connection, sql: str) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for claim_id, value in conn.execute(sa.text(sql)):
        grouped.setdefault(claim_id, []).append(value)
    return {k: sorted(v) for k, v in grouped.items()}


def _as_datetime(value: object) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


# A claim about a region says, in 0001's shape, that it is about each member country: the
# nearest thing the older schema can hold (the region's name itself is lost, and an upgrade
# does not bring it back). `kb db downgrade` names what goes before it asks for --yes.
REGIONS_TO_COUNTRIES = (
    "INSERT INTO claim_country (country_code, claim_id) "
    "SELECT DISTINCT rc.country_code, cr.claim_id FROM claim_region cr "
    "JOIN region_country rc ON rc.region_id = cr.region_id "
    "WHERE NOT EXISTS (SELECT 1 FROM claim_country cc WHERE cc.claim_id = cr.claim_id "
    "AND cc.country_code = rc.country_code)")


def downgrade() -> None:
    op.execute(REGIONS_TO_COUNTRIES)
    # Those claims changed here (a region became countries): their rows say so, so that an
    # upgrade does not take their values now for the ones they were created with.
    op.get_bind().execute(
        sa.text("UPDATE claim SET updated_at = :now WHERE id IN "
                "(SELECT claim_id FROM claim_region)"),
        {"now": dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)})
    with op.batch_alter_table("claim_revision", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_revision_claim_id")

    op.drop_table("claim_revision")
    with op.batch_alter_table("claim_region", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_region_claim_id"))

    op.drop_table("claim_region")
    op.drop_table("region_country")
    op.drop_table("region")
