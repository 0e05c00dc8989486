"""Search finds claims by their actors' names: `kb search Moolenaar`, `Moolenaar chips`.

A claim's searchable document gains a fourth part, its actors' names (in name order, joined
by spaces), beside text, quote and source title; a query's words may match in any part.

SQLite: the view `claim_fts_text` gains an `actors` column and the FTS5 index (external
content, 0007; porter-stemmed, 0010) a fourth column, rebuilt from the view. The view is the
one definition of what the index holds: every trigger indexes a claim by reading it.

Forgetting a row is the hard part: FTS5 external content needs the values a row was indexed
with, and an actor change is one `claim_actor` (or `actor`) row at a time. So each trigger
'delete's a claim with the view's values as they are, except the part its change just
altered, which it rebuilds as it was (the old title; the names with the new link left out or
the removed one put back, in the same name order). Then it indexes the view's row again.
The names' order does not affect what 'delete' removes (FTS5 removes by term), but keeping
it keeps a 'delete' the exact inverse of the insert it undoes.

- A claim's removal uses BEFORE DELETE: SQLite removes a claim's `claim_actor` rows (ON DELETE
  CASCADE) before the claim's AFTER triggers run, so afterwards its names are gone. Before, the
  view still shows exactly what was indexed.
- As in 0007, a trigger 'delete's and re-indexes only claims the index holds (their id is in
  `claim_fts_docsize`): a bulk import sets the claim insert trigger aside (kb.services.fulltext)
  and indexes its new claims, actors included, from the view at the end, so their links cost
  the import no index work.
- An actor's rename is covered too (no command renames one yet; a merge that moves
  `claim_actor` rows is covered by the link triggers).
- Like claim and source since 0007, actor and claim_actor are now read by this view and these
  triggers, and SQLite's ALTER TABLE RENAME checks every view and trigger: a later migration
  that rebuilds either table in batch mode must set them aside first, as 0009 does.

PostgreSQL: the same view (string_agg in name order) and `claim_fts_document(text, quote,
title, actors)`, actors weighted B like the quote. `claim_fts_refresh(ids)` writes the
documents of these claims from the view: every trigger calls it, and a set-wise fill may too.
The tsvector is the index's own copy, so no old values are needed: a link's row trigger
refreshes its claim (kb and psycopg send links one row a statement, so a statement-level
trigger would fire as often, and its transition tables cost more). As on SQLite, a link
refreshes only claims the index holds: a bulk import that disables `claim_fts_sync` and
indexes its new claims at the end (kb.services.fulltext) pays one probe per link, not a
refresh per link (which made an import of claims with two actors each ~4x slower).

Downgrade restores 0011's index (0007's triggers, 0010's stemming) and rebuilds it from the
claims; no claim or link is touched either way.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "porter unicode61 remove_diacritics 2"  # 0010
INDEXED = "(SELECT id FROM claim_fts_docsize)"  # the claims the index holds (0007)
COLUMNS = "text, quote, title, actors"


def _names(actor_ids: str, name: str = "a.name") -> str:
    """A claim's actors' names as the view joins them, for the actors whose ids `actor_ids`
    (a subquery) yields; `name` may rebuild a name as it was before a rename."""
    # Each id, then its actor by primary key: with `a.id IN (ids)` a database ANALYZEd while
    # small let SQLite scan every actor for each claim (a bulk import's refill took 2x as long).
    return (f"coalesce((SELECT group_concat(name, ' ') FROM (SELECT (SELECT {name} FROM actor a "
            f"WHERE a.id = ids.actor_id) AS name FROM ({actor_ids}) AS ids ORDER BY 1)), '')")


def _links(claim: str) -> str:
    return f"SELECT actor_id FROM claim_actor WHERE claim_id = {claim}"


def _index(where: str) -> str:
    return f"INSERT INTO claim_fts (rowid, {COLUMNS}) SELECT id, {COLUMNS} FROM claim_fts_text " \
           f"WHERE {where};"


def _forget(where: str, text: str = "v.text", quote: str = "v.quote", title: str = "v.title",
            actors: str = "v.actors") -> str:
    """'delete' the indexed claims of the view that `where` picks, each part as given."""
    return (f"INSERT INTO claim_fts (claim_fts, rowid, {COLUMNS}) SELECT 'delete', v.id, "
            f"{text}, {quote}, {title}, {actors} FROM claim_fts_text v "
            f"WHERE ({where}) AND v.id IN {INDEXED};")


SQLITE_DROP_0007 = [
    "DROP TRIGGER claim_fts_source_title",
    "DROP TRIGGER claim_fts_update",
    "DROP TRIGGER claim_fts_delete",
    "DROP TRIGGER claim_fts_insert",
    "DROP TABLE claim_fts",
    "DROP VIEW claim_fts_text",
]

SQLITE_UP = [
    *SQLITE_DROP_0007,
    f"CREATE VIEW claim_fts_text (id, {COLUMNS}) AS SELECT c.id, c.text, coalesce(c.quote, ''), "
    f"s.title, {_names(_links('c.id'))} FROM claim c JOIN source s ON s.id = c.source_id",
    f"CREATE VIRTUAL TABLE claim_fts USING fts5({COLUMNS}, content = 'claim_fts_text', "
    f"content_rowid = 'id', tokenize = '{TOKENIZE}')",
    "INSERT INTO claim_fts (claim_fts) VALUES ('rebuild')",
    f"""CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN
        {_index("id = new.id")}
    END""",
    f"""CREATE TRIGGER claim_fts_delete BEFORE DELETE ON claim BEGIN
        {_forget("v.id = old.id")}
    END""",
    f"""CREATE TRIGGER claim_fts_update AFTER UPDATE OF text, quote, source_id ON claim BEGIN
        {_forget("v.id = new.id", text="old.text", quote="coalesce(old.quote, '')",
                 title="(SELECT title FROM source WHERE id = old.source_id)")}
        {_index("id = new.id")}
    END""",
    # Unindexed claims of the source (a bulk import's, held back) are indexed here at once;
    # the import's fill at the end skips them (0007).
    f"""CREATE TRIGGER claim_fts_source_title AFTER UPDATE OF title ON source
        WHEN old.title IS NOT new.title BEGIN
        {_forget("v.id IN (SELECT id FROM claim WHERE source_id = new.id)", title="old.title")}
        {_index("id IN (SELECT id FROM claim WHERE source_id = new.id)")}
    END""",
    f"""CREATE TRIGGER claim_fts_actor_added AFTER INSERT ON claim_actor
        WHEN new.claim_id IN {INDEXED} BEGIN
        {_forget("v.id = new.claim_id",
                 actors=_names(_links("new.claim_id") + " AND actor_id <> new.actor_id"))}
        {_index("id = new.claim_id")}
    END""",
    f"""CREATE TRIGGER claim_fts_actor_removed AFTER DELETE ON claim_actor
        WHEN old.claim_id IN {INDEXED} BEGIN
        {_forget("v.id = old.claim_id",
                 actors=_names(_links("old.claim_id") + " UNION SELECT old.actor_id"))}
        {_index("id = old.claim_id")}
    END""",
    # A link moved (an actor merge, a link given to another claim): the old claim had the old
    # actor and not the new one; so did the new claim, if it is another.
    f"""CREATE TRIGGER claim_fts_actor_moved AFTER UPDATE ON claim_actor BEGIN
        {_forget("v.id = old.claim_id", actors=_names(
            _links("old.claim_id") + " AND NOT (old.claim_id = new.claim_id AND "
            "actor_id = new.actor_id) UNION SELECT old.actor_id"))}
        {_forget("v.id = new.claim_id AND new.claim_id <> old.claim_id",
                 actors=_names(_links("new.claim_id") + " AND actor_id <> new.actor_id"))}
        {_index(f"id IN (old.claim_id, new.claim_id) AND id NOT IN {INDEXED}")}
    END""",
    f"""CREATE TRIGGER claim_fts_actor_renamed AFTER UPDATE OF name ON actor
        WHEN old.name IS NOT new.name BEGIN
        {_forget("v.id IN (SELECT claim_id FROM claim_actor WHERE actor_id = new.id)",
                 actors=_names(_links("v.id"),
                               name="CASE WHEN a.id = new.id THEN old.name ELSE a.name END"))}
        {_index("id IN (SELECT claim_id FROM claim_actor WHERE actor_id = new.id) "
                f"AND id NOT IN {INDEXED}")}
    END""",
]

# 0011's index: 0007's view and triggers over 0010's stemming tokenizer.
SQLITE_DOWN = [
    "DROP TRIGGER claim_fts_actor_renamed",
    "DROP TRIGGER claim_fts_actor_moved",
    "DROP TRIGGER claim_fts_actor_removed",
    "DROP TRIGGER claim_fts_actor_added",
    *SQLITE_DROP_0007,
    "CREATE VIEW claim_fts_text (id, text, quote, title) AS SELECT c.id, c.text, "
    "coalesce(c.quote, ''), s.title FROM claim c JOIN source s ON s.id = c.source_id",
    "CREATE VIRTUAL TABLE claim_fts USING fts5(text, quote, title, content = 'claim_fts_text', "
    f"content_rowid = 'id', tokenize = '{TOKENIZE}')",
    "INSERT INTO claim_fts (claim_fts) VALUES ('rebuild')",
    """CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT new.id, new.text, coalesce(new.quote, ''), s.title FROM source s
        WHERE s.id = new.source_id;
    END""",
    f"""CREATE TRIGGER claim_fts_delete AFTER DELETE ON claim BEGIN
        INSERT INTO claim_fts (claim_fts, rowid, text, quote, title)
        SELECT 'delete', old.id, old.text, coalesce(old.quote, ''), s.title FROM source s
        WHERE s.id = old.source_id AND old.id IN {INDEXED};
    END""",
    f"""CREATE TRIGGER claim_fts_update AFTER UPDATE OF text, quote, source_id ON claim BEGIN
        INSERT INTO claim_fts (claim_fts, rowid, text, quote, title)
        SELECT 'delete', old.id, old.text, coalesce(old.quote, ''), s.title FROM source s
        WHERE s.id = old.source_id AND old.id IN {INDEXED};
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT new.id, new.text, coalesce(new.quote, ''), s.title FROM source s
        WHERE s.id = new.source_id;
    END""",
    f"""CREATE TRIGGER claim_fts_source_title AFTER UPDATE OF title ON source
        WHEN old.title IS NOT new.title BEGIN
        INSERT INTO claim_fts (claim_fts, rowid, text, quote, title)
        SELECT 'delete', c.id, c.text, coalesce(c.quote, ''), old.title FROM claim c
        WHERE c.source_id = old.id AND c.id IN {INDEXED};
        INSERT INTO claim_fts (rowid, text, quote, title)
        SELECT c.id, c.text, coalesce(c.quote, ''), new.title FROM claim c
        WHERE c.source_id = new.id;
    END""",
]


def _postgres_document(parts: dict[str, str]) -> str:
    """claim_fts_document over these parts (argument name: weight), as 0007 wrote it."""
    arguments = ", ".join(f"{name} text" for name in parts)
    weighted = "\n             || ".join(
        f"setweight(to_tsvector('kb_search', coalesce({name}, '')), '{weight}')"
        for name, weight in parts.items())
    return f"""CREATE FUNCTION claim_fts_document({arguments})
       RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
         SELECT {weighted}
       $$"""


def _postgres_refresh(claims: str) -> str:
    return f"PERFORM claim_fts_refresh(ARRAY({claims}));"


# Trigger functions of 0003 whose bodies change: name -> (0012's body, 0003's body).
POSTGRES_TRIGGER_BODIES = {
    "claim_fts_sync": (
        "PERFORM claim_fts_refresh(ARRAY[NEW.id]);",
        """INSERT INTO claim_fts (claim_id, document)
         SELECT NEW.id, claim_fts_document(NEW.text, NEW.quote, s.title)
         FROM source s WHERE s.id = NEW.source_id
         ON CONFLICT (claim_id) DO UPDATE SET document = EXCLUDED.document;"""),
    "claim_fts_source_title": (
        _postgres_refresh("SELECT id FROM claim WHERE source_id = NEW.id"),
        """UPDATE claim_fts f SET document = claim_fts_document(c.text, c.quote, NEW.title)
         FROM claim c WHERE c.id = f.claim_id AND c.source_id = NEW.id;"""),
}


def _trigger_function(name: str, body: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         {body}
         RETURN NULL;
       END $$"""


