"""The `kb` command line: parse, call one service, print. Heavy modules load inside commands."""

from __future__ import annotations

import gc
import sys
from typing import Any

import click

from kb.cli.app import App


class KBGroup(click.Group):
    """Every failure becomes one line on stderr and an exit code (2 usage, 1 refused)."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        from kb.errors import KBError

        argv = sys.argv[1:] if args is None else list(args)
        debug = "--debug" in argv
        try:
            _refuse_nul(argv)
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            if debug:
                raise
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except KBError as exc:
            if debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            if debug:
                raise
            click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
                       err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _refuse_nul(argv: list[str]) -> None:
    """A shell cannot pass NUL, but a program calling kb can; name the option it was given to."""
    for index, arg in enumerate(argv):
        if "\x00" not in arg:
            continue
        from kb.text import refuse_nul  # only on a hit: start-up stays light

        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
            refuse_nul(value, name)
        before = argv[index - 1] if index else ""
        refuse_nul(arg, before if before.startswith("-") else "argument")


@click.group(cls=KBGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH|URL", help="SQLite file or database URL "
              "(default: $KB_DATABASE_URL, else kb.sqlite3 in your data directory).")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.version_option(package_name="kb")
@click.pass_context
def cli(ctx: click.Context, db: str | None, debug: bool) -> None:
    """kb: who asserted what, when, on what evidence.

    Log the claims your sources make, link the evidence for and against them, query them by
    country, theme, date and standing, and export the citations.

    \b
    Example:
      kb seed
      kb claim list --country China --theme hardware
    """
    app = App(db, debug)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    # A kb process is short and builds thousands of long-lived objects as SQLAlchemy loads;
    # the default threshold (700) re-scans them dozens of times, ~15 ms of a listing's start-up.
    gc.set_threshold(100_000, 50, 100)
    cli()


from kb.cli import claim, compare, db, evidence, misc, source, transfer  # noqa: E402

for module in (db, source, claim, evidence, misc, transfer, compare):
    for command in module.COMMANDS:
        cli.add_command(command)
cli.add_command(__import__("kb.cli.serve", fromlist=["serve"]).serve)  # `kb serve` (kb/web/)
