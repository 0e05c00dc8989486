"""Researchers' processes writing to one SQLite file at once all succeed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

from tests.conftest import sqlite_only

if TYPE_CHECKING:
    from tests.conftest import KB

WRITER = textwrap.dedent("""
    import sys
    from click.testing import CliRunner
    from kb.cli import cli
    db, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(count):
        # Each command reads (resolves the source and country) before it writes.
        result = CliRunner().invoke(cli, ["--db", db, "claim", "add", "--source", "shared",
                                          "--text", f"{name} {i}", "--country", "US",
                                          "--theme", f"writer/{name}"])
        if result.exit_code != 0:
            sys.exit(f"{name} {i}: {result.output}")
""")


def test_four_writers_at_once_all_succeed(kb: KB) -> None:
    kb.ok("source", "add", "--title", "Shared", "--key", "shared")
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, kb.db, f"w{n}", "40"],
                                stderr=subprocess.PIPE, text=True) for n in range(4)]
    outcomes = [w.communicate()[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], outcomes
    claims = json.loads(kb.ok("claim", "list", "--format", "json"))
    assert len(claims) == 160
    assert len({c["text"] for c in claims}) == 160


@sqlite_only
def test_pragmas_are_on(kb: KB) -> None:
    from kb.db import Database

    db = Database(kb.url)
    with db.read() as session:
        pragmas = {name: session.connection().exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("foreign_keys", "journal_mode", "busy_timeout")}
    db.dispose()
    # busy_timeout: KB_LOCK_TIMEOUT, 60 s by default.
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 60000}
