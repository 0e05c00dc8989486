"""Search stems English words: `licence` finds "licences", `export` finds "exported".

SQLite: the FTS5 index of 0007 is rebuilt with the `porter` tokenizer wrapping the same
`unicode61 remove_diacritics 2` (diacritics still folded: "muller" finds "Müller"). The index is
external content over the view `claim_fts_text`, so only the index is rebuilt; 0007's triggers
name the table, not its tokenizer, and keep working unchanged.

PostgreSQL: the `kb_search` configuration of 0007 (unaccent, then simple) becomes unaccent, then
the `english` Snowball stemmer, and every document is indexed again.

A phrase ("export licences") still needs its words next to each other and in that order, but
each word matches by its stem ("export licence" and "exported licences" match it too); that is
as exact as a stemmed index allows. Downgrade restores 0007's index both ways.

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_index(tokenize: str) -> list[str]:
    return [
        "DROP TABLE claim_fts",
        "CREATE VIRTUAL TABLE claim_fts USING fts5(text, quote, title, "
        "content = 'claim_fts_text', content_rowid = 'id', "
        f"tokenize = '{tokenize}')",
        "INSERT INTO claim_fts (claim_fts) VALUES ('rebuild')",
    ]


def _postgres_config(dictionary: str) -> list[str]:
    return [
        "ALTER TEXT SEARCH CONFIGURATION kb_search ALTER MAPPING FOR asciiword, asciihword, "
        f"hword_asciipart, word, hword, hword_part WITH unaccent, {dictionary}",
        "UPDATE claim_fts f SET document = claim_fts_document(c.text, c.quote, s.title) "
        "FROM claim c JOIN source s ON s.id = c.source_id WHERE c.id = f.claim_id",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        statements = _postgres_config("english_stem")
    else:
        statements = _sqlite_index("porter unicode61 remove_diacritics 2")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        statements = _postgres_config("simple")
    else:
        statements = _sqlite_index("unicode61 remove_diacritics 2")
    for statement in statements:
        op.execute(statement)
