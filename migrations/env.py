"""Alembic's environment: its own engine, one transaction per run, batch mode for SQLite."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import text

from kb.db import (
    DERIVED_TABLES,
    Rehearsed,
    default_url,
    migration_engine,
    snapshot,
    take_write_lock,
)
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
    # Tables kept by triggers are made by raw SQL in a migration; the models do not describe them.
    if type_ == "table" and name is not None and name.startswith(DERIVED_TABLES):
        return False
    # An index of one backend only (kb.models.on_backend) is compared on that backend.
    made_on = getattr(obj, "info", {}).get("dialect") if type_ == "index" else None
    return made_on in (None, context.get_context().dialect.name)


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = database_url()
    is_sqlite = url.startswith("sqlite")
    # db.py's pragmas with foreign keys off (batch mode rebuilds tables), pysqlite's own
    # transaction handling off, and a BEGIN IMMEDIATE from the "begin" event: the whole run is
    # one transaction, so a failing migration leaves no _alembic_tmp_ tables behind (STYLE §4).
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=True,
                transactional_ddl=True,
                include_object=include_object,
            )
            with context.begin_transaction():
                if not is_sqlite:
                    # One process migrates; others wait here, then find the schema current
                    # (Alembic reads the revision after the lock). SQLite: BEGIN IMMEDIATE.
                    take_write_lock(connection)
                preview = config.attributes.get("kb_preview")
                before = snapshot(connection) if preview is not None else None
                context.run_migrations()
                if is_sqlite:
                    broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
                if preview is not None:
                    # A rehearsal: say what the run would lose, then roll it all back.
                    preview(before, snapshot(connection))
                    raise Rehearsed
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
