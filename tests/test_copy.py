"""`kb db copy`: a whole database moves to another (SQLite to PostgreSQL) with nothing lost."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from tests.backends import BACKEND
from tests.conftest import KB

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def without_search_index(dump: str) -> str:
    """The rows a researcher wrote; the full-text index is rebuilt by the target's triggers."""
    return "\n".join(line for line in dump.splitlines() if not line.startswith("claim_fts"))


def what_a_researcher_sees(kb: KB) -> dict[str, object]:
    return {
        "claims": json.loads(kb.ok("claim", "list", "--format", "json")),
        "sources": json.loads(kb.ok("source", "list", "--format", "json")),
        "history": json.loads(kb.ok("claim", "history", "1", "--format", "json")),
        "evidence": json.loads(kb.ok("claim", "show", "14", "--format", "json"))["evidence"],
        # Ranking may differ between backends (bm25 and ts_rank); what matches may not.
        "search": sorted(c["id"] for c in json.loads(kb.ok("search", "chips", "--format",
                                                           "json"))),
        "regions": json.loads(kb.ok("region", "--format", "json")),
        "themes": kb.ok("themes"),
    }


def edit_history(kb: KB) -> None:
    kb.ok("claim", "edit", "1", "--quote", "an edited quote", "--theme", "edited/theme")
    kb.ok("source", "edit", "npr2026china", "--note", "checked against the transcript")


def test_a_copy_holds_every_row_and_keeps_numbering(seeded: KB, kb: KB) -> None:
    edit_history(seeded)
    result = seeded("db", "copy", kb.db)
    assert result.exit_code == 0, result.output
    # A creation stores no revision (0005): the one edit is the one revision row.
    assert result.stderr.startswith("copied 2 source(s), 42 claim(s), 3 evidence link(s), "
                                    "1 revision(s) to ")
    assert without_search_index(kb.dump()) == without_search_index(seeded.dump())
    assert what_a_researcher_sees(kb) == what_a_researcher_sees(seeded)
    # New rows continue after the copied ids (PostgreSQL's sequences were moved on).
    assert kb.ok("claim", "add", "--source", "npr2026china", "--text", "new").strip() == "43"


@pytest.mark.skipif(BACKEND != "postgresql", reason="moves a SQLite file to PostgreSQL")
def test_a_sqlite_database_moves_to_postgresql(tmp_path: Path, kb: KB) -> None:
    laptop = KB(f"sqlite:///{tmp_path / 'laptop.sqlite3'}")
    laptop.ok("seed")
    edit_history(laptop)
    laptop.ok("db", "copy", kb.url)
    assert what_a_researcher_sees(kb) == what_a_researcher_sees(laptop)


def test_copying_into_a_database_with_data_is_refused(seeded: KB, new_kb: Callable[[], KB]) -> None:
    target = new_kb()
    target.ok("source", "add", "--title", "Already here", "--key", "here")
    before = target.dump()
    result = seeded("db", "copy", target.db)
    assert result.exit_code == 1
    assert result.stderr == ("Error: the target database already holds data (table source); "
                             "copy into a new, empty database\n")
    assert target.dump() == before



def newest_source_id(kb: KB) -> int:
    # Sources are known by key; their ids are what a citation of the database would keep.
    engine = create_engine(kb.url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT max(id) FROM source")).scalar_one()
    engine.dispose()
    return int(found)


def delete_the_newest(kb: KB) -> dict[str, int]:
    """A source, claims and an evidence link added and then deleted, the newest of each:
    the highest id each table has ever handed out."""
    kb.ok("source", "add", "--title", "Withdrawn notes", "--key", "gone2026")
    source = newest_source_id(kb)
    claims = [int(kb.ok("claim", "add", "--source", "gone2026", "--text", f"gone {n}"))
              for n in range(2)]
    link = int(kb.ok("evidence", "add", "1", "--supports", "--source", "gone2026"))
    kb.ok("evidence", "rm", str(link))
    for claim in claims:
        kb.ok("claim", "rm", str(claim))
    kb.ok("source", "rm", "gone2026")
    return {"claim": max(claims), "evidence": link, "source": source}


def assert_no_id_is_given_again(copy: KB, given: dict[str, int]) -> None:
    """The next source, claim and evidence link get the ids after the highest ever given."""
    copy.ok("source", "add", "--title", "New notes", "--key", "new2026")
    claim = int(copy.ok("claim", "add", "--source", "new2026", "--text", "new"))
    link = int(copy.ok("evidence", "add", str(claim), "--supports", "--source", "new2026"))
    assert {"claim": claim, "evidence": link, "source": newest_source_id(copy)} == {
        table: highest + 1 for table, highest in given.items()}


def test_a_copy_never_gives_again_an_id_its_original_gave(seeded: KB, kb: KB) -> None:
    given = delete_the_newest(seeded)
    seeded.ok("db", "copy", kb.db)
    assert_no_id_is_given_again(kb, given)


@pytest.mark.skipif(BACKEND != "postgresql", reason="copies between SQLite and PostgreSQL")
def test_ids_are_never_given_again_after_a_copy_between_backends(
        tmp_path: Path, seeded: KB, kb: KB) -> None:
    laptop = KB(f"sqlite:///{tmp_path / 'laptop.sqlite3'}")
    laptop.ok("seed")
    given = delete_the_newest(laptop)
    laptop.ok("db", "copy", kb.url)
    assert_no_id_is_given_again(kb, given)

    given = delete_the_newest(seeded)
    back = KB(f"sqlite:///{tmp_path / 'back.sqlite3'}")
    seeded.ok("db", "copy", back.db)
    assert_no_id_is_given_again(back, given)
