"""Upkeep the database does beside the rows: the full-text index, and id sequences.

Bulk writers (the claim import) pause the per-row index trigger and fill the index once at the
end, and move PostgreSQL's id sequence past ids they chose themselves. Both live here, once.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from kb.models import Claim

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.orm import Session

# The trigger that indexes each new claim (migrations 0003, 0007, 0012).
INSERT_TRIGGER = "claim_fts_insert"
# What a claim's document holds (text, quote, source title, actors' names) is defined once,
# by the view claim_fts_text (migration 0012); the triggers index from it too. A claim the
# import added and then changed (a title edit, an edit) is indexed already by the update
# triggers; indexing it twice would corrupt the external-content index (0007). The links of
# the import's own claims trigger no index work: their triggers skip unindexed claims (0012).
REFILL = ("INSERT INTO claim_fts (rowid, text, quote, title, actors) "
          "SELECT id, text, quote, title, actors FROM claim_fts_text "
          "WHERE id > :after AND id NOT IN (SELECT id FROM claim_fts_docsize)")
# PostgreSQL: the insert trigger stands aside while this setting is on (migration 0012), and
# claim_fts_refresh writes documents from the same view.
PAUSE_POSTGRESQL = "SELECT set_config('kb.claim_index_paused', :paused, true)"
REFILL_POSTGRESQL = ("SELECT claim_fts_refresh(ARRAY(SELECT id FROM claim WHERE id > :after "
                     "AND id NOT IN (SELECT claim_id FROM claim_fts)))")


@contextmanager
def index_paused(session: Session) -> Iterator[None]:
    """Claims inserted inside are indexed in one statement at the end, not row by row.

    SQLite: FTS5 kept by a per-row trigger triples the cost of a bulk load (STYLE §9). The
    import holds the write lock, so nobody searches a half-filled index; an error inside rolls
    the dropped trigger back with everything else. PostgreSQL: the trigger stands aside for
    this transaction only (others see the import when it commits, indexed); else each claim's
    document was written once, then again for each of its actors (migration 0012).
    """
    after = session.scalar(select(func.max(Claim.id))) or 0
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(PAUSE_POSTGRESQL), {"paused": "on"})
        yield
        session.execute(text(REFILL_POSTGRESQL), {"after": after})
        session.execute(text(PAUSE_POSTGRESQL), {"paused": "off"})
        return
    trigger = session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                  "AND name = :name"), {"name": INSERT_TRIGGER})
    if trigger:
        session.execute(text(f"DROP TRIGGER {INSERT_TRIGGER}"))
    yield
    if trigger:
        session.execute(text(REFILL), {"after": after})
        session.execute(text(trigger))
    session.execute(text("PRAGMA optimize"))


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
        last = last_id(session, table)
        if last:
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"{int(last)})"))
