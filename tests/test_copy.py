"""`kb db copy`: a whole database moves to another (SQLite to PostgreSQL) with nothing lost."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

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
