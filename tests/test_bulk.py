"""Bulk claims: JSON Lines and CSV round trips, all-or-nothing imports, backups, SIGKILL."""

from __future__ import annotations

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


def write_big(path: Path, count: int) -> None:
    with path.open("w") as out:
        out.write(json.dumps({"source_record": {"key": "big", "title": "Big"}}) + "\n")
        for i in range(count):
            out.write(json.dumps({"source": "big", "text": f"claim number {i}",
                                  "countries": ["US"], "themes": ["t/x"]}) + "\n")


@pytest.mark.slow
def test_an_import_killed_halfway_leaves_the_database_as_it_was(seeded: KB,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_big(path, 400_000)
    before = seeded.dump()
    process = subprocess.Popen([sys.executable, "-m", "kb", "--db", seeded.db,
                                "import", str(path)], stderr=subprocess.DEVNULL)
    wait_until_writing(seeded)
    assert process.poll() is None, "the import finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert seeded.dump() == before
    assert seeded.ok("claim", "add", "--source", "npr2026china", "--text", "still usable")


def wait_until_writing(kb: KB, wal_bytes: int = 4_000_000) -> None:
    """Until the import has written a good part of its rows (uncommitted), or 60 s."""
    deadline = time.monotonic() + 60
    if BACKEND == "sqlite":
        wal = kb.path.with_name(kb.path.name + "-wal")
        while time.monotonic() < deadline and (not wal.exists()
                                               or wal.stat().st_size < wal_bytes):
            time.sleep(0.05)
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(kb.url)
    with engine.connect() as conn:
        # Another backend holding a transaction id has written something.
        while time.monotonic() < deadline and not conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL "
                "AND pid <> pg_backend_pid()")).scalar():
            time.sleep(0.05)
            conn.rollback()
        time.sleep(1.0)
    engine.dispose()


@sqlite_only
@pytest.mark.slow
def test_backup_is_consistent_while_another_process_writes(seeded: KB, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_big(path, 100_000)
    writer = subprocess.Popen([sys.executable, "-m", "kb", "--db", seeded.db, "import",
                               str(path)], stderr=subprocess.DEVNULL)
    wait_until_writing(seeded, wal_bytes=1_000_000)
    assert writer.poll() is None, "the import finished before the backup could start"
    target = tmp_path / "copy.sqlite3"
    seeded.ok("backup", str(target))
    # The two overlapped: the import was writing (uncommitted) before the backup began, and
    # is still running now that it is done.
    assert writer.poll() is None, "the import finished before the backup did"
    assert writer.wait() == 0
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count = conn.execute("SELECT count(*) FROM claim").fetchone()[0]
    # The database as it was before the import or after it, never half of it (a backup that
    # sees the import commit starts again and copies the committed state).
    assert count in (42, 42 + 100_000)
    with sqlite3.connect(seeded.path) as conn:
        assert conn.execute("SELECT count(*) FROM claim").fetchone()[0] == 100_042
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