DOCUMENT_0007 = {"claim_text": "A", "quote": "B", "title": "C"}
# Actor names weigh like the quote: chosen for the claim, but not the claim's own words.
DOCUMENT = {**DOCUMENT_0007, "actors": "B"}
# PL/pgSQL, not SQL: a SQL function's body is parsed and planned again on every call, and
# triggers call this per row (3,000 claims with two actors each, a refresh per link, psycopg
# executemany, one run: 36-46 s as SQL, 20-27 s as PL/pgSQL). With the claims' trigger
# paused and one refresh at the end, 2,000 such claims: 2.5-2.9 s, 3.0-3.1 s at 0011.
REFRESH_FUNCTION = """CREATE FUNCTION claim_fts_refresh(claim_ids integer[]) RETURNS void
       LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO claim_fts (claim_id, document)
         SELECT v.id, claim_fts_document(v.text, v.quote, v.title, v.actors)
         FROM claim_fts_text v WHERE v.id = ANY (claim_ids)
         ON CONFLICT (claim_id) DO UPDATE SET document = EXCLUDED.document;
       END $$"""
# Each of the claim's links, then its actor, by primary key: a join let the planner scan every
# actor for each claim refreshed.
POSTGRES_NAMES = ("coalesce((SELECT string_agg(n.name, ' ' ORDER BY n.name) FROM (SELECT "
                  "(SELECT a.name FROM actor a WHERE a.id = ca.actor_id) AS name "
                  "FROM claim_actor ca WHERE ca.claim_id = c.id) n), '')")
