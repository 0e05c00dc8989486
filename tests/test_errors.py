"""Bad input: one line on stderr naming the field and value, exit 2 or 1, database unchanged."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.conftest import sqlite_only

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import KB

A = "ainews2026great"

CASES = [
    (["claim", "add", "--source", "nope", "--text", "x"], 1,
     "Error: source 'nope' not found (see `kb source list`)"),
    (["claim", "add", "--source", A, "--text", "x", "--date", "2026-13-45"], 2,
     "Error: invalid date '2026-13-45': month must be between 1 and 12"),
    (["claim", "add", "--source", A, "--text", "x", "--date", "2026-02-30"], 2,
     "Error: invalid date '2026-02-30': day must be between 1 and 28 in that month"),
    (["claim", "add", "--source", A, "--text", "x", "--date", "last tuesday"], 2,
     "Error: invalid date 'last tuesday': expected YYYY, YYYY-MM or YYYY-MM-DD"),
    (["claim", "add", "--source", A, "--text", "   "], 2,
     "Error: invalid text '   ': a claim needs its statement text"),
    (["claim", "add", "--source", A, "--text", "x", "--country", "US", "--country", "Atlantis"],
     2, "Error: invalid country 'Atlantis': not a known country or region "
     "(see `kb countries --all`)"),
    (["claim", "add", "--source", A, "--text", "x", "--theme", "hardware//chips"], 2,
     "Error: invalid theme 'hardware//chips': expected a slash path such as hardware/chips"),
    (["claim", "add", "--source", A], 2, "Error: Missing option '--text'."),
    (["source", "add", "--title", "Again", "--key", A], 1,
     f"Error: source key '{A}' already exists"),
    (["source", "add", "--title", "Other", "--doi", "https://doi.org/10.1000/ABC"], 1,
     "Error: a source with doi '10.1000/abc' already exists: dup2020doi"),
    # The same URL is the same work only with the same title, year and first author.
    (["source", "add", "--title", "Duplicate check", "--url",
      "HTTPS://Example.ORG:443/report/"], 1,
     "Error: a source with url 'HTTPS://Example.ORG:443/report/' and the same title, year and "
     "first author already exists: dup2020doi"),
    (["source", "add", "--title", "Other", "--type", "blogpost"], 2,
     "Error: invalid type 'blogpost': not a CSL item type (e.g. article-newspaper, report, "
     "webpage, article-journal, book, broadcast)"),
    (["source", "add", "--title", "Other", "--doi", "not-a-doi"], 2,
     "Error: invalid doi 'not-a-doi': expected a DOI such as 10.1234/abcd"),
    (["source", "show", "nope"], 1, "Error: source 'nope' not found (see `kb source list`)"),
    (["evidence", "add", "999", "--supports", "--source", A], 1, "Error: claim 999 not found"),
    (["evidence", "add", "1", "--supports"], 2,
     "Error: give exactly one of --source KEY or --claim ID as the evidence"),
    (["evidence", "add", "1", "--supports", "--refutes", "--source", A], 2,
     "Error: give exactly one of --supports, --refutes, --qualifies "
     "(got --supports, --refutes)"),
    (["evidence", "add", "1", "--supports", "--claim", "1"], 2,
     "Error: invalid claim 1: a claim cannot be evidence for itself"),
    (["evidence", "rm", "999"], 1, "Error: evidence 999 not found"),
    (["claim", "list", "--status", "bogus"], 2,
     "Error: invalid status 'bogus': expected one of unverified, supported, refuted, contested"),
    (["claim", "list", "--since", "2026-02-31"], 2,
     "Error: invalid since '2026-02-31': day must be between 1 and 28 in that month"),
    (["claim", "list", "--theme", "astrology"], 1,
     "Error: no theme 'astrology' (see `kb themes`)"),
    (["claim", "show", "abc"], 2, "Error: Invalid value for 'CLAIM_ID': 'abc' is not a valid "
     "integer."),
    (["claim", "rm", "15"], 1, "Error: claim 15 is evidence for claim(s) 14; remove that "
     "evidence first or pass --force"),
    (["claim", "edit", "999", "--text", "x"], 1, "Error: claim 999 not found"),
    # Numbers past what an id column holds: a usage error, not the driver's overflow.
    (["claim", "show", "99999999999999999999999"], 2, "Error: Invalid value for 'CLAIM_ID': "
     "99999999999999999999999 is not in the range -2147483648<=x<=2147483647."),
    (["evidence", "add", "1", "--supports", "--claim", "2147483648"], 2, "Error: Invalid "
     "value for '--claim': 2147483648 is not in the range -2147483648<=x<=2147483647."),
    (["claim", "show", "--", "-99999999999999999999999"], 2, "Error: Invalid value for "
     "'CLAIM_ID': -99999999999999999999999 is not in the range -2147483648<=x<=2147483647."),
    (["claim", "list", "--limit", "9223372036854775808"], 2, "Error: Invalid value for "
     "'--limit': 9223372036854775808 is not in the range 0<=x<=2147483647."),
]


@pytest.mark.parametrize(("args", "code", "message"), CASES,
                         ids=[" ".join(c[0][:3]) for c in CASES])
def test_bad_input_is_refused_with_one_line_and_changes_nothing(
    seeded: KB, args: list[str], code: int, message: str
) -> None:
    seeded.ok("source", "add", "--title", "Duplicate check", "--key", "dup2020doi",
              "--doi", "10.1000/abc", "--url", "https://example.org/report")
    before = seeded.dump()
    result = seeded(*args)
    assert result.exit_code == code
    assert result.stderr == message + "\n"
    assert "Traceback" not in result.output
    assert seeded.dump() == before


@sqlite_only
def test_db_path_that_cannot_be_opened(tmp_path: Path) -> None:
    from tests.conftest import KB

    result = KB(f"sqlite:///{tmp_path}/missing/kb.sqlite3")("claim", "list")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: cannot open database '{tmp_path}/missing/kb.sqlite3': "
                             "unable to open database file\n")


@sqlite_only
def test_db_file_that_is_not_a_database(tmp_path: Path) -> None:
    from tests.conftest import KB

    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 20)
    result = KB(f"sqlite:///{path}")("claim", "list")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: database '{path}' is not a kb database: "
                             "file is not a database\n")
    assert path.read_text().startswith("these are my notes")


@sqlite_only
def test_sqlite_database_of_another_program_is_left_alone(tmp_path: Path) -> None:
    import sqlite3

    from tests.conftest import KB

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    result = KB(f"sqlite:///{path}")("source", "list")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: database '{path}': not a kb database "
                             "(it has tables recipes but no kb schema)\n")


def test_a_database_server_that_cannot_be_reached() -> None:
    from tests.backends import free_port
    from tests.conftest import KB

    url = f"postgresql+psycopg://kb:secret@127.0.0.1:{free_port()}/kb"
    result = KB(url)("claim", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot connect to database "
                                    "'postgresql+psycopg://kb:***@127.0.0.1:")
    assert len(result.stderr.splitlines()) == 1 and "secret" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["claim", "add", "--source", A, "--text", "a\x00b"],
     "Error: invalid --text 'a\\x00b': contains a NUL character"),
    (["evidence", "add", "1", "--supports", "--source=\x00"],
     "Error: invalid --source '\\x00': contains a NUL character"),
    (["search", "chips\x00"], "Error: invalid argument 'chips\\x00': contains a NUL character"),
])
def test_nul_in_an_argument_is_refused_on_every_backend(seeded: KB, args: list[str],
                                                        message: str) -> None:
    """PostgreSQL cannot store NUL; kb refuses it everywhere so a database can move."""
    before = seeded.dump()
    result = seeded(*args)
    assert (result.exit_code, result.stderr) == (2, message + "\n")
    assert seeded.dump() == before


@pytest.mark.parametrize(("name", "content", "message"), [
    ("claims.jsonl", json.dumps({"source": A, "text": "ok", "themes": ["a\x00b"]}) + "\n",
     "Error: line 1: invalid themes[0] 'a\\x00b': contains a NUL character; "
     "nothing was imported"),
    ("claims.csv", f"source,text\n{A},ok\n{A},o\x00k\n",
     "Error: line 3: invalid text 'o\\x00k': contains a NUL character; nothing was imported"),
    ("refs.json", '[{"id": "k", "type": "book", "title": "T\\u0000"}]',
     "Error: cannot import {path}: item 1: invalid title 'T\\x00': contains a NUL character; "
     "nothing was imported"),
    # A NUL byte in the file itself: not a text file.
    ("refs.bib", "@book{k, title = {T}, author = {A\x00B}}\n",
     "Error: cannot import {path}: not a text file (a NUL byte at byte 33, line 1); "
     "nothing was imported"),
])
def test_nul_in_an_imported_file_refuses_the_file(seeded: KB, tmp_path: Path, name: str,
                                                  content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    before = seeded.dump()
    result = seeded("import", str(path))
    assert (result.exit_code, result.stderr) == (1, message.replace("{path}", str(path)) + "\n")
    assert seeded.dump() == before
