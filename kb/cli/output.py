"""Rendering records for people (aligned tables) and programs (JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Sequence

FORMATS = ("table", "json", "csv")

_format = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="table for people; json or csv (stable field names) for programs.",
)


def _set_wide(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["kb.wide"] = True


_wide = click.option(
    "--wide", is_flag=True, expose_value=False, callback=_set_wide,
    help="Never cut a table's cells (piped output is never cut).")


def _set_raw(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["kb.raw"] = True


raw_option = click.option(
    "--raw", is_flag=True, expose_value=False, callback=_set_raw,
    help="CSV: write cells as they are; by default a cell starting with = + - @ (a formula "
         "to a spreadsheet) gets a leading ', which `kb import` takes off again.")


def raw_csv() -> bool:
    """Whether this command was asked for --raw CSV cells."""
    context = click.get_current_context(silent=True)
    return bool(context is not None and context.meta.get("kb.raw"))


def format_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--format, --wide for the table and --raw for CSV (read by `emit` from the context)."""
    return _format(_wide(raw_option(func)))


def table_width() -> int | None:
    """The width a table must fit: the terminal's when stdout is one, else None (never cut)."""
    import shutil
    import sys

    context = click.get_current_context(silent=True)
    if (context is not None and context.meta.get("kb.wide")) or not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def cell(value: Any, separator: str = ";") -> str:
    if value is None or value == {}:
        return ""
    if isinstance(value, dict):  # a source's other CSL variables: one JSON cell
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return separator.join(str(v) for v in value)
    return str(value)


# Who made a change that recorded no one (before migration 0008): said in tables, null in JSON.
UNKNOWN_ACTOR = "unknown"


def who(by: str | None) -> str:
    return by or UNKNOWN_ACTOR


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


MIN_CUT = 12  # a cut column keeps at least this many characters, however narrow the terminal


def table(rows: list[dict[str, Any]], columns: list[str], widths: dict[str, int] | None = None,
          highlight: re.Pattern[str] | None = None, max_width: int | None = None) -> str:
    """An aligned plain-text table, cut to `max_width` characters when one is given (None: never
    cut). Only the columns named in `widths` are cut, the widest first, each to no less than
    the smaller of its `widths` entry and MIN_CUT.

    `highlight` marks matching words in bold (click drops the styling when not on a terminal).
    """
    widths = widths or {}
    texts = [[cell(row.get(c), ", ") for c in columns] for row in rows]
    sizes = [max([len(c)] + [len(r[i]) for r in texts]) for i, c in enumerate(columns)]
    if max_width is not None:
        floors = {i: max(len(c), min(widths[c], MIN_CUT)) for i, c in enumerate(columns)
                  if c in widths}
        excess = sum(sizes) + 2 * (len(columns) - 1) - max_width
        while excess > 0:
            cuttable = [i for i in floors if sizes[i] > floors[i]]
            if not cuttable:
                break
            widest = max(cuttable, key=lambda i: sizes[i])
            others = max([sizes[i] for i in cuttable if i != widest] + [floors[widest]])
            step = min(excess, sizes[widest] - max(others, floors[widest]) or 1)
            sizes[widest] -= step
            excess -= step
    cells = [[shorten(v, sizes[i]) for i, v in enumerate(r)] for r in texts]
    lines = ["  ".join(c.upper().ljust(sizes[i]) for i, c in enumerate(columns)).rstrip()]
    for row in cells:
        line = "  ".join(v.ljust(sizes[i]) for i, v in enumerate(row)).rstrip()
        if highlight is not None:
            line = highlight.sub(lambda m: click.style(m.group(), bold=True, fg="yellow"), line)
        lines.append(line)
    return "\n".join(lines)


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str],
         widths: dict[str, int] | None = None, highlight: re.Pattern[str] | None = None, *,
         fields: Sequence[str] | None = None, empty: str | None = None) -> None:
    """Print a listing in the chosen format.

    `columns` are the table's; `fields` the record's, which a listing that offers CSV must
    give: they are the CSV header whether there are rows or not. An empty table prints nothing
    for a program; on a terminal, the header and `empty` (on stderr) for a person.
    """
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        if fields is None:
            raise TypeError("a CSV listing needs its record's fields")
        from kb.formats.cells import protect as protected

        raw = raw_csv()

        def protect(value: str) -> str:
            return value if raw else protected(value)

        buffer = io.StringIO()
        # A row with a field the header does not name raises: the header is never short.
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: protect(cell(v)) for k, v in row.items()})
        click.echo(buffer.getvalue(), nl=False)
    elif rows:
        click.echo(table(rows, columns, widths, highlight, table_width()))
    elif _on_terminal():
        click.echo(table([], columns))
        if empty:
            click.echo(empty, err=True)


def _on_terminal() -> bool:
    import sys

    return sys.stdout.isatty()


def emit_one(record: dict[str, Any], fmt: str, lines: list[tuple[str, Any]]) -> None:
    """One object: JSON as is, or labelled lines for people."""
    if fmt == "json":
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        if value not in (None, "", []):
            click.echo(f"{label + ':':<{width + 1}} {cell(value, ', ')}")
