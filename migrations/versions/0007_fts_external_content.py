"""The full-text index reads its text from claim and source instead of keeping a copy.

SQLite: migration 0003's FTS5 table stored text, quote and title a second time in its own
content table (17% of a 100k database). Here FTS5 is an external-content index
(`content='claim_fts_text'`, a view of claim joined to its source's title, `content_rowid='id'`):
only the inverted index and the per-row sizes bm25 needs stay. With external content FTS5
cannot find what it indexed for a row by itself, so every trigger removes a row with FTS5's
'delete' command and the values it was indexed with (the row's old text, quote and title).

Each trigger leaves the claims it touches indexed exactly once. It 'delete's only rows the
index holds (their id is in `claim_fts_docsize`, where FTS5 keeps one row per indexed
document): a bulk import sets the insert trigger aside and fills the index at its end, and a
title edited in between must not 'delete' rows never indexed (FTS5 would miscount its totals).
Such a title edit indexes the source's new claims at once, so the fill at the end skips rows
already in `claim_fts_docsize`.

PostgreSQL keeps its layout: `claim_fts.document` is a tsvector (lexemes with positions and
weights, no copy of the text), which ts_rank and phrase checks read; the GIN index holds no
positions, so the column is not redundant. What changes there is matching: the 'simple'
configuration kept accents, so "muller" did not find "Müller" as it does on SQLite
(unicode61 remove_diacritics); the `kb_search` configuration (simple after unaccent) does.

Revision ID: 0007
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statement a bulk import uses to fill the index (kb/services) stays valid: it inserts
# (rowid, text, quote, title) with the same values this view yields.
INDEXED = "claim_fts_docsize"

DROP_0003 = [
    "DROP TRIGGER claim_fts_source_title",
    "DROP TRIGGER claim_fts_update",
    "DROP TRIGGER claim_fts_delete",
    "DROP TRIGGER claim_fts_insert",
    "DROP TABLE claim_fts",
]

SQLITE_UP = [
    *DROP_0003,
    "CREATE VIEW claim_fts_text (id, text, quote, title) AS SELECT c.id, c.text, "
    "coalesce(c.quote, ''), s.title FROM claim c JOIN source s ON s.id = c.source_id",
    # unicode61 with diacritics removed: "Müller" is found by "muller" (as in 0003).
    "CREATE VIRTUAL TABLE claim_fts USING fts5(text, quote, title, content = 'claim_fts_text', "
    "content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO claim_fts (claim_fts) VALUES ('rebuild')",
    """CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT new.id, new.text, coalesce(new.quote, ''), s.title FROM source s
        WHERE s.id = new.source_id;
    END""",
    f"""CREATE TRIGGER claim_fts_delete AFTER DELETE ON claim BEGIN
        INSERT INTO claim_fts (claim_fts, rowid, text, quote, title)
        SELECT 'delete', old.id, old.text, coalesce(old.quote, ''), s.title FROM source s
        WHERE s.id = old.source_id AND old.id IN (SELECT id FROM {INDEXED});
    END""",
    f"""CREATE TRIGGER claim_fts_update AFTER UPDATE OF text, quote, source_id ON claim BEGIN
        INSERT INTO claim_fts (claim_fts, rowid, text, quote, title)
        SELECT 'delete', old.id, old.text, coalesce(old.quote, ''), s.title FROM source s
        WHERE s.id = old.source_id AND old.id IN (SELECT id FROM {INDEXED});
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT new.id, new.text, coalesce(new.quote, ''), s.title FROM source s
        WHERE s.id = new.source_id;
    END""",
    f"""CREATE TRIGGER claim_fts_source_title AFTER UPDATE OF title ON source
        WHEN old.title IS NOT new.title BEGIN
        INSERT INTO claim_fts (claim_fts, rowid, text, quote, title)
        SELECT 'delete', c.id, c.text, coalesce(c.quote, ''), old.title FROM claim c
        WHERE c.source_id = old.id AND c.id IN (SELECT id FROM {INDEXED});
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT c.id, c.text, coalesce(c.quote, ''), new.title FROM claim c
        WHERE c.source_id = new.id;
    END""",
]

# Migration 0003's layout, filled again from the tables.
SQLITE_DOWN = [
    *DROP_0003,
    "DROP VIEW claim_fts_text",
    "CREATE VIRTUAL TABLE claim_fts USING fts5(text, quote, title, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO claim_fts (rowid, text, quote, title) SELECT c.id, c.text, "
    "coalesce(c.quote, ''), s.title FROM claim c JOIN source s ON s.id = c.source_id",
    """CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT new.id, new.text, coalesce(new.quote, ''), s.title FROM source s
        WHERE s.id = new.source_id;
    END""",
    """CREATE TRIGGER claim_fts_delete AFTER DELETE ON claim BEGIN
        DELETE FROM claim_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER claim_fts_update AFTER UPDATE OF text, quote, source_id ON claim BEGIN
        DELETE FROM claim_fts WHERE rowid = old.id;
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT new.id, new.text, coalesce(new.quote, ''), s.title FROM source s
        WHERE s.id = new.source_id;
    END""",
    """CREATE TRIGGER claim_fts_source_title AFTER UPDATE OF title ON source BEGIN
        DELETE FROM claim_fts WHERE rowid IN (SELECT id FROM claim WHERE source_id = new.id);
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT c.id, c.text, coalesce(c.quote, ''), new.title FROM claim c
        WHERE c.source_id = new.id;
    END""",
]



def _document_function(config: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION claim_fts_document(claim_text text, quote text,
       title text) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
         SELECT setweight(to_tsvector('{config}', claim_text), 'A')
             || setweight(to_tsvector('{config}', coalesce(quote, '')), 'B')
             || setweight(to_tsvector('{config}', coalesce(title, '')), 'C')
       $$"""


REINDEX_POSTGRES = ("UPDATE claim_fts f SET document = claim_fts_document(c.text, c.quote, "
                    "s.title) FROM claim c JOIN source s ON s.id = c.source_id "
                    "WHERE c.id = f.claim_id")
POSTGRES_UP = [
    # unaccent is a trusted extension (PostgreSQL 13+): a database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION kb_search (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION kb_search ALTER MAPPING FOR asciiword, asciihword, "
    "hword_asciipart, word, hword, hword_part WITH unaccent, simple",
    _document_function("kb_search"),
    REINDEX_POSTGRES,
]
POSTGRES_DOWN = [
    _document_function("simple"),
    REINDEX_POSTGRES,
    "DROP TEXT SEARCH CONFIGURATION kb_search",
    "DROP EXTENSION IF EXISTS unaccent",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
