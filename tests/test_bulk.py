"""Bulk claims: JSON Lines and CSV round trips, all-or-nothing imports, backups, SIGKILL."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from tests.backends import BACKEND
from tests.conftest import sqlite_only

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import KB


def content(kb: KB) -> list[dict]:  # type: ignore[type-arg]
    """Sources, claims and evidence, without ids and timestamps that may differ, nor the
    quote checks: source texts travel by `kb backup` and `kb db copy`, not in JSON Lines."""
    lines = kb.ok("export", "claims", "--format", "jsonl").splitlines()
    rows = [json.loads(line) for line in lines]
    for row in rows:
        for key in ("created", "updated", "quote_status", "anchor"):
            row.pop(key, None)
    return rows


def test_jsonl_export_then_import_gives_back_everything(seeded: KB, tmp_path: Path,
                                                        new_kb: Callable[[], KB]) -> None:
    out = tmp_path / "all.jsonl"
    seeded.ok("export", "claims", "--format", "jsonl", "-o", str(out))
    empty = new_kb()
    result = empty("import", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == "imported 42 claim(s), 2 source(s), 3 evidence link(s)"
    assert content(empty) == content(seeded)
    assert json.loads(empty.ok("search", "nuclear", "--format", "json"))  # index filled


def test_csv_import_resolves_names_and_regions(seeded: KB, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("source,text,quote,locator,date,countries,themes,actors\n"
                    "npr2026china,Chips are short,,p. 2,2025-06,PRC;Africa,hardware/chips,"
                    "Huawei\n")
    seeded.ok("import", str(path))
    (claim,) = json.loads(seeded.ok("claim", "list", "--actor", "Huawei", "--format", "json"))
    assert (claim["countries"], claim["regions"], claim["date"]) == (["CN"], ["Africa"],
                                                                      "2025-06")


@pytest.mark.parametrize(("lines", "message"), [
    (['{"source": "npr2026china", "text": "ok"}', "{not json"],
     "Error: line 2: not JSON (Expecting property name enclosed in double quotes); "
     "nothing was imported"),
    (['{"source": "npr2026china", "text": "ok"}', '{"source": "nope", "text": "x"}'],
     "Error: line 2: source 'nope' not found (see `kb source list`); nothing was imported"),
    (['{"source": "npr2026china", "text": "ok", "date": "2026-13-45"}'],
     "Error: line 1: invalid date '2026-13-45': month must be between 1 and 12; "
     "nothing was imported"),
    (['{"source": "npr2026china", "text": "ok", "countries": ["Atlantis"]}'],
     "Error: line 1: invalid country 'Atlantis': not a known country or region "
     "(see `kb countries --all`); nothing was imported"),
])
def test_a_bad_record_refuses_the_whole_import(seeded: KB, tmp_path: Path, lines: list[str],
                                               message: str) -> None:
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(lines) + "\n")
    before = seeded.dump()
    result = seeded("import", str(path))
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert seeded.dump() == before


class PipedImport:
    """`kb import` reading its claims from a named pipe: it cannot finish, so cannot commit,
    before the test closes the pipe, however fast the machine (a file of N claims raced it)."""

    def __init__(self, kb: KB, tmp_path: Path) -> None:
        self.kb = kb
        path = tmp_path / "claims.jsonl"
        os.mkfifo(path)
        self.process = subprocess.Popen([sys.executable, "-m", "kb", "--db", kb.db, "import",
                                         str(path)], stderr=subprocess.DEVNULL)
        self.pipe = os.fdopen(self._open_for_writing(path), "w")
        self.pipe.write(json.dumps({"source_record": {"key": "big", "title": "Big"}}) + "\n")
        self.claims = 0

    def _open_for_writing(self, path: Path) -> int:
        deadline = time.monotonic() + 60
        while True:  # without O_NONBLOCK an import that died before reading would hang us
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader yet
                assert self.process.poll() is None, "the import stopped before reading"
                assert time.monotonic() < deadline, "the import never opened its file"
                time.sleep(0.05)
                continue
            os.set_blocking(fd, True)
            return fd

    def feed_until_spilled(self) -> None:
        """Claims, 5,000 at a time, until the import has uncommitted rows on disk: in SQLite's
        WAL once they overflow its 64 MB page cache (~300,000 claims)."""
        deadline = time.monotonic() + 120
        while not self.spilled():
            assert self.process.poll() is None, "the import stopped"
            assert time.monotonic() < deadline, "the import wrote nothing to disk in 120 s"
            for _ in range(5000):
                self.pipe.write(json.dumps({"source": "big",
                                            "text": f"claim number {self.claims}",
                                            "countries": ["US"], "themes": ["t/x"]}) + "\n")
                self.claims += 1
            self.pipe.flush()

    def spilled(self) -> bool:
        if BACKEND == "sqlite":
            wal = self.kb.path.with_name(self.kb.path.name + "-wal")
            return wal.exists() and wal.stat().st_size >= 1_000_000
        # Some 20,000 claims in, and the import's transaction holds an id: it has written.
        from sqlalchemy import create_engine, text

        engine = create_engine(self.kb.url)
        try:
            with engine.connect() as conn:
                return self.claims >= 20_000 and bool(conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL "
                    "AND pid <> pg_backend_pid() AND datname = current_database()")).scalar())
        finally:
            engine.dispose()

    def finish(self) -> int:
        self.pipe.close()
        return self.process.wait(timeout=120)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        with contextlib.suppress(BrokenPipeError):
            self.pipe.close()


@pytest.mark.slow
def test_an_import_killed_halfway_leaves_the_database_as_it_was(seeded: KB,
                                                                 tmp_path: Path) -> None:
    before = seeded.dump()
    importing = PipedImport(seeded, tmp_path)
    try:
        importing.feed_until_spilled()
        assert importing.process.poll() is None
    finally:
        importing.kill()
    assert seeded.dump() == before
    assert seeded.ok("claim", "add", "--source", "npr2026china", "--text", "still usable")


@sqlite_only
@pytest.mark.slow
def test_backup_is_consistent_while_another_process_writes(seeded: KB, tmp_path: Path) -> None:
    importing = PipedImport(seeded, tmp_path)
    target = tmp_path / "copy.sqlite3"
    try:
        importing.feed_until_spilled()
        seeded.ok("backup", str(target))
        # The import was writing (uncommitted) before the backup began and is still running:
        # the backup copied the database as it was before it, not half of it.
        assert importing.process.poll() is None
    except BaseException:
        importing.kill()  # not left blocked on its pipe until pytest ends
        raise
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM claim").fetchone()[0] == 42
    assert importing.finish() == 0
    with sqlite3.connect(seeded.path) as conn:
        assert conn.execute("SELECT count(*) FROM claim").fetchone()[0] == 42 + importing.claims
    refused = seeded("backup", str(target))
    assert refused.exit_code == 1
    assert refused.stderr == f"Error: backup target '{target}' exists; choose a new file\n"


def test_evidence_may_point_forward_and_ids_need_not_be_in_order(kb: KB,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    lines = [{"source_record": {"key": "s", "title": "S"}},
             {"id": 10, "source": "s", "text": "first",
              "evidence": [{"relation": "refutes", "claim": "later"}]},
             {"id": 3, "source": "s", "text": "second",
              "evidence": [{"relation": "supports", "claim": 10}]},
             {"id": "later", "source": "s", "text": "third"}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    kb.ok("import", str(path))
    claims = {c["text"]: c for c in json.loads(kb.ok("claim", "list", "--format", "json"))}
    assert claims["first"]["status"] == "refuted" and claims["second"]["status"] == "supported"
    shown = json.loads(kb.ok("claim", "show", str(claims["first"]["id"]), "--format", "json"))
    assert shown["evidence"][0]["claim"] == claims["third"]["id"]
