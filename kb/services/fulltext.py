"""Upkeep the database does beside the rows: the full-text index, and id sequences.

Bulk writers (the claim import) pause the per-row index trigger and fill the index once at the
end, and move PostgreSQL's id sequence past ids they chose themselves. Both live here, once:
how a claim's search document is made is the triggers' and these fills' (migrations 0003-0010).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from kb.models import Claim, Source

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.orm import Session

# The trigger that indexes each new claim (migrations 0003, 0007, 0012).
INSERT_TRIGGER = "claim_fts_insert"
# What a claim's document holds (text, quote, source title, actors' names) is defined once,
# by the view claim_fts_text (migration 0012); the triggers index from it too. A claim the
# import added and then changed (a title edit, an edit) is indexed already by the update
# triggers; indexing it twice would corrupt the external-content index (0007). The links of
# the import's own claims cost no index work: their triggers skip unindexed claims (0012).
REFILL = ("INSERT INTO claim_fts (rowid, text, quote, title, actors) "
          "SELECT id, text, quote, title, actors FROM claim_fts_text "
          "WHERE id > :after AND id NOT IN (SELECT id FROM claim_fts_docsize)")
# PostgreSQL: the triggers that index a new or changed claim (migration 0003) and source
# (0011), and what stands for them after a bulk load: the same documents, made by the same
# functions (claim_fts_refresh, from the view claim_fts_text: 0012; source_fts_refresh: 0011),
# for every row it added, links to actors included (the refill reads them all at the end).
POSTGRES_TRIGGERS = (("claim", "claim_fts_sync"), ("claim_actor", "claim_fts_actor_sync"),
                     ("source", "source_fts_sync"), ("source_author", "source_fts_author_sync"))
POSTGRES_REFILL = "SELECT claim_fts_refresh(ARRAY(SELECT id FROM claim WHERE id > :after))"
POSTGRES_SOURCE_REFILL = "SELECT source_fts_refresh(id) FROM source WHERE id > :after"


@contextmanager
def index_paused(session: Session) -> Iterator[None]:
    """Claims inserted inside are indexed in one statement at the end, not row by row.

    SQLite: FTS5 kept by a per-row trigger triples the cost of a bulk load (STYLE §9). The
    import holds the write lock, so nobody searches a half-filled index; an error inside rolls
    the dropped trigger back with everything else.

    PostgreSQL: the claim and source index triggers (a PL/pgSQL call and an INSERT per row)
    are disabled inside the import's transaction, which rolls that back too on an error;
    readers are not blocked (the lock it takes, SHARE ROW EXCLUSIVE, stops only other writers,
    who wait for the import's write lock anyway). Measured (claims' trigger): server CPU 14.4
    -> 7.8 s for 20,000 claims. A role that does not own the tables may not disable their
    triggers: its rows are indexed one by one.
    """
    if session.get_bind().dialect.name == "postgresql":
        with _postgres_index_paused(session):
            yield
        return
    trigger = session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                  "AND name = :name"), {"name": INSERT_TRIGGER})
    after = session.scalar(select(func.max(Claim.id))) or 0
    if trigger:
        session.execute(text(f"DROP TRIGGER {INSERT_TRIGGER}"))
    yield
    if trigger:
        session.execute(text(REFILL), {"after": after})
        session.execute(text(trigger))
    session.execute(text("PRAGMA optimize"))


@contextmanager
def _postgres_index_paused(session: Session) -> Iterator[None]:
    from kb.services.loading import owns

    if not all(owns(session, table) for table, _ in POSTGRES_TRIGGERS):
        yield
        return
    after = session.scalar(select(func.max(Claim.id))) or 0
    after_source = session.scalar(select(func.max(Source.id))) or 0
    for table, trigger in POSTGRES_TRIGGERS:
        session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    yield
    # Rows the import added and then changed are filled with what they hold now. The import
    # adds sources and claims; it changes no row that was there before it.
    session.execute(text(POSTGRES_REFILL), {"after": after})
    session.execute(text(POSTGRES_SOURCE_REFILL), {"after": after_source})
    for table, trigger in POSTGRES_TRIGGERS:
        session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))


def last_id(session: Session, table: str) -> int:
    """The highest id `table` has ever handed out, deleted rows included: a bulk writer that
    chooses ids itself starts after it, so an id once given is never given again.

    SQLite: max(id) and the AUTOINCREMENT counter (sqlite_sequence, migration 0009);
    PostgreSQL: max(id) and the serial sequence's position.
    """
    highest = session.scalar(text(f"SELECT max(id) FROM {table}")) or 0
    if session.get_bind().dialect.name == "postgresql":
        sequence = session.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
        last, called = session.execute(
            text(f"SELECT last_value, is_called FROM {sequence}")).one()
        return int(max(highest, last if called else last - 1))
    counter = session.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = :t"),
                             {"t": table}) if _has_sqlite_sequence(session) else None
    return max(highest, counter or 0)


def _has_sqlite_sequence(session: Session) -> bool:
    return bool(session.scalar(text(
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")))


def follow_ids(session: Session, table: str) -> None:
    """After rows were inserted with ids chosen by kb, the next id the server hands out must
    follow them, and never go back to an id a deleted row had (PostgreSQL's serial sequence
    only moves forward here; SQLite's AUTOINCREMENT counter follows explicit ids by itself)."""
    if session.get_bind().dialect.name == "postgresql":
        carry_ids(session, table, 0)


def carry_ids(session: Session, table: str, given: int) -> None:
    """The next id `table` hands out follows `given`, the highest id another database gave
    (`kb db copy`): ids of rows deleted there before the copy are never given here either.

    PostgreSQL: the serial sequence moves on, never back. SQLite: the AUTOINCREMENT counter
    (sqlite_sequence, migration 0009) where the table has one; a table without it reuses the
    ids of its deleted newest rows anyway, so there is nothing to carry.
    """
    last = max(given, last_id(session, table))
    if not last:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"{int(last)})"))
        return
    if not _has_autoincrement(session, table):
        return
    moved = session.execute(text("UPDATE sqlite_sequence SET seq = :last WHERE name = :t"),
                            {"t": table, "last": last})
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :last)"),
                        {"t": table, "last": last})


def _has_autoincrement(session: Session, table: str) -> bool:
    create = session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                 "AND name = :t"), {"t": table})
    return create is not None and "AUTOINCREMENT" in create.upper()
