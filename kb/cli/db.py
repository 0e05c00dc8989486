"""`kb init` and `kb db ...`: create and migrate the database."""

from __future__ import annotations

import click

from kb.cli.app import App, pass_app


@click.command()
@pass_app
def init(app: App) -> None:
    """Create the database (or migrate it to the newest schema) and print where it is.

    \b
    Example:
      kb --db research.sqlite3 init
    """
    database = app.database
    click.echo(database.display_name.strip("'"))


@click.group("db")
def db_group() -> None:
    """Schema migrations of the database.

    \b
    Example:
      kb db current
      kb db upgrade
    """


@db_group.command()
@click.argument("revision", default="head")
@pass_app
def upgrade(app: App, revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest).

    \b
    Example:
      kb db upgrade
    """
    from kb.db import translate_errors

    database = app.unmigrated()
    with translate_errors(database.url):
        database.upgrade(revision)
    click.echo(database.current_revision() or "base")


@db_group.command()
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Drop what the downgrade drops, having been told.")
@pass_app
def downgrade(app: App, revision: str, yes: bool) -> None:
    """Migrate the database down to REVISION (`kb db current` shows where it is).

    A downgrade that would drop data (tables, columns or rows) says what, with counts, and
    does nothing unless given --yes. `base` removes every table kb made.

    \b
    Example:
      kb db downgrade 0007
    """
    from kb.db import translate_errors
    from kb.errors import KBError

    database = app.unmigrated()
    with translate_errors(database.url):
        if not yes:
            lost = database.downgrade_losses(revision)
            if lost:
                raise KBError(f"downgrading to {revision} would drop {'; '.join(lost)}; "
                              "nothing was changed (run again with --yes to drop them)")
        database.downgrade(revision)
    click.echo(database.current_revision() or "base")


@db_group.command()
@pass_app
def current(app: App) -> None:
    """Print the database's schema revision and whether it is the newest.

    \b
    Example:
      kb db current
    """
    from kb.db import HEAD_REVISION, translate_errors

    database = app.unmigrated()
    with translate_errors(database.url):
        revision = database.current_revision()
    suffix = " (head)" if revision == HEAD_REVISION else " (behind: run `kb db upgrade`)"
    click.echo((revision or "base") + suffix)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@pass_app
def backup(app: App, path: str) -> None:
    """Write a consistent copy of the database to PATH, even while others write to it.

    \b
    Example:
      kb backup ~/backups/kb-$(date +%F).sqlite3
    """
    from pathlib import Path

    app.database.backup(Path(path).expanduser())
    click.echo(f"backed up to {path}", err=True)


@db_group.command("copy")
@click.argument("target", metavar="TARGET")
@pass_app
def copy(app: App, target: str) -> None:
    """Copy everything into TARGET, a new database (a SQLite path or a URL).

    Every source, claim, link, evidence link and revision travels with its id: this is how a
    database moves to a shared PostgreSQL server. TARGET must be empty; it is created and
    migrated as needed, and gets nothing if anything fails.

    \b
    Example:
      kb db copy postgresql+psycopg://kb:secret@db.example.org/kb
    """
    from kb.db import Database, resolve_url, shown
    from kb.services.copy import copy_all

    destination = Database(resolve_url(target))
    try:
        destination.ensure_current()
        with app.read() as source, destination.write() as session:
            counts = copy_all(source, session)
    finally:
        destination.dispose()
    click.echo(f"copied {counts['source']} source(s), {counts['claim']} claim(s), "
               f"{counts['evidence']} evidence link(s), {counts['claim_revision']} "
               f"revision(s) to {shown(destination.url)}", err=True)


COMMANDS = [init, db_group, backup]
