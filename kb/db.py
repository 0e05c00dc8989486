"""Engines and sessions: SQLite pragmas, write transactions, and "migrate to head" on first use."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kb.errors import Busy, Invalid, KBError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.engine import Engine

# The newest migration. A test checks it against Alembic's head, so that a database already at
# head is recognised with one SELECT and Alembic is imported only when a migration must run.
HEAD_REVISION = "0014"

PACKAGE_DIR = Path(__file__).resolve().parent
# How long a writer waits for another kb process's write lock before giving up (seconds); the
# one setting for both backends (SQLite's busy timeout, PostgreSQL's lock_timeout).
LOCK_TIMEOUT_ENV = "KB_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 60.0
# A writer still waiting after this long says so on stderr, once.
WAIT_NOTICE_S = 3.0
WAITING = "waiting for another kb process that is writing…"
# Writers (and migrations) take turns on PostgreSQL through this advisory lock.
WRITE_LOCK = 5050


def lock_timeout() -> float:
    value = os.environ.get(LOCK_TIMEOUT_ENV, "")
    try:
        seconds = float(value) if value else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        raise Invalid(LOCK_TIMEOUT_ENV, value, "expected a number of seconds") from None
    if seconds < 0:
        raise Invalid(LOCK_TIMEOUT_ENV, value, "expected a number of seconds") from None
    return seconds




def default_url() -> str:
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('kb')) / 'kb.sqlite3'}"


def resolve_url(db: str | None) -> str:
    """`--db`, else KB_DATABASE_URL, else the user's data directory. A bare path means SQLite."""
    value = db or os.environ.get("KB_DATABASE_URL") or default_url()
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


URL_FORMS = ("a SQLite path, sqlite:///PATH, or "
             "postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DATABASE")


def check_url(url: str) -> None:
    """Refuse, in one line naming the forms kb takes, a URL kb has no driver for or cannot
    read (SQLAlchemy would raise NoSuchModuleError, ModuleNotFoundError or ValueError)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    scheme = url.split("://", 1)[0]
    port = re.match(r"[^:/]+://(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/?]*)(?::([^/?]*))?", url)
    if port and port.group(1) and not port.group(1).isdigit():
        raise KBError(f"database URL {scheme}://...: the port {port.group(1)!r} is not a "
                      f"number; kb takes {URL_FORMS}")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise KBError(f"database URL {scheme}://...: not a URL kb can read; "
                      f"kb takes {URL_FORMS}") from None
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise KBError(f"database URL {scheme}://...: kb has no driver for {scheme!r}; "
                      f"kb takes {URL_FORMS}")


def resource_dir(name: str) -> Path:
    """`migrations/` or `seeds/`: beside the package in a checkout, inside it when installed."""
    in_checkout = PACKAGE_DIR.parent / name
    if (in_checkout / "__init__.py").exists():
        return in_checkout
    return PACKAGE_DIR / name


def _sqlite_connect_hook(foreign_keys: bool) -> Callable[[sqlite3.Connection, object], None]:
    """The one place SQLite's pragmas are set, for the app and (foreign keys off) migrations."""

    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Leave transaction control to the "begin" event below: pysqlite's own begins only
        # before DML, so reads would not share a snapshot with writes and DDL would run outside
        # the transaction (a failed migration could not roll back whole).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(lock_timeout() * 1000)}")
        # Outside any transaction, where the pragma takes effect. Migrations run with it off:
        # batch mode rebuilds tables, and checks the keys with foreign_key_check instead.
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.close()

    return on_connect


def _sqlite_begin_hook(default: str) -> Callable[[Any], None]:
    def on_begin(connection: Any) -> None:
        # In WAL a deferred transaction that reads and then writes fails at once when another
        # writer moved on; a write begins IMMEDIATE so it waits for the lock instead.
        options = connection.get_execution_options()
        mode = options.get("kb_begin", default)
        on_wait = options.get("kb_on_wait")
        if mode == "IMMEDIATE" and on_wait is not None:
            # Try for a few seconds, then say why we wait, then wait the rest of the timeout.
            raw = connection.connection.driver_connection
            total = int(lock_timeout() * 1000)
            raw.execute(f"PRAGMA busy_timeout = {min(total, int(WAIT_NOTICE_S * 1000))}")
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorname", None) != "SQLITE_BUSY" or total <= (
                        WAIT_NOTICE_S * 1000):
                    # Wrapped as SQLAlchemy would: an error raised in this event is not.
                    raise OperationalError("BEGIN IMMEDIATE", None, exc) from None
                on_wait()
            finally:
                raw.execute(f"PRAGMA busy_timeout = {total}")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return on_begin


