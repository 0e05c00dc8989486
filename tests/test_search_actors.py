"""`kb search` finds claims by their actors' names (issue 8), and the index follows every way
a claim's actors change: add, edit, removal, rename, bulk import, `kb db copy`, migration."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import KB, sqlite_only
from tests.test_search import found, index_mismatches

SOURCE = "npr2026china"  # the seed's article


def ids(kb: KB, *args: str) -> list[int]:
    return [c["id"] for c in found(kb, *args)]


def add(kb: KB, words: str, *actors: str) -> int:
    options = [value for name in actors for value in ("--actor", name)]
    return int(kb.ok("claim", "add", "--source", SOURCE, "--text", words, *options))


def index_problems(url: str) -> list[str]:
    """How the claims' search index differs from one built afresh from the claims.

    SQLite: FTS5's own check against the content it reads, then term by term (see
    `index_mismatches`). PostgreSQL: each stored document against the one the claim makes now.
    """
    engine = create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            assert engine.url.database
            checked = sqlite3.connect(engine.url.database)
            try:
                checked.execute("INSERT INTO claim_fts (claim_fts, rank) "
                                "VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as error:
                return [f"integrity-check: {error}"]
            finally:
                checked.close()
            return index_mismatches(Path(engine.url.database))
        with engine.connect() as conn:
            stale = conn.scalars(text(
                "SELECT coalesce(v.id, f.claim_id) FROM claim_fts_text v "
                "FULL JOIN claim_fts f ON f.claim_id = v.id WHERE f.document IS DISTINCT FROM "
                "claim_fts_document(v.text, v.quote, v.title, v.actors) ORDER BY 1")).all()
        return [f"claim {claim_id}" for claim_id in stale]
    finally:
        engine.dispose()


def matching(url: str, query: str) -> list[int]:
    """The claims the index itself matches, whatever the revision (no kb command involved)."""
    from kb.services.search import parse, to_fts5, to_tsquery

    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        sql = ("SELECT claim_id FROM claim_fts WHERE document @@ to_tsquery('kb_search', :q) "
               "ORDER BY 1")
        found = to_tsquery(parse(query))
    else:
        sql = "SELECT rowid FROM claim_fts WHERE claim_fts MATCH :q ORDER BY 1"
        found = to_fts5(parse(query))
    with engine.connect() as conn:
        result = list(conn.scalars(text(sql), {"q": found}))
    engine.dispose()
    return result


def test_search_finds_a_claim_by_its_actors_names(seeded: KB) -> None:
    curbs = add(seeded, "Export curbs on accelerators tighten", "John Moolenaar")
    chips = add(seeded, "Smuggled chips reach Shenzhen", "John Moolenaar")
    assert curbs in ids(seeded, "Moolenaar") and chips in ids(seeded, "moolenaar")
    assert ids(seeded, '"John Moolenaar"') == ids(seeded, "Moolenaar")
    # One word from the actor, one from the text: the names are part of the claim's document.
    assert ids(seeded, "Moolenaar chips") == [chips]
    # Ranked with the rest: the claim matched by its actor is among the claims matched by text.
    either = ids(seeded, "Moolenaar OR Shenzhen")
    assert {curbs, chips} <= set(either) and len(either) == len(set(either))
    listed = json.loads(seeded.ok("claim", "list", "--search", "Moolenaar", "--format", "json"))
    assert {curbs, chips} <= {c["id"] for c in listed}


def test_actor_names_are_folded_and_stemmed_like_the_text(seeded: KB) -> None:
    claim = add(seeded, "A new fab is announced", "José Müller", "Semiconductor Makers Alliance")
    assert claim in ids(seeded, "muller")
    assert claim in ids(seeded, "Jose")
    assert claim in ids(seeded, "maker")  # stemmed, as "licence" finds "licences"
    assert claim in ids(seeded, "Müller fab")


def test_removing_an_actor_stops_the_claim_matching_by_that_name(seeded: KB) -> None:
    claim = str(add(seeded, "Export curbs on accelerators tighten", "Zhang Wei", "Nvidia"))
    seeded.ok("claim", "edit", claim, "--remove-actor", "Zhang Wei")
    assert ids(seeded, "Zhang") == []
    assert int(claim) in ids(seeded, "Nvidia accelerators")
    seeded.ok("claim", "edit", claim, "--add-actor", "Li Qiang")
    assert ids(seeded, "Qiang") == [int(claim)]
    seeded.ok("claim", "edit", claim, "--actor", "Ursula von der Leyen")  # replaces the list
    assert ids(seeded, "Qiang") == [] and int(claim) not in ids(seeded, "Nvidia accelerators")
    assert ids(seeded, "Leyen") == [int(claim)]
    seeded.ok("claim", "rm", claim)
    assert ids(seeded, "Leyen") == []
    assert index_problems(seeded.url) == []


def test_a_bulk_import_indexes_its_claims_actors(seeded: KB, tmp_path: Path) -> None:
    lines = tmp_path / "claims.jsonl"
    lines.write_text("".join(json.dumps(line) + "\n" for line in [
        {"source": SOURCE, "text": "Curbs widen to memory", "actors": ["Gina Raimondo"]},
        {"source": SOURCE, "text": "No actor here"},
        {"source": SOURCE, "text": "Two names", "actors": ["Gina Raimondo", "SK Hynix"]},
    ]))
    seeded.ok("import", str(lines))
    table = tmp_path / "claims.csv"
    table.write_text("source,text,actors\n"
                     f"{SOURCE},Fabs slow down,Zhao Lijian;SK Hynix\n")
    seeded.ok("import", str(table))
    assert len(ids(seeded, "Raimondo")) == 2
    assert len(ids(seeded, "Hynix")) == 2
    assert len(ids(seeded, "Lijian fabs")) == 1
    assert index_problems(seeded.url) == []


def test_the_index_stays_exact_through_every_actor_change(seeded: KB, tmp_path: Path) -> None:
    first = str(add(seeded, "Quantum annealers", "Quillon Labs", "Brisket Works"))
    second = str(add(seeded, "Photonic chips", "Brisket Works"))
    seeded.ok("claim", "edit", first, "--add-actor", "Gambit Group", "--remove-actor",
              "Quillon Labs")
    seeded.ok("claim", "edit", second, "--actor", "Quillon Labs", "--actor", "Dorado Inc")
    seeded.ok("claim", "edit", first, "--text", "Quantum annealers, revised")
    seeded.ok("source", "edit", SOURCE, "--title", "Zebrafish report")
    lines = tmp_path / "claims.jsonl"
    lines.write_text(json.dumps({"source": SOURCE, "text": "Imported",
                                 "actors": ["Dorado Inc", "Ephraim"]}) + "\n")
    seeded.ok("import", str(lines))
    engine = create_engine(seeded.url)
    with engine.begin() as conn:
        # No command renames or merges actors yet; the index must follow when one does.
        conn.execute(text("UPDATE actor SET name = 'Brisket Industries' "
                          "WHERE name = 'Brisket Works'"))
        conn.execute(text("UPDATE claim_actor SET actor_id = (SELECT id FROM actor WHERE "
                          "name = 'Gambit Group') WHERE actor_id = (SELECT id FROM actor WHERE "
                          "name = 'Dorado Inc') AND claim_id = :c"), {"c": int(second)})
    engine.dispose()
    assert index_problems(seeded.url) == []
    assert ids(seeded, '"Brisket Industries"') == [int(first)]
    assert ids(seeded, "Brisket Works") == []
    assert sorted(ids(seeded, "Gambit")) == [int(first), int(second)]
    assert ids(seeded, "Dorado") == ids(seeded, "Imported") != []
    seeded.ok("claim", "rm", first)
    assert ids(seeded, '"Brisket Industries"') == []
    assert index_problems(seeded.url) == []


def test_a_copied_database_finds_claims_by_actor(seeded: KB, kb: KB) -> None:
    claim = add(seeded, "Export curbs on accelerators tighten", "Zhang Wei", "Nvidia")
    seeded.ok("db", "copy", kb.db)
    assert ids(kb, "Zhang") == [claim]
    assert sorted(ids(kb, "Nvidia")) == sorted(ids(seeded, "Nvidia")) != [claim]
    assert index_problems(kb.url) == []


def test_migration_0012_indexes_existing_claims_actors_and_back(empty_url: str) -> None:
    from alembic import command

    from kb.db import HEAD_REVISION, alembic_config

    config = alembic_config(empty_url)
    command.upgrade(config, "0011")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO source (key, type, title, issued, created_at, updated_at) VALUES "
            "('old', 'report', 'Grid notes', '2025', '2025-05-01', '2025-05-01')"))
        for words in ("Chips are scarce", "Power grid limits"):
            conn.execute(text(
                "INSERT INTO claim (source_id, text, created_at, updated_at) VALUES "
                "(1, :t, '2025-05-01', '2025-05-01')"), {"t": words})
        conn.execute(text("INSERT INTO actor (name) VALUES ('John Moolenaar'), ('Nvidia')"))
        conn.execute(text("INSERT INTO claim_actor (actor_id, claim_id) VALUES (1, 1), (2, 1), "
                          "(2, 2)"))
    engine.dispose()
    old = KB(empty_url)
    command.upgrade(config, "0012")
    assert ids(old, "Moolenaar") == [1] and ids(old, "nvidia limits") == [2]
    assert index_problems(empty_url) == []
    command.downgrade(config, "0011")
    # kb itself would migrate the database up again: ask the index directly.
    assert matching(empty_url, "Moolenaar") == [] and matching(empty_url, "limits") == [2]
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        links = conn.execute(text("SELECT claim_id, actor_id FROM claim_actor ORDER BY 1, 2"))
        assert [tuple(link) for link in links] == [(1, 1), (1, 2), (2, 2)]
    engine.dispose()
    if engine.dialect.name == "sqlite":
        assert index_mismatches(Path(engine.url.database or "")) == []
    command.upgrade(config, HEAD_REVISION)
    assert ids(old, "Moolenaar") == [1]
    assert index_problems(empty_url) == []


@sqlite_only  # PostgreSQL's documents look each name up by key (migration 0012, measured)
def test_indexing_a_claim_looks_its_actors_up_by_id_whatever_the_statistics(seeded: KB) -> None:
    """A database ANALYZEd while small must not lead SQLite's planner to read every actor for
    each claim indexed: that made a bulk import's index fill grow with the number of actors,
    twice as slow at 100k claims."""
    for n in range(30):
        add(seeded, f"claim number {n}", f"Actor {n}", f"Other {n}")
    engine = create_engine(seeded.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
            plan = [row[-1] for row in conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT actors FROM claim_fts_text WHERE id > 0"))]
    finally:
        engine.dispose()
    assert not any(step.startswith("SCAN a") for step in plan), plan
    assert "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)" in plan
    assert ids(seeded, "Other 7") != []
