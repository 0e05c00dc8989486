"""An index of the claims with evidence both ways: the candidates for "contested".

A claim is contested when counted evidence both supports and refutes it (kb.services.status);
standing stays derived, never stored, because what counts changes with retractions and notices
far from the evidence rows. But contested claims are rare, and finding the few among a million
claims read every refuting link (~180 ms at 1M claims, past `kb serve`'s 150 ms). This table
holds each claim that has at least one `supports` and one `refutes` link, counted or not: a
superset of the contested claims, a pure function of the evidence rows, kept exact by triggers
on `evidence` as the full-text indexes are kept on their tables. A contested listing then
checks only these claims.

The triggers: a new link of one way adds its claim if the claim has a link the other way; a
removed link drops its claim unless the claim still has a link that way (the other way's links
are untouched); a changed link (claim or relation) does both. kb's writers hold the write lock
(kb.db.take_write_lock), so two links added at once to one claim, one each way, cannot both miss
each other on PostgreSQL.

Like the full-text tables, this one is derived: not in the models, not copied by `kb db copy`
(the target's triggers fill it as the evidence arrives), not counted as data a downgrade loses.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAYS = "('supports', 'refutes')"


def _has(link: str, relation: str) -> str:
    return (f"EXISTS (SELECT 1 FROM evidence WHERE claim_id = {link}.claim_id "
            f"AND relation = {relation})")


def _other_way(link: str) -> str:
    return f"CASE {link}.relation WHEN 'supports' THEN 'refutes' ELSE 'supports' END"


# Claims whose link `link` just went: dropped unless another link goes the same way.
def _forget(link: str) -> str:
    return (f"DELETE FROM claim_both_ways WHERE claim_id = {link}.claim_id "
            f"AND {link}.relation IN {WAYS} AND NOT {_has(link, f'{link}.relation')}")


FILL = ("INSERT INTO claim_both_ways (claim_id) SELECT DISTINCT e.claim_id FROM evidence e "
        "WHERE e.relation = 'refutes' AND EXISTS (SELECT 1 FROM evidence o "
        "WHERE o.claim_id = e.claim_id AND o.relation = 'supports')")
TABLE = "CREATE TABLE claim_both_ways (claim_id INTEGER NOT NULL PRIMARY KEY)"

SQLITE_NOTE = (f"INSERT OR IGNORE INTO claim_both_ways (claim_id) SELECT NEW.claim_id "
               f"WHERE NEW.relation IN {WAYS} AND {_has('NEW', _other_way('NEW'))}")
SQLITE_UP = [
    TABLE,
    f"CREATE TRIGGER claim_both_ways_added AFTER INSERT ON evidence BEGIN {SQLITE_NOTE}; END",
    f"CREATE TRIGGER claim_both_ways_removed AFTER DELETE ON evidence BEGIN {_forget('OLD')}; "
    "END",
    "CREATE TRIGGER claim_both_ways_moved AFTER UPDATE OF claim_id, relation ON evidence "
    f"BEGIN {_forget('OLD')}; {SQLITE_NOTE}; END",
    FILL,
]
SQLITE_DOWN = [
    "DROP TRIGGER claim_both_ways_moved",
    "DROP TRIGGER claim_both_ways_removed",
    "DROP TRIGGER claim_both_ways_added",
    "DROP TABLE claim_both_ways",
]

POSTGRES_NOTE = (f"INSERT INTO claim_both_ways (claim_id) SELECT NEW.claim_id "
                 f"WHERE NEW.relation IN {WAYS} AND {_has('NEW', _other_way('NEW'))} "
                 "ON CONFLICT (claim_id) DO NOTHING")
POSTGRES_UP = [
    TABLE,
    f"""CREATE FUNCTION claim_both_ways_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') THEN
           {_forget('OLD')};
         END IF;
         IF TG_OP IN ('UPDATE', 'INSERT') THEN
           {POSTGRES_NOTE};
         END IF;
         RETURN NULL;
       END $$""",
    "CREATE TRIGGER claim_both_ways_sync AFTER INSERT OR DELETE OR UPDATE OF claim_id, relation "
    "ON evidence FOR EACH ROW EXECUTE FUNCTION claim_both_ways_sync()",
    FILL,
]
POSTGRES_DOWN = [
    "DROP TRIGGER claim_both_ways_sync ON evidence",
    "DROP FUNCTION claim_both_ways_sync()",
    "DROP TABLE claim_both_ways",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