def make_engine(url: str, *, foreign_keys: bool = True, begin: str = "DEFERRED") -> Engine:
    """An engine; on SQLite with kb's pragmas and `BEGIN <begin>` for each transaction (a
    `kb_begin` execution option overrides it, as the write sessions do)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": lock_timeout()})
        event.listen(engine, "connect", _sqlite_connect_hook(foreign_keys))
        event.listen(engine, "begin", _sqlite_begin_hook(begin))
        return engine
    # psycopg logs what it cannot report while unwinding a broken pipeline ("error ignored
    # terminating <psycopg.Pipeline [BAD]>"); with no handler, logging's last resort printed
    # it to the user's terminal beside kb's own one line, which says what went wrong.
    logging.getLogger("psycopg").addHandler(logging.NullHandler())
    return create_engine(url, pool_pre_ping=False)


def migration_engine(url: str) -> Engine:
    """Alembic's own engine (never the app's connection): the app's pragmas with foreign keys
    off, and each transaction begun IMMEDIATE by the same "begin" event, so that a whole run is
    one transaction that a failing migration rolls back, `_alembic_tmp_` tables included."""
    return make_engine(url, foreign_keys=False, begin="IMMEDIATE")


def sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    if not url.startswith("sqlite"):
        return None  # before parsing: a URL kb cannot read is refused by check_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


class Database:
    """One database: the engine, and sessions for reading or writing inside one transaction."""

    def __init__(self, url: str, on_wait: Callable[[], None] | None = None) -> None:
        """`on_wait` is called once when a writer has waited a few seconds for the write lock
        (the CLI says so on stderr)."""
        check_url(url)
        self.url = url
        self.on_wait = on_wait
        path = sqlite_path(url)
        if path is not None and url == default_url():
            # The default lives in the user's data directory, which may not exist yet; a
            # path the user named is left alone, so a typo is an error rather than a folder.
            path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        # Once connected, a connection error means the connection was lost, not refused.
        self.connected = False
        event.listen(self.engine, "connect", self._on_connect)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(kb_begin="IMMEDIATE", kb_on_wait=on_wait),
            expire_on_commit=False)

    def _on_connect(self, _dbapi_connection: object, _record: object) -> None:
        self.connected = True

    def _connected(self) -> bool:
        return self.connected

    def ensure_current(self) -> None:
        """Create or migrate the schema to head; one SELECT when it already is."""
        with translate_errors(self.url, self._connected):
            revision = self.current_revision()
            if revision == HEAD_REVISION:
                return
            if revision is None:
                with self.engine.connect() as conn:
                    tables = _user_tables(conn)
                # Another process may have just migrated it: then it is ours after all.
                if tables and self.current_revision() is None:
                    raise KBError(
                        f"database {self.display_name}: not a kb database "
                        f"(it has tables {', '.join(sorted(tables)[:3])} but no kb schema)"
                    )
            revision = self.current_revision()
            if revision == HEAD_REVISION:
                return
            if not self.may_change_schema():
                # A reader never migrates (nor half-migrates) a database it cannot write.
                raise KBError(f"the database {self.display_name} needs `kb db upgrade` by its "
                              f"owner (it is at {revision or 'base'}; this kb needs "
                              f"{HEAD_REVISION})")
            self.upgrade("head")

    def may_change_schema(self) -> bool:
        """Whether this connection may create tables (PostgreSQL: CREATE on the schema kb
        uses; SQLite: the file, or its folder for a new file, is writable)."""
        path = sqlite_path(self.url)
        if path is not None:
            return os.access(path if path.exists() else path.parent, os.W_OK)
        if not self.url.startswith("postgresql"):
            return True
        with self.engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT has_schema_privilege(current_schema(), 'CREATE')")).scalar())

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            except DBAPIError as exc:
                # A database kb never migrated has no alembic_version table; make sure that
                # is the error (the code says only "an SQL error" on SQLite) before saying so.
                if error_code(exc) not in ("SQLITE_ERROR", "42P01"):  # 42P01: undefined_table
                    raise
                conn.rollback()
                if inspect(conn).has_table("alembic_version"):
                    raise
                return None
        return row[0] if row else None

    def upgrade(self, revision: str) -> None:
        self._migrate("upgrade", revision)

    def downgrade(self, revision: str) -> None:
        self._migrate("downgrade", revision)

    def downgrade_losses(self, revision: str) -> list[str]:
        """What a downgrade to `revision` would drop (tables, columns, rows with their
        counts), learnt by running it in a transaction that is then rolled back."""
        found: list[str] = []

        def preview(before: Snapshot, after: Snapshot) -> None:
            found.extend(losses(before, after))

        try:
            self._migrate("downgrade", revision, preview)
        except Rehearsed:
            pass
        return found

    def _migrate(self, direction: str, revision: str,
                 preview: Callable[[Snapshot, Snapshot], None] | None = None) -> None:
        from alembic import command
        from alembic.util import CommandError

        config = alembic_config(self.url)
        if preview is not None:
            config.attributes["kb_preview"] = preview
        try:
            getattr(command, direction)(config, revision)
        except CommandError as exc:
            raise Invalid("revision", revision, str(exc)) from None

    @property
    def display_name(self) -> str:
        return repr(shown(self.url))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with (translate_errors(self.url, self._connected), self._sessions() as session,
              session.begin()):
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction for the whole command: it commits whole or changes nothing."""
        with (translate_errors(self.url, self._connected), self._writer() as session,
              session.begin()):
            if session.get_bind().dialect.name == "postgresql":
                # Writers take turns, as SQLite's BEGIN IMMEDIATE makes them: two commands
                # creating the same new country or theme at once must not collide.
                take_write_lock(session.connection(), self.on_wait)
            yield session

    def backup(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup API, while others keep writing."""
        if sqlite_path(self.url) is None:
            raise KBError("kb backup copies SQLite databases; for PostgreSQL use pg_dump")
        if target.exists():
            raise KBError(f"backup target '{target}' exists; choose a new file")
        with translate_errors(self.url, self._connected):
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


class Rehearsed(Exception):
    """Raised by migrations/env.py after a rehearsed run, to roll the run back."""


# Tables triggers keep from kb's own rows (the full-text indexes; the claims with evidence both
# ways, 0013), named by prefix: not in the models, never copied, no data a migration loses.
DERIVED_TABLES = ("claim_fts", "source_fts", "claim_both_ways")
# What kb ships and every upgrade makes again (countries, the named regions): not the user's.
REFERENCE_TABLES = frozenset({"country", "region", "region_country"})
# Edit histories, named as such when a downgrade would drop them: an upgrade makes the tables
# again but cannot know what they held (a claim's history then begins at the upgrade, 0002).
HISTORIES = {"claim_revision": "claim revision", "source_revision": "source revision"}
# Per table: its columns, its row count and each column's count of values (non-NULL).
Snapshot = dict[str, tuple[int, dict[str, int]]]


def snapshot(conn: Any) -> Snapshot:
    """What a migration could lose: rows per table and values per column (kb's own tables;
    the derived tables are rebuilt from them, alembic_version is the revision itself)."""
    counts: Snapshot = {}
    for table in sorted(_user_tables(conn)):
        if table.startswith(DERIVED_TABLES) or table in REFERENCE_TABLES:
            continue
        columns = [c["name"] for c in inspect(conn).get_columns(table)]
        quoted = ", ".join(f'count("{c}")' for c in columns)
        row = conn.execute(text(f'SELECT count(*), {quoted} FROM "{table}"')).one()
        counts[table] = (row[0], dict(zip(columns, row[1:], strict=True)))
    return counts


def losses(before: Snapshot, after: Snapshot) -> list[str]:
    """What went between two snapshots: tables and their rows, columns and their values,
    rows removed from tables that stay."""
    lost = []
    for table, (rows, columns) in before.items():
        if table not in after:
            if rows and table in HISTORIES:
                lost.append(f"{rows} {HISTORIES[table]}{'s' * (rows != 1)} (table {table}; an "
                            f"upgrade cannot bring {'them' if rows != 1 else 'it'} back)")
            elif rows:
                lost.append(f"table {table} ({rows} row{'s' * (rows != 1)})")
            continue
        left, kept = after[table]
        for column, values in columns.items():
            if column not in kept and values:
                lost.append(f"column {table}.{column} ({values} value{'s' * (values != 1)})")
        if left < rows:
            lost.append(f"{rows - left} of {rows} rows of {table}")
    return lost


def take_write_lock(conn: Any, on_wait: Callable[[], None] | None = None) -> None:
    """PostgreSQL: the advisory lock writers and migrations take turns on, for this
    transaction; waiting at most KB_LOCK_TIMEOUT seconds (then lock_not_available, 55P03,
    which `translate_errors` words), and calling `on_wait` once after a few seconds."""
    total = lock_timeout()
    if on_wait is not None and total > WAIT_NOTICE_S:
        if conn.execute(text(f"SELECT pg_try_advisory_xact_lock({WRITE_LOCK})")).scalar():
            return
        conn.execute(text(f"SET LOCAL lock_timeout = '{int(WAIT_NOTICE_S * 1000)}ms'"))
        conn.execute(text("SAVEPOINT kb_wait"))
        try:
            conn.execute(text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"))
            conn.execute(text("SET LOCAL lock_timeout = 0"))
            return
        except OperationalError as exc:
            if error_code(exc) != "55P03":
                raise
            conn.execute(text("ROLLBACK TO SAVEPOINT kb_wait"))
            on_wait()
        total -= WAIT_NOTICE_S
    # 0 would mean "no bound" to PostgreSQL; to SQLite's busy timeout it means "do not wait".
    conn.execute(text(f"SET LOCAL lock_timeout = '{max(1, int(total * 1000))}ms'"))
    conn.execute(text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"))
    # The rest of the command waits for row locks as any statement does: no bound of ours.
    conn.execute(text("SET LOCAL lock_timeout = 0"))


def _user_tables(conn: Any) -> set[str]:
    # alembic_version stays, empty, after `kb db downgrade base`: that is still kb's database.
    return {t for t in inspect(conn).get_table_names()
            if not t.startswith("sqlite_") and t != "alembic_version"}


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


def error_code(exc: DBAPIError) -> str | None:
    """The driver's own name for a database error: SQLite's result code (`SQLITE_BUSY`,
    extended ones such as `SQLITE_CANTOPEN_ISDIR`), or PostgreSQL's SQLSTATE (`40P01`)."""
    orig = exc.orig
    code = getattr(orig, "sqlite_errorname", None) or getattr(orig, "sqlstate", None)
    return code if isinstance(code, str) else None


def _is(code: str | None, *names: str) -> bool:
    """`code` is one of these SQLite result codes or one of their extended codes."""
    return code is not None and any(code == n or code.startswith(n + "_") for n in names)


def _cannot_connect(exc: DBAPIError, code: str | None) -> bool:
    """PostgreSQL could not be reached or refused us: psycopg raises these with no SQLSTATE
    (the client failed: refused, unknown host, timeout), or a connection (08), authorisation
    (28), unknown database (3D000) or not-now (57P03) SQLSTATE."""
    if getattr(exc.orig, "sqlite_errorname", None) is not None:
        return False
    if code is None:
        return isinstance(exc, OperationalError)
    return code[:2] in ("08", "28") or code in ("3D000", "57P03")


# Connection exceptions (08), and the server ending a session: admin_shutdown, crash_shutdown.
LOST = ("57P01", "57P02")


def _refusal(exc: DBAPIError, url: str, connected: bool = False) -> KBError | None:
    """The one line a user sees for a driver error they can cause, or None to re-raise."""
    text_ = str(exc.orig).strip()
    message = text_.splitlines()[0] if text_ else ""
    code = error_code(exc)
    where = shown(url)
    if isinstance(exc, IntegrityError):
        # Services check what they can first; this is the net for what slips through.
        return KBError(f"the database refused the change: {message}")
    if isinstance(exc, DataError):
        # A value this backend cannot store; services refuse what they know of first.
        return KBError(f"the database refused a value: {message}")
    # SQLITE_BUSY/LOCKED once the busy timeout ran out; PostgreSQL's lock_not_available.
    if _is(code, "SQLITE_BUSY", "SQLITE_LOCKED") or code == "55P03":
        return Busy("the database is busy: another kb process (an import?) holds the write "
                    f"lock (waited {lock_timeout():g} s, {LOCK_TIMEOUT_ENV}); try again when it "
                    "has finished")
    if _is(code, "SQLITE_CANTOPEN"):
        return KBError(f"cannot open database '{where}': {message}")
    if _is(code, "SQLITE_NOTADB", "SQLITE_CORRUPT"):
        return KBError(f"database '{where}' is not a kb database: {message}")
    if code == "42501":  # insufficient_privilege: a role that may read but not write
        return KBError(f"database '{where}' refused: {message} (this database role may not "
                       "make this change; ask the database's owner)")
    if code == "25006":  # read_only_sql_transaction: a standby or a read-only default
        return KBError(f"database '{where}' is read-only here: {message}")
    if connected and getattr(exc.orig, "sqlite_errorname", None) is None and (
            (code is None and isinstance(exc, OperationalError))
            or (code is not None and (code[:2] == "08" or code in LOST))):
        return KBError(f"connection to the database '{where}' was lost: {message}")
    if _cannot_connect(exc, code):
        return KBError(f"cannot connect to database '{where}': {message}")
    if isinstance(exc, OperationalError):
        return KBError(f"database '{where}': {message}")
    return None


@contextmanager
def translate_errors(url: str, connected: Callable[[], bool] = lambda: False
                     ) -> Iterator[None]:
    """Turn driver errors a user can cause into one clear line, never a traceback.

    Classified by the driver's error code (`error_code`), never by the wording of a message.
    `connected` says whether a connection was made before: then a connection error means the
    connection was lost mid-command, not that the server cannot be reached.
    """
    try:
        yield
    except DBAPIError as exc:
        refusal = _refusal(exc, url, connected())
        if refusal is None:
            raise
        raise refusal from None
