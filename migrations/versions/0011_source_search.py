"""Full-text search of the library: sources by title (with subtitle), authors, container, DOI.

SQLite: an FTS5 table `source_fts` kept by triggers on `source` and `source_author`, filled
from the view `source_fts_text` (one row a source, its authors' names joined). Unlike
`claim_fts` (0007) it keeps its own copy of the text rather than reading it from the view:
an external-content index must be told the exact values it indexed to forget a row, and a
source's indexed authors change one `source_author` row at a time (an edit replaces them; a
removal cascades), so each trigger would have to rebuild the previous author list from the
rows left. With its own content a trigger forgets a source by rowid and indexes the view's
row again. The copy is small: a source's title, names, container and DOI (a 5,000-work
library: ~1 MB).

PostgreSQL: `source_fts.document`, a tsvector in the `kb_search` configuration (0007: simple
after unaccent), weighted title A, authors B, container C, DOI D, with a GIN index, refreshed
by triggers. The DOI is indexed with its punctuation as spaces, so `10.1000/xyz` is found the
same way on both backends (unicode61 splits it so on SQLite).

Revision ID: 0011
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "rowid, title, authors, container, doi"


def _reindex(source_id: str) -> str:
    return (f"DELETE FROM source_fts WHERE rowid = {source_id}; "
            f"INSERT INTO source_fts ({COLUMNS}) SELECT * FROM source_fts_text "
            f"WHERE id = {source_id};")


SQLITE_UP = [
    "CREATE VIEW source_fts_text (id, title, authors, container, doi) AS SELECT s.id, "
    "s.title, coalesce((SELECT group_concat(a.name, ' ') FROM source_author a "
    "WHERE a.source_id = s.id), ''), coalesce(s.container, ''), coalesce(s.doi, '') "
    "FROM source s",
    "CREATE VIRTUAL TABLE source_fts USING fts5(title, authors, container, doi, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    f"INSERT INTO source_fts ({COLUMNS}) SELECT * FROM source_fts_text",
    f"""CREATE TRIGGER source_fts_insert AFTER INSERT ON source BEGIN
        INSERT INTO source_fts ({COLUMNS}) SELECT * FROM source_fts_text WHERE id = new.id;
    END""",
    f"""CREATE TRIGGER source_fts_update AFTER UPDATE OF title, container, doi ON source BEGIN
        {_reindex("new.id")}
    END""",
    """CREATE TRIGGER source_fts_delete AFTER DELETE ON source BEGIN
        DELETE FROM source_fts WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER source_fts_author_insert AFTER INSERT ON source_author BEGIN
        {_reindex("new.source_id")}
    END""",
    f"""CREATE TRIGGER source_fts_author_update AFTER UPDATE ON source_author BEGIN
        {_reindex("old.source_id")}
        {_reindex("new.source_id")}
    END""",
    f"""CREATE TRIGGER source_fts_author_delete AFTER DELETE ON source_author BEGIN
        {_reindex("old.source_id")}
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER source_fts_author_delete",
    "DROP TRIGGER source_fts_author_update",
    "DROP TRIGGER source_fts_author_insert",
    "DROP TRIGGER source_fts_delete",
    "DROP TRIGGER source_fts_update",
    "DROP TRIGGER source_fts_insert",
    "DROP TABLE source_fts",
    "DROP VIEW source_fts_text",
]

POSTGRES_UP = [
    "CREATE TABLE source_fts (source_id integer PRIMARY KEY "
    "REFERENCES source (id) ON DELETE CASCADE, document tsvector NOT NULL)",
    "CREATE INDEX ix_source_fts_document ON source_fts USING gin (document)",
    """CREATE FUNCTION source_fts_refresh(refreshed integer) RETURNS void LANGUAGE sql AS $$
         INSERT INTO source_fts (source_id, document)
         SELECT s.id, setweight(to_tsvector('kb_search', s.title), 'A')
             || setweight(to_tsvector('kb_search', coalesce((SELECT string_agg(a.name, ' ')
                    FROM source_author a WHERE a.source_id = s.id), '')), 'B')
             || setweight(to_tsvector('kb_search', coalesce(s.container, '')), 'C')
             || setweight(to_tsvector('kb_search', regexp_replace(coalesce(s.doi, ''),
                    '[^[:alnum:]]+', ' ', 'g')), 'D')
         FROM source s WHERE s.id = refreshed
         ON CONFLICT (source_id) DO UPDATE SET document = EXCLUDED.document
       $$""",
    "SELECT source_fts_refresh(id) FROM source",
    """CREATE FUNCTION source_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM source_fts_refresh(NEW.id);
         RETURN NULL;
       END $$""",
    "CREATE TRIGGER source_fts_sync AFTER INSERT OR UPDATE OF title, container, doi ON source "
    "FOR EACH ROW EXECUTE FUNCTION source_fts_sync()",
    """CREATE FUNCTION source_fts_author_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') THEN
           PERFORM source_fts_refresh(OLD.source_id);
         END IF;
         IF TG_OP IN ('UPDATE', 'INSERT') THEN
           PERFORM source_fts_refresh(NEW.source_id);
         END IF;
         RETURN NULL;
       END $$""",
    "CREATE TRIGGER source_fts_author_sync AFTER INSERT OR UPDATE OR DELETE ON source_author "
    "FOR EACH ROW EXECUTE FUNCTION source_fts_author_sync()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER source_fts_author_sync ON source_author",
    "DROP FUNCTION source_fts_author_sync()",
    "DROP TRIGGER source_fts_sync ON source",
    "DROP FUNCTION source_fts_sync()",
    "DROP TABLE source_fts",
    "DROP FUNCTION source_fts_refresh(integer)",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
