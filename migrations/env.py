"""Alembic's environment: its own engine, one transaction per run, batch mode for SQLite."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, event, text

from kb.db import default_url
from kb.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("kb_url") is None:
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    return (
        config.attributes.get("kb_url")
        or os.environ.get("KB_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or default_url()
    )


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
                   ) -> bool:
    # Full-text search tables are made by raw SQL in a migration; the models do not describe them.
    return not (type_ == "table" and name is not None and name.startswith("claim_fts"))


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = database_url()
    is_sqlite = url.startswith("sqlite")
    if is_sqlite:
        # Foreign keys off (batch mode rebuilds tables), and our own BEGIN so that the whole
        # run is one transaction: a failing migration leaves no _alembic_tmp_ tables behind.
        engine = create_engine(url, isolation_level=None)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA foreign_keys = OFF")
            dbapi_connection.execute("PRAGMA busy_timeout = 5000")
            dbapi_connection.execute("PRAGMA journal_mode = WAL")

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        engine = create_engine(url)

    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite,
            transactional_ddl=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
            if is_sqlite:
                broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
                if broken:
                    raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
