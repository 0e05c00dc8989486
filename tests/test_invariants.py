"""Invariants behind the commands: the SQL standing equals the Python one, a failed migration
rolls back whole, and the "database unchanged" digest sees the schema as well as the rows."""

from __future__ import annotations

import itertools
import shutil
from typing import TYPE_CHECKING

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from kb.db import HEAD_REVISION, Database, alembic_config, resource_dir
from kb.models import (
    RELATIONS,
    STATUSES,
    Claim,
    ClaimRetraction,
    Evidence,
    Source,
    SourceNotice,
    utcnow,
)
from kb.services import status
from tests.backends import BACKEND, dump

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import KB

# One evidence link: (claim, relation, target), the target None for a source, else a claim.
Link = tuple[int, str, int | None]


@st.composite
def evidence_graphs(draw: st.DrawFn) -> tuple[int, list[Link]]:
    size = draw(st.integers(1, 6))
    index = st.integers(0, size - 1)
    links = draw(st.lists(st.tuples(index, st.sampled_from(RELATIONS), st.none() | index),
                          max_size=14, unique=True))
    return size, [link for link in links if link[0] != link[2]]  # never evidence for itself


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=evidence_graphs(), retracted=st.sets(st.integers(0, 5), max_size=3),
       source_retracted=st.booleans())
def test_the_sql_status_condition_is_the_python_standing(
        kb: KB, graph: tuple[int, list[Link]], retracted: set[int],
        source_retracted: bool) -> None:
    """`claim list --status S` (SQL) selects exactly the claims `derive` calls S (Python),
    with evidence resting on a retracted claim or a retracted source left out of both."""
    size, links = graph
    retracted = {i for i in retracted if i < size}
    database = Database(kb.url)
    try:
        with Session(database.engine) as session, session.begin():
            source = Source(key="s", type="report", title="S")
            claims = [Claim(source=source, text=f"claim {i}") for i in range(size)]
            session.add_all(claims)
            session.flush()
            cited = Source(key="e", type="report", title="E")
            session.add(cited)
            session.flush()
            for claim, relation, target in links:
                session.add(Evidence(
                    claim_id=claims[claim].id, relation=relation,
                    source_id=cited.id if target is None else None,
                    evidence_claim_id=None if target is None else claims[target].id))
            for index in retracted:
                session.add(ClaimRetraction(claim_id=claims[index].id, retracted_at=utcnow(),
                                            reason="r", actor="t"))
            if source_retracted:
                session.add(SourceNotice(source_id=cited.id, kind="retraction",
                                         recorded_by="t"))
            session.flush()
            relations: dict[int, set[str]] = {c.id: set() for c in claims}
            for claim, relation, target in links:
                if (target is None and not source_retracted) or (
                        target is not None and target not in retracted):
                    relations[claims[claim].id].add(relation)
            expected = {claim_id: status.derive(found) for claim_id, found in relations.items()}
            for name in STATUSES:
                selected = set(session.scalars(select(Claim.id).where(status.condition(name))))
                assert selected == {i for i, s in expected.items() if s == name}, name
            for pair in itertools.combinations(STATUSES, 2):  # a repeated --status: any of
                selected = set(session.scalars(select(Claim.id).where(status.any_of(pair))))
                assert selected == {i for i, s in expected.items() if s in pair}, pair
            assert status.statuses(session, expected) == expected
            session.rollback()
    finally:
        database.dispose()


FAILING_MIGRATION = '''"""Fails halfway, after batch mode began rebuilding a table."""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"


def upgrade() -> None:
    # On SQLite, a table rebuilt through _alembic_tmp_region; elsewhere a plain ALTER. (Not a
    # table the search view reads, as actor is since 0012: a rebuild must set that view aside.)
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("region", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(sa.Column("doomed", sa.Integer()))
    op.create_index("ix_doomed", "region", ["doomed"])
    op.execute("DELETE FROM claim_actor")
    raise RuntimeError("this migration fails")


def downgrade() -> None:
    pass
'''


def test_a_failing_migration_rolls_back_whole(seeded: KB, tmp_path: Path) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(resource_dir("migrations"), scripts)
    (scripts / "versions" / "9999_fails.py").write_text(
        FAILING_MIGRATION.format(head=HEAD_REVISION))
    config = alembic_config(seeded.url)
    config.set_main_option("script_location", str(scripts))
    before = dump(seeded.url)
    with pytest.raises(RuntimeError, match="this migration fails"):
        command.upgrade(config, "head")
    assert dump(seeded.url) == before  # no _alembic_tmp_region, no column, rows back
    database = Database(seeded.url)
    assert database.current_revision() == HEAD_REVISION
    database.dispose()
    seeded.ok("claim", "add", "--source", "npr2026china", "--text", "still usable")


def test_the_unchanged_digest_sees_the_schema(kb: KB) -> None:
    """A refused command that dropped an index or a trigger would not look "unchanged"."""
    engine = create_engine(kb.url)
    with engine.connect() as conn:
        index = inspect(conn).get_indexes("claim")[0]["name"]
        triggers = (conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
            if BACKEND == "sqlite" else conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars().all())
    assert triggers, "kb keeps its search index with triggers"
    before = dump(kb.url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {index}"))
    assert dump(kb.url) != before
    after_index = dump(kb.url)
    with engine.begin() as conn:
        if BACKEND == "sqlite":
            conn.execute(text(f"DROP TRIGGER {triggers[0]}"))
        else:
            table = conn.execute(text(
                "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = :name"),
                {"name": triggers[0]}).scalar_one()
            conn.execute(text(f'DROP TRIGGER "{triggers[0]}" ON {table}'))
    assert dump(kb.url) != after_index
    engine.dispose()
