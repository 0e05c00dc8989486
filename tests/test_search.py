"""Full-text search: ranked, combinable with filters, highlighted, kept in sync by triggers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kb.cli import cli
from tests.conftest import KB, sqlite_only


def found(kb: KB, *args: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(kb.ok("search", *args, "--format", "json"))
    return result


def test_words_phrases_or_not_and_prefixes(seeded: KB) -> None:
    chips = found(seeded, "chips")
    assert chips and all("chip" in (c["text"] + c["quote"]).lower() for c in chips)
    assert not [c for c in found(seeded, "chips NOT Nvidia") if "Nvidia" in c["quote"]]
    grid = {c["id"] for c in found(seeded, '"power grid"')}
    nuclear = {c["id"] for c in found(seeded, "nuclear")}
    assert {c["id"] for c in found(seeded, '"power grid" OR nuclear')} == grid | nuclear
    assert {c["id"] for c in found(seeded, "semicon*")} >= {
        c["id"] for c in found(seeded, "semiconductor")}
    # Words in the source title match too: every claim of the article has "Divergence".
    assert len(found(seeded, "divergence")) >= 41


def test_search_combines_with_filters_and_ranks(seeded: KB) -> None:
    us_only = found(seeded, "chips", "--country", "US", "--theme", "hardware")
    assert us_only and all("US" in c["countries"] for c in us_only)
    listed = json.loads(seeded.ok("claim", "list", "--search", "grid", "--limit", "2",
                                  "--format", "json"))
    assert len(listed) == 2
    # Best first: a claim whose own text says "grid" twice beats one that only quotes it.
    ranked = found(seeded, "grid")
    assert "grid" in ranked[0]["text"].lower()


def test_every_match_is_ranked_whatever_the_limit(kb: KB, tmp_path: Path) -> None:
    # The best match is the oldest, behind 300 newer ones: kb once ranked only the newest 250.
    path = tmp_path / "claims.jsonl"
    lines: list[dict[str, object]] = [{"source_record": {"key": "s", "title": "Minerals"}}]
    lines += [{"source": "s", "text": "lithium lithium lithium: the lithium report",
               "countries": ["CL"]}]
    lines += [{"source": "s", "text": f"lithium supply note {i} of many, with more words",
               "countries": ["CL"]} for i in range(300)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    kb.ok("import", str(path))
    every = found(kb, "lithium")
    assert len(every) == 301 and every[0]["text"].startswith("lithium lithium")
    for args in (["--limit", "3"], ["--limit", "1", "--country", "CL"], ["--limit", "300"]):
        best = found(kb, "lithium", *args)
        assert best == every[:int(args[1])]
    # Equal ranks: the newest added first, in the full list and in a limited one alike.
    notes = found(kb, "supply note")
    assert [c["id"] for c in notes] == sorted((c["id"] for c in notes), reverse=True)
    assert found(kb, "supply note", "--limit", "5") == notes[:5]
    # The best `limit` of what the filters keep, never fewer: a retracted best match, and
    # matches about another country, are left out before the limit is taken.
    kb.ok("claim", "retract", str(every[0]["id"]), "--reason", "misread")
    kb.ok("claim", "edit", str(every[1]["id"]), "--country", "AR")
    ranked: list[int] = [c["id"] for c in every]
    assert [c["id"] for c in found(kb, "lithium")][:3] == ranked[1:4]
    assert [c["id"] for c in found(kb, "lithium", "--limit", "3")] == ranked[1:4]
    assert [c["id"] for c in found(kb, "lithium", "--country", "CL", "--limit", "3")] == (
        ranked[2:5])


def test_table_output_highlights_the_matched_words(seeded: KB) -> None:
    result = CliRunner().invoke(cli, ["--db", seeded.db, "search", "nuclear"],
                                color=True)
    assert "\x1b[1m\x1b[33m" in result.stdout or "\x1b[33m\x1b[1m" in result.stdout
    plain = seeded.ok("search", "nuclear")
    assert "\x1b[" not in plain


def test_index_follows_edits_and_deletes(seeded: KB) -> None:
    claim = seeded.ok("claim", "add", "--source", "npr2026china", "--text",
                      "Quantum annealers are irrelevant").strip()
    assert [c["id"] for c in found(seeded, "annealers")] == [int(claim)]
    seeded.ok("claim", "edit", claim, "--text", "Photonic chips are irrelevant")
    assert found(seeded, "annealers") == []
    seeded.ok("source", "edit", "npr2026china", "--title", "Zebrafish report")
    assert int(claim) in [c["id"] for c in found(seeded, "zebrafish")]
    seeded.ok("claim", "rm", claim)
    assert found(seeded, "photonic") == []


@pytest.mark.parametrize(("query", "message"), [
    ('"power grid', "Error: invalid search '\"power grid': a phrase is missing its closing "
     "quote"),
    ("OR chips", "Error: invalid search 'OR chips': OR needs words on both sides"),
    ("chips OR", "Error: invalid search 'chips OR': OR needs words after it"),
    ("NOT chips", "Error: invalid search 'NOT chips': NOT needs words before it (e.g. chips "
     "NOT Nvidia)"),
    ("*", "Error: invalid search '*': a phrase or prefix has no words"),
    ("!!", "Error: invalid search '!!': no words to search for"),
])
def test_malformed_queries_get_a_clear_error(seeded: KB, query: str, message: str) -> None:
    result = seeded("search", query)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"


def index_mismatches(path: Path) -> list[str]:
    """How the FTS5 index differs from one built afresh from the text it reads (an external
    content index cannot check itself: 'integrity-check' does not read the content)."""
    import re

    conn = sqlite3.connect(path)
    try:
        # The index's own tokenizer (0010 wraps 0007's in `porter`).
        (create,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'claim_fts'"
                                 ).fetchone()
        tokenize = re.search(r"tokenize\s*=\s*'([^']*)'", create)
        assert tokenize is not None
        # The index's own columns: 0012 added the actors' names.
        columns = ", ".join(name for _, name, *_ in conn.execute(
            "PRAGMA table_info(claim_fts)"))
        conn.executescript(f"""
            CREATE VIRTUAL TABLE temp.fresh USING fts5({columns},
                tokenize = '{tokenize.group(1)}');
            INSERT INTO temp.fresh (rowid, {columns})
                SELECT id, {columns} FROM main.claim_fts_text;
            CREATE VIRTUAL TABLE temp.kept_terms USING fts5vocab(main, claim_fts, row);
            CREATE VIRTUAL TABLE temp.fresh_terms USING fts5vocab(temp, fresh, row);
        """)
        problems = []
        for what, kept, fresh in (
            ("terms", "SELECT term, doc, cnt FROM temp.kept_terms",
             "SELECT term, doc, cnt FROM temp.fresh_terms"),
            ("row sizes", "SELECT id, sz FROM main.claim_fts_docsize",
             "SELECT id, sz FROM temp.fresh_docsize"),
            ("totals", "SELECT block FROM main.claim_fts_data WHERE id = 1",
             "SELECT block FROM temp.fresh_data WHERE id = 1"),
        ):
            if set(conn.execute(kept)) != set(conn.execute(fresh)):
                problems.append(what)
        return problems
    finally:
        conn.close()


@sqlite_only
def test_the_index_keeps_no_copy_and_stays_exact_through_edits(seeded: KB) -> None:
    conn = sqlite3.connect(seeded.path)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "claim_fts_content" not in tables  # the text lives in claim and source only
    assert index_mismatches(seeded.path) == []
    added = seeded.ok("claim", "add", "--source", "npr2026china", "--text",
                      "Quantum annealers", "--quote", "annealers, said Müller").strip()
    seeded.ok("claim", "add", "--source", "npr2026china", "--text", "No quote here")
    seeded.ok("claim", "edit", added, "--text", "Photonic chips")
    seeded.ok("claim", "edit", added, "--quote", "")
    seeded.ok("source", "edit", "npr2026china", "--title", "Zebrafish report")
    seeded.ok("source", "edit", "npr2026china", "--title", "Zebrafish report")  # unchanged
    seeded.ok("claim", "rm", added)
    assert index_mismatches(seeded.path) == []
    assert found(seeded, "zebrafish") and found(seeded, "photonic") == []


def test_a_0004_database_moves_to_the_new_index_and_back(empty_url: str) -> None:
    """Migration 0007 (external content on SQLite; nothing on PostgreSQL) both ways."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from kb.db import HEAD_REVISION, alembic_config

    config = alembic_config(empty_url)
    command.upgrade(config, "0004")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO source (key, type, title, issued, created_at, updated_at) VALUES "
            "('old', 'report', 'Zebrafish studies', '2024', '2024-05-01', '2024-05-01'), "
            "('new', 'report', 'Grid notes', '2025', '2024-05-01', '2024-05-01')"))
        for source, words, quote in ((1, "Chips are scarce", "chips are scarce"),
                                     (1, "Power grid limits", None),
                                     (2, "Müller on chips", "a grid of chips"),
                                     (2, "Nothing to see", "")):
            conn.execute(text(
                "INSERT INTO claim (source_id, text, quote, date, date_start, date_end, "
                "created_at, updated_at) VALUES (:s, :t, :q, '2024', '2024-01-01', "
                "'2024-12-31', '2024-05-01', '2024-05-01')"), {"s": source, "t": words,
                                                              "q": quote})
    queries = {"chips": [1, 3], "zebrafish": [1, 2], "muller": [3], '"power grid"': [2],
               "grid": [2, 3, 4], "chips NOT scarce": [3], "scar*": [1]}

    def ids(query: str, config: str = "kb_search") -> list[int]:
        if engine.dialect.name == "postgresql":
            from kb.services.search import parse, to_tsquery

            sql = (f"SELECT claim_id FROM claim_fts WHERE document @@ "
                   f"to_tsquery('{config}', :q) ORDER BY 1")
            with engine.connect() as conn:
                return list(conn.scalars(text(sql), {"q": to_tsquery(parse(query))}))
        from kb.services.search import parse, to_fts5

        with engine.connect() as conn:
            return list(conn.scalars(text(
                "SELECT rowid FROM claim_fts WHERE claim_fts MATCH :q ORDER BY 1"),
                {"q": to_fts5(parse(query))}))

    # At 0004 PostgreSQL kept accents ('simple'); SQLite's index removed them.
    at_0004 = dict(queries, muller=[] if engine.dialect.name == "postgresql" else [3])
    assert {q: ids(q, "simple") for q in queries} == at_0004
    command.upgrade(config, "head")
    assert {q: ids(q) for q in queries} == queries
    for query, expected in queries.items():
        assert sorted(c["id"] for c in found(KB(empty_url), query)) == expected
    assert (engine.dialect.name == "postgresql"
            or index_mismatches(Path(engine.url.database or "")) == [])
    command.downgrade(config, "0004")
    assert {q: ids(q, "simple") for q in queries} == at_0004
    command.upgrade(config, HEAD_REVISION)
    assert {q: ids(q) for q in queries} == queries
    engine.dispose()


@sqlite_only
def test_a_title_edited_while_a_bulk_load_holds_the_index_back(seeded: KB) -> None:
    # A bulk import sets the insert trigger aside and indexes its claims at the end; a title
    # edited in between must not 'delete' claims never indexed (FTS5 would miscount).
    conn = sqlite3.connect(seeded.path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'claim_fts_insert'"
                           ).fetchone()[0]
    conn.execute("DROP TRIGGER claim_fts_insert")
    conn.execute("INSERT INTO claim (source_id, text, created_at, updated_at) SELECT id, "
                 "'Held back', '2026-01-01', '2026-01-01' FROM source WHERE key = 'npr2026china'")
    conn.execute("UPDATE source SET title = 'Zebrafish report' WHERE key = 'npr2026china'")
    conn.execute(trigger)
    conn.execute("COMMIT")
    conn.close()
    assert index_mismatches(seeded.path) == []
    assert len(found(seeded, "held back zebrafish")) == 1
