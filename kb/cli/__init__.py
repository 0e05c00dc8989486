"""The `kb` command line: parse, call one service, print. Heavy modules load inside commands."""

from __future__ import annotations

import errno
import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from kb.cli.app import App

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


# click 8.2 shows the help of a group called bare by raising this usage error; click 8.1 prints
# the help itself. Either way it is help, not an error to shorten.
_HELP_ERRORS: tuple[type[Exception], ...] = tuple(
    getattr(click.exceptions, name) for name in ("NoArgsIsHelpError",)
    if hasattr(click.exceptions, name))


class Refused(click.ClickException):
    """How click shows a refused command: `Error: ...` on one line of stderr, and its exit code
    (2 for usage, 1 for a refused operation)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@contextmanager
def translated(debug: Callable[[], bool]) -> Iterator[None]:
    """The one translation point: a KBError, a usage error or an OSError becomes a `Refused`
    that click's own `main` shows and exits with; `--debug` lets the traceback through.

    `debug` is asked only on an error, once the root command has read its options."""
    from kb.errors import KBError

    try:
        yield
    except _HELP_ERRORS:
        raise
    except click.UsageError as exc:
        # One line, without click's usage block: the message names the option already.
        raise Refused(exc.format_message(), exc.exit_code) from exc
    except KBError as exc:
        if debug():
            raise
        raise Refused(str(exc), exc.exit_code) from exc
    except OSError as exc:
        # A closed pipe (`kb claim list | head`) is click's to quieten, not an error to print.
        if debug() or exc.errno == errno.EPIPE:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        raise Refused(f"{exc.strerror or exc}{where}", 1) from exc


class KBGroup(click.Group):
    """The root group: parsing and every subcommand run inside `translated`."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        with translated(lambda: "--debug" in args):
            _refuse_nul(args)
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with translated(lambda: isinstance(ctx.obj, App) and ctx.obj.debug):
            return super().invoke(ctx)


def _refuse_nul(argv: list[str]) -> None:
    """A shell cannot pass NUL, but a program calling kb can; name the option it was given to."""
    for index, arg in enumerate(argv):
        # 35: the shortest bound of kb.text.LIMITS (language).
        if "\x00" not in arg and len(arg) <= 35:
            continue
        from kb.text import refuse_unkeepable  # only on a hit: start-up stays light

        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
            refuse_unkeepable(value, name)
            continue
        before = argv[index - 1] if index else ""
        refuse_unkeepable(arg, before if before.startswith("-") else "argument")


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
      kb claim edit 12 --add-theme policy/export-controls
      kb claim list --status contested --status refuted --format csv > contested.csv
    """
    app = App(db, debug)
    ctx.obj = app
    ctx.call_on_close(app.close)


def tune_collector() -> None:
    """A kb process builds thousands of long-lived objects as SQLAlchemy loads; the default
    threshold (700) re-scans them dozens of times, ~15 ms of a listing's start-up."""
    gc.set_threshold(100_000, 50, 100)


def main() -> None:
    tune_collector()
    cli()


from kb.cli import (  # noqa: E402
    claim,
    compare,
    db,
    evidence,
    misc,
    provenance,
    restore,
    source,
    transfer,
)

for module in (db, source, claim, evidence, misc, transfer, compare, provenance, restore):
    for command in module.COMMANDS:
        cli.add_command(command)
cli.add_command(__import__("kb.cli.serve", fromlist=["serve"]).serve)  # `kb serve` (kb/web/)
