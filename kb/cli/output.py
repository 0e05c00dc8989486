"""Rendering records for people (aligned tables) and programs (JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import re
    from collections.abc import Sequence

FORMATS = ("table", "json", "csv")

format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="table for people; json or csv (stable field names) for programs.",
)


def cell(value: Any, separator: str = ";") -> str:
    if value is None or value == {}:
        return ""
    if isinstance(value, dict):  # a source's other CSL variables: one JSON cell
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return separator.join(str(v) for v in value)
    return str(value)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: list[dict[str, Any]], columns: list[str], widths: dict[str, int] | None = None,
          highlight: re.Pattern[str] | None = None) -> str:
    """An aligned plain-text table; columns named in `widths` are cut to that many characters.

    `highlight` marks matching words in bold (click drops the styling when not on a terminal).
    """
    widths = widths or {}
    cells = [[shorten(cell(row.get(c), ", "), widths.get(c, 10**6)) for c in columns]
             for row in rows]
    sizes = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(sizes[i]) for i, c in enumerate(columns)).rstrip()]
    for row in cells:
        line = "  ".join(v.ljust(sizes[i]) for i, v in enumerate(row)).rstrip()
        if highlight is not None:
            line = highlight.sub(lambda m: click.style(m.group(), bold=True, fg="yellow"), line)
        lines.append(line)
    return "\n".join(lines)


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str],
         widths: dict[str, int] | None = None, highlight: re.Pattern[str] | None = None, *,
         fields: Sequence[str] | None = None) -> None:
    """Print a listing in the chosen format; an empty table prints nothing.

    `columns` are the table's; `fields` the record's, which a listing that offers CSV must
    give: they are the CSV header whether there are rows or not.
    """
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        if fields is None:
            raise TypeError("a CSV listing needs its record's fields")
        buffer = io.StringIO()
        # A row with a field the header does not name raises: the header is never short.
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: cell(v) for k, v in row.items()})
        click.echo(buffer.getvalue(), nl=False)
    elif rows:
        click.echo(table(rows, columns, widths, highlight))


def emit_one(record: dict[str, Any], fmt: str, lines: list[tuple[str, Any]]) -> None:
    """One object: JSON as is, or labelled lines for people."""
    if fmt == "json":
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        if value not in (None, "", []):
            click.echo(f"{label + ':':<{width + 1}} {cell(value, ', ')}")
