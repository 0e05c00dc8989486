"""A team's shared database: ids never reused, every failure one line, migrations under
several processes, downgrades that destroy nothing silently, the same limits on both backends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from kb.db import shown
from tests.backends import BACKEND
from tests.conftest import REPO

if TYPE_CHECKING:
    from pathlib import Path

    from tests.backends import Databases
    from tests.conftest import KB

postgresql_only = pytest.mark.skipif(BACKEND != "postgresql", reason="about PostgreSQL")


def _claims_file(path: Path, count: int, start: int = 1) -> Path:
    source = {"key": "team2026", "title": "Team notes", "date": "2026"}
    with path.open("w") as out:
        for number in range(start, start + count):
            out.write(json.dumps({"id": number, "source_record": source,
                                  "text": f"claim number {number}"}) + "\n")
    return path


def test_ids_of_deleted_claims_are_never_given_again(kb: KB, tmp_path: Path) -> None:
    kb.ok("import", str(_claims_file(tmp_path / "a.jsonl", 5)))
    ids = [c["id"] for c in json.loads(kb.ok("claim", "list", "--format", "json"))]
    newest = max(ids)
    for claim_id in (newest, newest - 1):
        kb.ok("claim", "rm", str(claim_id))
    added = int(kb.ok("claim", "add", "--source", "team2026", "--text", "after").strip())
    assert added > newest
    kb.ok("claim", "rm", str(added))
    # An import chooses its ids itself: it starts after every id ever given too.
    kb.ok("import", str(_claims_file(tmp_path / "b.jsonl", 2, start=100)))
    after = [c["id"] for c in json.loads(kb.ok("claim", "list", "--format", "json"))]
    assert min(set(after) - set(ids)) > added
    again = int(kb.ok("claim", "add", "--source", "team2026", "--text", "last").strip())
    assert again > max(after)
    # Evidence and sources too.
    link = int(kb.ok("evidence", "add", str(again), "--supports", "--source", "team2026"))
    kb.ok("evidence", "rm", str(link))
    assert int(kb.ok("evidence", "add", str(again), "--refutes", "--source", "team2026")) > link


@pytest.mark.parametrize(("url", "message"), [
    ("postgres://kb@db.example.org/kb", "kb has no driver for 'postgres'"),
    ("postgresql+psycopg2://kb@db.example.org/kb", "kb has no driver for 'postgresql+psycopg2'"),
    ("postgresql+psycopg://kb:secret@db.example.org:54x2/kb", "the port '54x2' is not a number"),
])
def test_a_url_kb_cannot_use_is_one_line_naming_the_forms_it_takes(url: str, message: str
                                                                   ) -> None:
    from tests.conftest import KB

    result = KB(url)("claim", "list")
    assert result.exit_code == 1
    scheme = url.split("://")[0]
    assert result.stderr == (
        f"Error: database URL {scheme}://...: {message}; kb takes a SQLite path, "
        "sqlite:///PATH, or postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DATABASE\n")
    assert "secret" not in result.stderr


def _role_url(url: str, role: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


@pytest.fixture
def reader(databases: Databases, seeded: KB) -> KB:
    """The seeded database through a role that may read and not write."""
    from tests.conftest import KB

    assert databases.admin_url is not None
    engine = create_engine(seeded.url, isolation_level="AUTOCOMMIT")
    name = seeded.url.rsplit("/", 1)[1] + "_reader"
    with engine.connect() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}"))
    engine.dispose()
    return KB(_role_url(seeded.url, name))


@postgresql_only
def test_a_role_that_may_not_write_gets_one_line(reader: KB) -> None:
    assert reader.ok("claim", "list", "--limit", "1")
    result = reader("claim", "add", "--source", "ainews2026great", "--text", "nope")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: database '")
    assert "permission denied" in result.stderr and "ask the database's owner" in result.stderr
    assert "INSERT" not in result.stderr


@postgresql_only
def test_a_connection_lost_mid_command_says_so(seeded: KB) -> None:
    from kb.db import Database
    from kb.errors import KBError

    database = Database(seeded.url)
    try:
        with pytest.raises(KBError, match=r"^connection to the database '.*' was lost: "), \
                database.read() as session:
            session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    finally:
        database.dispose()


def _run_kb(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {**os.environ, **(env or {}),
                   "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "kb", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment)


def test_four_processes_on_a_new_database_one_migrates_the_others_wait(
        databases: Databases) -> None:
    from tests.conftest import KB

    empty = KB(databases.new())
    processes = [_run_kb("--db", empty.db, "claim", "list") for _ in range(4)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in processes]
    for process in processes:
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
    assert results == [(0, "")] * 4
    from kb.db import HEAD_REVISION

    assert empty.ok("db", "current") == f"{HEAD_REVISION} (head)\n"


@postgresql_only
def test_a_reader_never_migrates_it_is_told_who_can(databases: Databases) -> None:
    from kb.db import HEAD_REVISION
    from tests.conftest import KB

    url = databases.new()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1] + "_reader"
    with engine.connect() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN"))
    engine.dispose()
    reader = KB(_role_url(url, name))
    result = reader("claim", "list")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: the database '{shown(reader.url)}' needs `kb db upgrade` "
                             f"by its owner (it is at base; this kb needs {HEAD_REVISION})\n")
    assert KB(url).ok("claim", "list") == ""  # the owner migrates on first use


HOLD = """
import sys
from sqlalchemy import text
from kb.db import Database
database = Database(sys.argv[1])
with database.write() as session:
    session.execute(text("SELECT 1"))  # SQLite begins (IMMEDIATE) at the first statement
    print("holding", flush=True)
    sys.stdin.readline()  # until the test lets go
