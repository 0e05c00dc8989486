"""A team's shared database: ids never reused, every failure one line, migrations under
several processes, downgrades that destroy nothing silently, the same limits on both backends.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from tests.backends import BACKEND

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
