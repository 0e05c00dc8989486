"""`kb compare`: countries side by side, theme by theme, from the claims about them."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from typing import TYPE_CHECKING, Any

import click

from kb.cli.app import App, pass_app
from kb.cli.filters import claim_filters, make_filter
from kb.cli.output import raw_csv, raw_option, shorten

if TYPE_CHECKING:
    from kb.services.compare import Comparison

SHOWN = 3  # claims written out in a cell; beyond that the cell counts the rest


@click.command()
@claim_filters
@click.option("--by", type=click.Choice(["theme", "actor"]), default="theme", show_default=True,
              help="One row per theme (cut at --depth) or per actor.")
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True,
              help="Theme levels in a row: 1 for `hardware`, 2 for `hardware/chips`.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]),
              default="table", show_default=True)
@raw_option
@pass_app
def compare(app: App, by: str, depth: int, fmt: str, **options: Any) -> None:
    """Compare countries side by side: a column per --country, a row per theme.

    Each cell holds the claims about that country under that theme: id, standing and text.
    The other filters (--theme, --source, --since ...) narrow the claims compared.

    \b
    Example:
      kb compare --country US --country CN
      kb compare --country US --country CN --depth 2 --format markdown
      kb compare --country US --country CN --by actor --since 2026
    """
    from kb.services.compare import compare as build

    where = make_filter(options)
    with app.read() as session:
        comparison = build(session, where, where.countries, by, depth)
    if fmt == "json":
        click.echo(json.dumps(comparison.as_json(), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(_csv(comparison, raw_csv()), nl=False)
    elif fmt == "markdown":
        click.echo(_markdown(comparison))
    elif comparison.rows:
        click.echo(_table(comparison))


def _entry(comparison: Comparison, claim_id: int) -> str:
    claim = comparison.claims[claim_id]
    return f"#{claim_id} {claim['status']}: {claim['text']}"


def _cell_lines(comparison: Comparison, ids: list[int]) -> list[str]:
    lines = [_entry(comparison, claim_id) for claim_id in ids[:SHOWN]]
    if len(ids) > SHOWN:
        lines.append(f"+{len(ids) - SHOWN} more: " + ", ".join(f"#{i}" for i in ids[SHOWN:]))
    return lines


def _table(comparison: Comparison) -> str:
    head = comparison.by.upper()
    first = max([len(head)] + [len(key) for key, _ in comparison.rows])
    # On a terminal the columns share its width; piped output is never cut.
    width = None
    if sys.stdout.isatty():
        room = shutil.get_terminal_size().columns - first - 2 * len(comparison.columns)
        width = max(20, room // len(comparison.columns))
    blocks = []
    for key, cells in comparison.rows:
        lines = {label: [shorten(line, width) if width else line
                         for line in _cell_lines(comparison, cells[label])]
                 for label in comparison.columns}
        blocks.append((key, lines))
    sizes = {label: max([len(label)] + [len(line) for _, lines in blocks
                                        for line in lines[label]])
             for label in comparison.columns}
    out = ["  ".join([head.ljust(first)] + [label.ljust(sizes[label])
                                            for label in comparison.columns]).rstrip()]
    for key, lines in blocks:
        height = max(1, *(len(lines[label]) for label in comparison.columns))
        for row in range(height):
            texts = [(lines[label][row] if row < len(lines[label]) else "").ljust(sizes[label])
                     for label in comparison.columns]
            out.append("  ".join([(key if row == 0 else "").ljust(first), *texts]).rstrip())
    return "\n".join(out)


def _markdown(comparison: Comparison) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join([comparison.by.capitalize(), *comparison.columns]) + " |",
           "|" + "---|" * (len(comparison.columns) + 1)]
    for key, cells in comparison.rows:
        out.append("| " + " | ".join(
            [escape(key)] + ["<br>".join(escape(line) for line in
                                         _cell_lines(comparison, cells[label]))
                             for label in comparison.columns]) + " |")
    return "\n".join(out)


def _csv(comparison: Comparison, raw: bool = False) -> str:
    """One row per theme (or actor), a column per country holding claim ids joined by `;`;
    an actor's name that looks like a formula is protected unless `raw` (cells.protect)."""
    from kb.formats.cells import protect

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([comparison.by, *comparison.columns])
    for key, cells in comparison.rows:
        writer.writerow([key if raw else protect(key), *(";".join(map(str, cells[label]))
                                                         for label in comparison.columns)])
    return buffer.getvalue()


COMMANDS = [compare]