database.dispose()
"""


def test_a_writer_that_waits_says_so_and_gives_up_after_kb_lock_timeout(seeded: KB) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, seeded.url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "holding\n"
        add = ("--db", seeded.db, "claim", "add", "--source", "ainews2026great", "--text", "x")
        impatient = _run_kb(*add, env={"KB_LOCK_TIMEOUT": "1"})
        patient = _run_kb(*add, env={"KB_LOCK_TIMEOUT": "120"})
        _, err = impatient.communicate(timeout=120)
        assert impatient.returncode == 1
        assert err == ("Error: the database is busy: another kb process (an import?) holds the "
                       "write lock (waited 1 s, KB_LOCK_TIMEOUT); try again when it has "
                       "finished\n")
        assert patient.stderr is not None
        assert patient.stderr.readline() == "waiting for another kb process that is writing…\n"
        holder.stdin.write("go\n")
        holder.stdin.flush()
        out, err = patient.communicate(timeout=120)
        assert patient.returncode == 0, err
        assert err == ""
        assert out.strip().isdigit()
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
        holder.stdout.close()


def test_a_downgrade_that_would_drop_data_says_what_and_needs_yes(seeded: KB) -> None:
    from kb.db import HEAD_REVISION

    before = seeded.dump()
    result = seeded("db", "downgrade", "0001")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: downgrading to 0001 would drop ")
    assert "table claim_region (" in result.stderr
    assert ("2 source revisions (table source_revision; an upgrade cannot bring them back)"
            in result.stderr)
    assert result.stderr.endswith("nothing was changed (run again with --yes to drop them)\n")
    assert seeded.dump() == before
    assert seeded.ok("db", "current") == f"{HEAD_REVISION} (head)\n"
    base = seeded("db", "downgrade", "base")
    assert base.exit_code == 1 and "table claim (42 rows)" in base.stderr
    assert seeded.dump() == before
    assert seeded.ok("db", "downgrade", "base", "--yes") == "base\n"


def test_a_downgrade_that_drops_nothing_needs_no_question(kb: KB) -> None:
    assert kb.ok("db", "downgrade", "0001") == "0001\n"


LONG_THEME = "hardware/" + "x" * 500


@pytest.mark.parametrize(("args", "message"), [
    (["claim", "add", "--source", "ainews2026great", "--text", "x", "--theme", LONG_THEME],
     "Error: invalid --theme 'hardware/xxxxxxxxxxxxxxxxxxxxx…': longer than 400 characters, "
     "the most kb keeps in this field"),
    (["claim", "add", "--source", "ainews2026great", "--text", "x", "--actor", "A" * 401],
     f"Error: invalid --actor '{'A' * 30}…': longer than 400 characters, the most kb keeps "
     "in this field"),
    (["source", "add", "--title", "T", "--key", "k" * 201],
     f"Error: invalid --key '{'k' * 30}…': longer than 200 characters, the most kb keeps in "
     "this field"),
])
def test_a_value_no_backend_keeps_whole_is_refused_on_every_backend(
        seeded: KB, args: list[str], message: str) -> None:
    before = seeded.dump()
    result = seeded(*args)
    assert (result.exit_code, result.stderr) == (2, message + "\n")
    assert seeded.dump() == before


def test_a_long_locator_is_kept_on_every_backend(seeded: KB) -> None:
    locator = ("chapter 3, " + "the paragraph beginning 'In the long run' " * 10).strip()
    claim = seeded.ok("claim", "add", "--source", "ainews2026great", "--text", "x",
                      "--locator", locator).strip()
    assert json.loads(seeded.ok("claim", "show", claim, "--format", "json"))["locator"] == locator


def _distinct_words(characters: int) -> str:
    words, size, number = [], 0, 0
    while size < characters:
        words.append(f"w{number:x}q")
        size += len(words[-1]) + 1
        number += 1
    return " ".join(words)


def test_a_text_too_large_for_the_full_text_index_is_refused_naming_the_line(
        seeded: KB, tmp_path: Path) -> None:
    huge = _distinct_words(3_000_000)
    before = seeded.dump()
    result = seeded("claim", "add", "--source", "ainews2026great", "--text", huge)
    assert result.exit_code == 2
    assert result.stderr == ("Error: invalid --text 'w0q w1q w2q w3q w4q w5q w6q w7…': longer "
                             "than 50,000 characters, the most kb keeps in this field\n")
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps({"source": "ainews2026great", "text": "fine"}) + "\n"
                    + json.dumps({"source": "ainews2026great", "text": huge}) + "\n")
    result = seeded("import", str(path))
    assert result.exit_code != 0
    assert result.stderr.startswith("Error: line 2: invalid text 'w0q w1q"), result.stderr
    assert "longer than 50,000 characters" in result.stderr
    assert seeded.dump() == before
    # The most kb keeps is kept, and found, on every backend.
    most = _distinct_words(49_990)
    claim = seeded.ok("claim", "add", "--source", "ainews2026great", "--text", most,
                      "--quote", most.upper()).strip()
    assert claim in seeded.ok("search", "w1fq", "--format", "csv")


def test_search_folds_accents_both_ways_on_every_backend(kb: KB) -> None:
    kb.ok("source", "add", "--title", "Notes", "--key", "notes2026")
    accented = kb.ok("claim", "add", "--source", "notes2026", "--text",
                     "Müller opened a café for chip designers").strip()
    plain = kb.ok("claim", "add", "--source", "notes2026", "--text",
                  "Muller said the cafe sells chips").strip()
    for query in ("muller", "Müller", "MÜLLER", "cafe", "café", '"muller opened"', "caf*"):
        found = {c["id"] for c in json.loads(kb.ok("search", query, "--format", "json"))}
        expected = {int(accented)} if "opened" in query else {int(accented), int(plain)}
        assert found == expected, query


def test_a_downgrade_keeps_a_claims_regions_as_their_member_countries(seeded: KB) -> None:
    engine = create_engine(seeded.url)
    members = ("SELECT cr.claim_id, rc.country_code FROM claim_region cr "
               "JOIN region_country rc ON rc.region_id = cr.region_id")
    with engine.connect() as conn:
        expected = set(conn.execute(text(members)).all())
    assert expected
    seeded.ok("db", "downgrade", "0001", "--yes")
    with engine.connect() as conn:
        kept = set(conn.execute(text("SELECT claim_id, country_code FROM claim_country")).all())
    engine.dispose()
    assert expected <= kept


def _sourced_claims(path: Path, count: int, word: str) -> Path:
    """Claims each with its own inline source, each text holding `word` and its own number."""
    with path.open("w") as out:
        for number in range(1, count + 1):
            out.write(json.dumps({"source_record": {"key": f"bulk{number}", "title": f"Report "
                                                    f"{number}", "date": "2026"},
                                  "text": f"{word} finding n{number}x", "themes": ["bulk/load"],
                                  "countries": ["DE"], "actors": [f"Lab {number % 7}"]}) + "\n")
    return path


def test_a_bulk_import_is_searchable_and_so_is_the_next_claim(
        seeded: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.services import bulk

    monkeypatch.setattr(bulk, "BATCH", 40)  # several batches, as a large file makes
    path = _sourced_claims(tmp_path / "bulk.jsonl", 130, "zorblat")
    # A refused import (its last line) leaves the index and its upkeep as they were.
    bad = tmp_path / "bad.jsonl"
    bad.write_text(path.read_text() + json.dumps({"source": "nowhere", "text": "x"}) + "\n")
    before = seeded.dump()
    result = seeded("import", str(bad))
    assert result.exit_code == 1
    assert result.stderr == ("Error: line 131: source 'nowhere' not found (see `kb source list`); "
                             "nothing was imported\n")
    assert seeded.dump() == before
    assert seeded.ok("search", "zorblat", "--format", "json") == "[]\n"

    seeded.ok("import", str(path))
    found = json.loads(seeded.ok("search", "zorblat", "--format", "json"))
    assert len(found) == 130
    assert [c["id"] for c in json.loads(seeded.ok("search", "n77x", "--format", "json"))] == [
        c["id"] for c in found if c["text"].endswith(" n77x")]
    # By the source's title too, as a claim added one by one is.
    assert len(json.loads(seeded.ok("search", "Report", "--format", "json"))) >= 130
    added = seeded.ok("claim", "add", "--source", "bulk3", "--text", "zorblat later").strip()
    assert int(added) in {c["id"] for c in json.loads(
        seeded.ok("search", "later", "--format", "json"))}


@postgresql_only
def test_an_import_into_a_small_analysed_database_does_not_scan_it_per_claim(
        seeded: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: a foreign-key check planned while `source` was small (analysed then) read
    every source for each new claim. The import analyses the tables it grows."""
    from kb.db import Database
    from kb.formats import claim_files
    from kb.services import bulk

    engine = create_engine(seeded.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    monkeypatch.setattr(bulk, "BATCH", 200)
    path = _sourced_claims(tmp_path / "big.jsonl", 1000, "zorblat")
    database = Database(seeded.url)
    with path.open() as lines, database.write() as session:
        bulk.import_claims(session, claim_files.get("jsonl").read(lines))
        # Rows of `source` read by sequential scans in this transaction.
        scanned = session.scalar(text("SELECT seq_tup_read FROM pg_stat_xact_user_tables "
                                      "WHERE relname = 'source'"))
    database.dispose()
    # Measured: 277,192 rows (while `source` is a few pages a scan is the plan PostgreSQL
    # prefers); 1,718,846 without the analyses, each claim's check reading every source.
    assert scanned < 600_000


@postgresql_only
def test_a_role_that_writes_but_does_not_own_the_tables_imports_too(
        seeded: KB, tmp_path: Path) -> None:
    """It may neither pause the index trigger nor ANALYZE: its claims are indexed row by row,
    its statements planned for their values."""
    from tests.conftest import KB

    engine = create_engine(seeded.url, isolation_level="AUTOCOMMIT")
    name = seeded.url.rsplit("/", 1)[1] + "_writer"
    with engine.connect() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
                          f"public TO {name}"))
        conn.execute(text(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public "
                          f"TO {name}"))
    engine.dispose()
    writer = KB(_role_url(seeded.url, name))
    result = writer("import", str(_sourced_claims(tmp_path / "bulk.jsonl", 30, "zorblat")))
    assert result.exit_code == 0, result.output
    assert len(json.loads(seeded.ok("search", "zorblat", "--format", "json"))) == 30