# A link refreshes only claims the index holds, as on SQLite: a bulk writer that indexes its
# new claims at the end need not index them again per link.
INDEXED_POSTGRES = "SELECT claim_id FROM claim_fts WHERE claim_id IN (OLD.claim_id, NEW.claim_id)"
LINK_SYNC = f"""IF EXISTS ({INDEXED_POSTGRES}) THEN
           {_postgres_refresh(INDEXED_POSTGRES)}
         END IF;"""

POSTGRES_UP = [
    f"CREATE VIEW claim_fts_text (id, {COLUMNS}) AS SELECT c.id, c.text, coalesce(c.quote, ''), "
    f"s.title, {POSTGRES_NAMES} FROM claim c JOIN source s ON s.id = c.source_id",
    _postgres_document(DOCUMENT),
    REFRESH_FUNCTION,
    *(_trigger_function(name, new) for name, (new, _) in POSTGRES_TRIGGER_BODIES.items()),
    "DROP FUNCTION claim_fts_document(text, text, text)",
    _trigger_function("claim_fts_actor_sync", LINK_SYNC),
    "CREATE TRIGGER claim_fts_actor_sync AFTER INSERT OR UPDATE OR DELETE ON claim_actor "
    "FOR EACH ROW EXECUTE FUNCTION claim_fts_actor_sync()",
    _trigger_function("claim_fts_actor_renamed", _postgres_refresh(
        "SELECT claim_id FROM claim_actor WHERE actor_id = NEW.id")),
    "CREATE TRIGGER claim_fts_actor_renamed AFTER UPDATE OF name ON actor FOR EACH ROW "
    "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION claim_fts_actor_renamed()",
    "SELECT claim_fts_refresh(ARRAY(SELECT id FROM claim))",
]
POSTGRES_DOWN = [
    *(statement for name, table in (("claim_fts_actor_sync", "claim_actor"),
                                    ("claim_fts_actor_renamed", "actor"))
      for statement in (f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()")),
    _postgres_document(DOCUMENT_0007),
    *(_trigger_function(name, old) for name, (_, old) in POSTGRES_TRIGGER_BODIES.items()),
    "DROP FUNCTION claim_fts_refresh(integer[])",
    "DROP FUNCTION claim_fts_document(text, text, text, text)",
    "DROP VIEW claim_fts_text",
    "UPDATE claim_fts f SET document = claim_fts_document(c.text, c.quote, s.title) "
    "FROM claim c JOIN source s ON s.id = c.source_id WHERE c.id = f.claim_id",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
