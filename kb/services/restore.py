"""Bringing a `kb backup` file back: checked first, copied so no reader sees half a file.

The backup is opened read-only and must be a sound SQLite file (`PRAGMA integrity_check`)
holding a kb schema at a revision this kb knows (a backup from a newer kb is refused rather
than half understood). A target holding sources or claims is replaced only when the caller
says so. The copy goes through SQLite's online backup API into the target's own connection:
it writes the target's pages inside one transaction, so a reader running meanwhile sees the
old database or the restored one, never a mix (copying the file over it would tear both the
file and its WAL). The restored database is then migrated to head.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from kb.errors import Conflict, Invalid, KBError
from kb.models import Claim, Source

if TYPE_CHECKING:
    from pathlib import Path

    from kb.db import Database


def check_backup(path: Path) -> str:
    """The backup's alembic revision, once the file is known to be a sound kb database."""
    if not path.is_file():
        raise Invalid("backup", str(path), "no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise Invalid("backup", str(path), f"cannot be opened: {exc}") from None
    try:
        try:
            (verdict,) = conn.execute("PRAGMA integrity_check(1)").fetchone()
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise Invalid("backup", str(path), f"not a kb database ({exc})") from None
    finally:
        conn.close()
    if verdict != "ok":
        raise Invalid("backup", str(path), f"fails SQLite's integrity check: {verdict}")
    if row is None:
        raise Invalid("backup", str(path), "not a kb database (no schema revision)")
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from kb.db import alembic_config

    try:
        known = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(row[0])
    except CommandError:
        known = None
    if known is None:
        raise Invalid("backup", str(path), f"schema revision {row[0]!r} is unknown to this kb "
                                           "(made by a newer kb?)")
    return str(row[0])


def restore(backup: Path, target: Database, replace: bool = False) -> None:
    """Copy `backup` (passed by `check_backup` first) into `target`, a SQLite database, and
    migrate it. Refuses a target with sources or claims unless `replace`."""
    from kb.db import sqlite_path, translate_errors

    if sqlite_path(target.url) is None:
        raise KBError("kb restore writes SQLite databases; for PostgreSQL, restore into a "
                      "SQLite file and `kb db copy` it to the server")
    if not replace and target.current_revision() is not None:
        with target.read() as session:
            held = (session.scalar(select(func.count()).select_from(Source)) or 0,
                    session.scalar(select(func.count()).select_from(Claim)) or 0)
        if any(held):
            raise Conflict(f"database {target.display_name} holds {held[0]} source(s) and "
                           f"{held[1]} claim(s); pass --yes to replace them with the backup")
    with translate_errors(target.url):
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            destination = target.engine.raw_connection()
            try:
                source.backup(destination.driver_connection)  # type: ignore[arg-type]
            finally:
                destination.close()
        finally:
            source.close()
    target.engine.dispose()  # connections opened before the copy hold the old schema
    target.ensure_current()
