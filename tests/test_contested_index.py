"""The claims with evidence both ways (migration 0013): kept exact by triggers through every
change to the evidence, filled by the upgrade, and what a contested listing reads."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from kb.db import Database
from kb.models import RELATIONS, Claim, Evidence, Source

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tests.conftest import KB

CLAIMS = 4
# A change to the evidence: add a link (claim, relation), remove the n-th link, or move the
# n-th link to another claim and relation.
Change = tuple[str, int, int, str]
changes = st.tuples(st.sampled_from(["add", "add", "remove", "move"]),
                    st.integers(0, CLAIMS - 1), st.integers(0, 20), st.sampled_from(RELATIONS))


def kept(conn: Session | Connection) -> set[int]:
    return set(conn.scalars(text("SELECT claim_id FROM claim_both_ways")))


def recomputed(conn: Session | Connection) -> set[int]:
    ways: dict[int, set[str]] = {}
    for claim_id, relation in conn.execute(select(Evidence.claim_id, Evidence.relation)):
        ways.setdefault(claim_id, set()).add(relation)
    return {claim_id for claim_id, found in ways.items() if {"supports", "refutes"} <= found}


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(changes, min_size=1, max_size=12))
def test_every_change_to_the_evidence_keeps_the_index_exact(kb: KB, steps: list[Change]
                                                            ) -> None:
    database = Database(kb.url)
    try:
        with Session(database.engine) as session, session.begin():
            source = Source(key="s", type="report", title="S")
            claims = [Claim(source=source, text=f"claim {i}") for i in range(CLAIMS)]
            session.add_all(claims)
            session.flush()
            for action, claim, n, relation in steps:
                links = session.scalars(select(Evidence.id).order_by(Evidence.id)).all()
                if action == "add":
                    session.add(Evidence(claim_id=claims[claim].id, relation=relation,
                                         source_id=source.id))
                elif links and action == "remove":
                    session.execute(delete(Evidence).where(Evidence.id == links[n % len(links)]))
                elif links:
                    session.execute(update(Evidence).where(Evidence.id == links[n % len(links)])
                                    .values(claim_id=claims[claim].id, relation=relation))
                session.flush()
                assert kept(session) == recomputed(session), (action, claim, relation)
            session.execute(delete(Claim).where(Claim.id == claims[0].id))  # links cascade
            assert kept(session) == recomputed(session)
            session.rollback()
    finally:
        database.dispose()


def test_the_upgrade_fills_the_index_and_a_downgrade_loses_nothing(seeded: KB) -> None:
    for relation, source in (("--supports", "ainews2026great"), ("--refutes", "npr2026china")):
        seeded.ok("evidence", "add", "3", relation, "--source", source)
    seeded.ok("evidence", "add", "7", "--refutes", "--claim", "1")
    seeded.ok("evidence", "add", "7", "--qualifies", "--claim", "2")
    database = Database(seeded.url)
    with database.engine.connect() as conn:
        assert kept(conn) == recomputed(conn) == {3}
    seeded.ok("db", "downgrade", "0012")  # no --yes: the index is derived, nothing is lost
    seeded.ok("db", "upgrade")
    with database.engine.connect() as conn:
        assert kept(conn) == {3}
    database.dispose()
    listed = json.loads(seeded.ok("claim", "list", "--status", "contested", "--format", "json"))
    assert [claim["id"] for claim in listed] == [3]
