"""`kb restore BACKUP`: a `kb backup` file back in place, checked and migrated."""

from __future__ import annotations

import click

from kb.cli.app import App, pass_app


@click.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace a database that holds sources or claims.")
@pass_app
def restore(app: App, backup: str, yes: bool) -> None:
    """Bring back a `kb backup` file into the database (--db), then migrate it to head.

    The file must be a sound kb database (SQLite's integrity check, a schema revision this kb
    knows). A database holding sources or claims is replaced only with --yes. The copy uses
    SQLite's online backup API, so a command reading meanwhile never sees half a database.

    \b
    Example:
      kb backup ~/backups/kb-2026-02-17.sqlite3
      kb --db restored.sqlite3 restore ~/backups/kb-2026-02-17.sqlite3
      kb restore ~/backups/kb-2026-02-17.sqlite3 --yes
    """
    from pathlib import Path

    from kb.services.restore import check_backup
    from kb.services.restore import restore as run

    path = Path(backup).expanduser()
    revision = check_backup(path)  # before the target is opened (and created)
    run(path, app.database, replace=yes)
    click.echo(f"restored {backup} (schema {revision}, now migrated to head) into "
               f"{app.database.display_name}", err=True)


COMMANDS = [restore]
