"""The database the tests run against: SQLite files, or a throwaway PostgreSQL 15 server.

`KB_TEST_BACKEND=postgresql python -m pytest` starts its own server (initdb + pg_ctl, as an
unprivileged user when run as root, on a free loopback port) and stops it at the end.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, text

if TYPE_CHECKING:
    from collections.abc import Iterator

BACKEND = os.environ.get("KB_TEST_BACKEND", "sqlite")
PG_BIN = Path(os.environ.get("KB_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; `nobody` owns the throwaway cluster instead.
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields its admin URL (database `postgres`)."""
    work = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    data, log = work / "data", work / "server.log"
    if os.geteuid() == 0:
        shutil.chown(work, "nobody")
        work.chmod(0o700)
    port = free_port()
    subprocess.run(_as_server_user([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                                    "--auth=trust", "--no-locale", "-E", "UTF8"]),
                   check=True, capture_output=True)
    subprocess.run(_as_server_user([
        str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "start", "-o",
        f"-h 127.0.0.1 -p {port} -k {work} -F -c max_connections=200"]),
        check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m",
                                        "immediate", "stop"]), capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


class Databases:
    """Makes empty or copied databases: files for SQLite, databases on the server for PG."""

    def __init__(self, admin_url: str | None, scratch: Path) -> None:
        self.admin_url = admin_url
        self.scratch = scratch
        self.names = itertools.count()

    def new(self, template: str | None = None) -> str:
        """The URL of a new database, empty or a copy of `template` (a URL from here)."""
        number = next(self.names)
        if self.admin_url is None:
            path = self.scratch / f"db{number}.sqlite3"
            if template is not None:
                shutil.copy(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        name = f"kb_test_{number}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            copy = f" TEMPLATE {template.rsplit('/', 1)[1]}" if template else ""
            conn.execute(text(f"CREATE DATABASE {name}{copy}"))
        engine.dispose()
        return self.admin_url.rsplit("/", 1)[0] + "/" + name


# The schema as each backend's catalog holds it: tables, columns, indexes, triggers, constraints,
# views and functions (never sequence positions, which move even in a rolled-back transaction).
SQLITE_SCHEMA = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
POSTGRES_SCHEMA = [
    "SELECT table_name, column_name, data_type, is_nullable, column_default "
    "FROM information_schema.columns WHERE table_schema = 'public'",
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND NOT t.tgisinternal",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE connamespace = 'public'::regnamespace",
    "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'",
    "SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
    "WHERE pronamespace = 'public'::regnamespace AND prokind = 'f'",
]


def dump(url: str) -> str:
    """The schema and every row of every table, in a stable order: to prove a refused command
    changed nothing (a dropped trigger or index included)."""
    engine = create_engine(url)
    lines = []
    with engine.connect() as conn:
        queries = [SQLITE_SCHEMA] if engine.dialect.name == "sqlite" else POSTGRES_SCHEMA
        for query in queries:
            rows = conn.execute(text(query)).all()
            lines += [f"schema: {tuple(row)!r}" for row in sorted(rows, key=repr)]
        for name in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            lines += [f"{name}: {row!r}" for row in sorted(rows, key=repr)]
    engine.dispose()
    return "\n".join(lines)
