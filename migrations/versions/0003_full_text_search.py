"""Full-text search over claim text, quotes and source titles, kept in sync by the database.

SQLite: an FTS5 table whose rowid is the claim id, maintained by triggers.
PostgreSQL: a tsvector column per claim (text, quote, source title) with a GIN index,
maintained by triggers on claim and source.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    # unicode61 with diacritics removed: "Müller" is found by "muller".
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
SQLITE_DOWN = [
    "DROP TRIGGER claim_fts_source_title",
    "DROP TRIGGER claim_fts_update",
    "DROP TRIGGER claim_fts_delete",
    "DROP TRIGGER claim_fts_insert",
    "DROP TABLE claim_fts",
]

# 'simple' keeps every word as written (no English stemming), like SQLite's unicode61.
POSTGRES_UP = [
    "CREATE TABLE claim_fts (claim_id integer PRIMARY KEY "
    "REFERENCES claim (id) ON DELETE CASCADE, document tsvector NOT NULL)",
    "CREATE INDEX ix_claim_fts_document ON claim_fts USING gin (document)",
    """CREATE FUNCTION claim_fts_document(claim_text text, quote text, title text)
       RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
         SELECT setweight(to_tsvector('simple', claim_text), 'A')
             || setweight(to_tsvector('simple', coalesce(quote, '')), 'B')
             || setweight(to_tsvector('simple', coalesce(title, '')), 'C')
       $$""",
    "INSERT INTO claim_fts (claim_id, document) SELECT c.id, "
    "claim_fts_document(c.text, c.quote, s.title) FROM claim c JOIN source s "
    "ON s.id = c.source_id",
    """CREATE FUNCTION claim_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO claim_fts (claim_id, document)
         SELECT NEW.id, claim_fts_document(NEW.text, NEW.quote, s.title)
         FROM source s WHERE s.id = NEW.source_id
         ON CONFLICT (claim_id) DO UPDATE SET document = EXCLUDED.document;
         RETURN NULL;
       END $$""",
    "CREATE TRIGGER claim_fts_sync AFTER INSERT OR UPDATE OF text, quote, source_id ON claim "
    "FOR EACH ROW EXECUTE FUNCTION claim_fts_sync()",
    """CREATE FUNCTION claim_fts_source_title() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE claim_fts f SET document = claim_fts_document(c.text, c.quote, NEW.title)
         FROM claim c WHERE c.id = f.claim_id AND c.source_id = NEW.id;
         RETURN NULL;
       END $$""",
    "CREATE TRIGGER claim_fts_source_title AFTER UPDATE OF title ON source "
    "FOR EACH ROW EXECUTE FUNCTION claim_fts_source_title()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER claim_fts_source_title ON source",
    "DROP FUNCTION claim_fts_source_title()",
    "DROP TRIGGER claim_fts_sync ON claim",
    "DROP FUNCTION claim_fts_sync()",
    "DROP TABLE claim_fts",
    "DROP FUNCTION claim_fts_document(text, text, text)",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP)


def downgrade() -> None:
    _run(POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN)
