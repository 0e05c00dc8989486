"""Engines and sessions: SQLite pragmas, write transactions, and "migrate to head" on first use."""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kb.errors import Busy, Invalid, KBError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine

# The newest migration. A test checks it against Alembic's head, so that a database already at
# head is recognised with one SELECT and Alembic is imported only when a migration must run.
HEAD_REVISION = "0007"

PACKAGE_DIR = Path(__file__).resolve().parent
BUSY_TIMEOUT_MS = 5000


def default_url() -> str:
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('kb')) / 'kb.sqlite3'}"


def resolve_url(db: str | None) -> str:
    """`--db`, else KB_DATABASE_URL, else the user's data directory. A bare path means SQLite."""
    value = db or os.environ.get("KB_DATABASE_URL") or default_url()
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def resource_dir(name: str) -> Path:
    """`migrations/` or `seeds/`: beside the package in a checkout, inside it when installed."""
    in_checkout = PACKAGE_DIR.parent / name
    if (in_checkout / "__init__.py").exists():
        return in_checkout
    return PACKAGE_DIR / name


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Leave transaction control to the "begin" event below (pysqlite's own is wrong for WAL).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA cache_size = -65536")
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    # In WAL a deferred transaction that reads and then writes fails at once when another
    # writer moved on; a write begins IMMEDIATE so it waits for the lock instead.
    mode = connection.get_execution_options().get("kb_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=False)


def sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


class Database:
    """One database: the engine, and sessions for reading or writing inside one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        path = sqlite_path(url)
        if path is not None and url == default_url():
            # The default lives in the user's data directory, which may not exist yet; a
            # path the user named is left alone, so a typo is an error rather than a folder.
            path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(kb_begin="IMMEDIATE"), expire_on_commit=False
        )

    def ensure_current(self) -> None:
        """Create or migrate the schema to head; one SELECT when it already is."""
        with translate_errors(self.url):
            revision = self.current_revision()
            if revision == HEAD_REVISION:
                return
            if revision is None:
                with self.engine.connect() as conn:
                    tables = _user_tables(conn)
                if tables:
                    raise KBError(
                        f"database {self.display_name}: not a kb database "
                        f"(it has tables {', '.join(sorted(tables)[:3])} but no kb schema)"
                    )
            self.upgrade("head")

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            except OperationalError as exc:
                if "no such table" in str(exc.orig):
                    return None
                raise
            except DBAPIError as exc:
                if "does not exist" in str(exc.orig):  # PostgreSQL
                    return None
                raise
        return row[0] if row else None

    def upgrade(self, revision: str) -> None:
        self._migrate("upgrade", revision)

    def downgrade(self, revision: str) -> None:
        self._migrate("downgrade", revision)

    def _migrate(self, direction: str, revision: str) -> None:
        from alembic import command
        from alembic.util import CommandError

        try:
            getattr(command, direction)(alembic_config(self.url), revision)
        except CommandError as exc:
            raise Invalid("revision", revision, str(exc)) from None

    @property
    def display_name(self) -> str:
        return repr(shown(self.url))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with translate_errors(self.url), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction for the whole command: it commits whole or changes nothing."""
        with translate_errors(self.url), self._writer() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                # Writers take turns, as SQLite's BEGIN IMMEDIATE makes them: two commands
                # creating the same new country or theme at once must not collide.
                session.execute(text("SELECT pg_advisory_xact_lock(5050)"))
            yield session

    def backup(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup API, while others keep writing."""
        if sqlite_path(self.url) is None:
            raise KBError("kb backup copies SQLite databases; for PostgreSQL use pg_dump")
        if target.exists():
            raise KBError(f"backup target '{target}' exists; choose a new file")
        with translate_errors(self.url):
            source = self.engine.raw_connection()
            try:
                copy = sqlite3.connect(target)
                try:
                    source.driver_connection.backup(copy, pages=1024)  # type: ignore[union-attr]
                finally:
                    copy.close()
            finally:
                source.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _user_tables(conn: Any) -> set[str]:
    from sqlalchemy import inspect

    return {t for t in inspect(conn).get_table_names() if not t.startswith("sqlite_")}


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["kb_url"] = url
    return config


def shown(url: str) -> str:
    """The database as an error message names it: the file, or the URL without its password."""
    from sqlalchemy.engine import make_url

    path = sqlite_path(url)
    return str(path) if path else make_url(url).render_as_string(hide_password=True)


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn driver errors a user can cause into one clear line, never a traceback."""
    try:
        yield
    except OperationalError as exc:
        message = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        where = shown(url)
        if not url.startswith("sqlite") and ("connect" in message or "connection" in message):
            raise KBError(f"cannot connect to database '{where}': {message}") from None
        if "locked" in message or "busy" in message:
            raise Busy(
                "the database is busy: another kb process (an import?) holds the write lock; "
                "try again when it has finished"
            ) from None
        if "unable to open" in message:
            raise KBError(f"cannot open database '{where}': {message}") from None
        raise KBError(f"database '{where}': {message}") from None
    except IntegrityError as exc:
        # Services check what they can first; this is the net for what slips through.
        detail = str(exc.orig).strip().splitlines()[0]
        raise KBError(f"the database refused the change: {detail}") from None
    except DataError as exc:
        # A value this backend cannot store; services refuse what they know of first.
        detail = str(exc.orig).strip().splitlines()[0]
        raise KBError(f"the database refused a value: {detail}") from None
    except DBAPIError as exc:
        message = str(exc.orig)
        where = shown(url)
        if "not a database" in message or "malformed" in message:
            raise KBError(f"database '{where}' is not a kb database: {message}") from None
        raise
