"""`kb export ...` and `kb import`: citations and claims out, sources in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kb.cli.app import App, pass_app
from kb.cli.filters import claim_filters, make_filter
from kb.cli.output import raw_csv, raw_option

CITATION_FORMATS = ["bibtex", "biblatex", "csl-json", "ris", "text", "html"]
CLAIM_FORMATS = ["jsonl", "csv", "markdown", "claimreview"]


def write_output(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")


@click.group("export")
def export_group() -> None:
    """Export the sources behind claims as citations, or the claims themselves.

    \b
    Example:
      kb export citations --country China --format biblatex -o china.bib
      kb export claims --theme energy --format markdown -o brief.md
    """


@export_group.command("citations")
@claim_filters
@click.option("--format", "fmt", type=click.Choice(CITATION_FORMATS), default="bibtex",
              show_default=True)
@click.option("--style", default="apa", show_default=True,
              help="For text and html: apa, chicago-author-date, mla, ieee, harvard, or a .csl "
                   "file.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@pass_app
def citations(app: App, fmt: str, style: str, output: str | None, **options: Any) -> None:
    """Write the distinct sources behind the matching claims (all sources without filters).

    \b
    Example:
      kb export citations --format csl-json -o refs.json
      kb export citations --country US --format text --style chicago-author-date
    """
    from kb.services.citations import export

    with app.read() as session:
        text = export(session, make_filter(options), fmt, style)
    write_output(text, output)


@export_group.command("claims")
@claim_filters
@click.option("--format", "fmt", type=click.Choice(CLAIM_FORMATS), required=True)
@click.option("-o", "--output", metavar="FILE",
              help="Write to FILE (markdown writes its bibliography beside it).")
@click.option("--style", help="markdown: the citation style pandoc uses (apa, chicago, mla, "
              "ieee, harvard, or a .csl file), written beside the brief.")
@raw_option
@pass_app
def claims(app: App, fmt: str, output: str | None, style: str | None, **options: Any) -> None:
    """Write the matching claims: JSON Lines or CSV (for `kb import`), a cited Markdown brief,
    or schema.org ClaimReview JSON-LD.

    JSON Lines, the lossless transfer, always holds retracted claims (marked) and what an
    import keeps of them; the others leave them out unless --include-retracted.

    \b
    Example:
      kb export claims --format jsonl -o everything.jsonl
      kb export claims --format csv --raw | my-program   # cells exactly as stored
      kb export claims --country China --format markdown --style apa -o brief.md
      pandoc --citeproc brief.md -o brief.html
    """
    from kb.services import briefs, provenance

    where = make_filter(options)
    left_out = None
    if fmt in ("jsonl", "csv"):
        from kb.services.views import claim_lines

        with app.read() as session:
            lines = claim_lines(session, where, fmt, raw_csv())
            with click.open_file(output or "-", "w", encoding="utf-8") as stream:
                for line in lines:
                    stream.write(line)
            if fmt == "csv":  # JSON Lines, the lossless transfer, always has them (marked)
                left_out = provenance.retracted_left_out(session, where)
    elif fmt == "markdown":
        if output is None:
            raise click.UsageError("--format markdown needs -o FILE (the bibliography is "
                                   "written beside it)")
        brief = Path(output)
        bibliography = brief.with_suffix(".json")
        with app.read() as session:
            written = briefs.markdown(session, where, bibliography.name, style)
            left_out = provenance.retracted_left_out(session, where)
        bibliography.write_text(written.bibliography, encoding="utf-8")
        brief.write_text(written.text, encoding="utf-8")
        also = ""
        if written.style is not None:
            beside = brief.parent / written.style.name
            if written.style.resolve() != beside.resolve():
                beside.write_bytes(written.style.read_bytes())
            also = f" and its style {beside}"
        click.echo(f"wrote {brief}, its bibliography {bibliography}{also}", err=True)
    else:
        with app.read() as session:
            text = briefs.claimreview(session, where)
            left_out = provenance.retracted_left_out(session, where)
        write_output(text, output)
    if said := provenance.left_out_notice(left_out or 0):
        click.echo(said, err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt",
              type=click.Choice(["bibtex", "biblatex", "csl-json", "ris", "jsonl", "csv"]),
              help="Default: from the extension (.bib, .json, .ris, .jsonl, .csv).")
@click.option("--overwrite", is_flag=True,
              help="Fill in sources already here from the file's records (fields it has).")
@click.option("--skip-invalid", is_flag=True,
              help="Leave out records kb cannot take (listing each, with why) and import the "
                   "rest; without it such a record refuses the whole file.")
@pass_app
def import_(app: App, file: str, fmt: str | None, overwrite: bool, skip_invalid: bool) -> None:
    """Import sources (BibTeX/BibLaTeX, CSL-JSON, RIS) or claims (JSON Lines, CSV), all or
    nothing.

    \b
    Example:
      kb import library.bib
      kb import zotero-export.json --overwrite
      kb import messy.ris --skip-invalid
      kb import claims.jsonl
    """
    from kb.services import citations

    fmt = citations.detect_format(file, fmt)
    if fmt in ("jsonl", "csv"):
        import_claims(app, file, fmt)
        return
    loaded = citations.parse(Path(file).read_bytes(), fmt, file)
    with app.write() as session:
        report = citations.import_references(session, loaded, overwrite=overwrite,
                                             skip_invalid=skip_invalid)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for key, changes in report.updated.items():
        for name, before, after in changes:
            click.echo(f"{key}: {name}: {_shown(before)} → {_shown(after)}", err=True)
    for _label, why in report.left_out:
        click.echo(f"left out: {why}", err=True)
    click.echo(report.summary(), err=True)


def _shown(value: Any) -> str:
    import json

    if value in (None, "", [], {}):
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def import_claims(app: App, file: str, fmt: str) -> None:
    """Stream claims in; a progress bar on stderr when it is a terminal."""
    import io
    import os
    import sys

    from kb.formats import claim_files
    from kb.services import bulk

    try:
        with open(file, "rb") as raw, app.write() as session:
            stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            lines = claim_files.get(fmt).read(stream)
            if not sys.stderr.isatty():
                summary = bulk.import_claims(session, lines)
            else:
                with click.progressbar(length=os.path.getsize(file), label="importing",
                                       file=sys.stderr) as bar:
                    # The bytes read so far (the buffer runs a little ahead of the parser).
                    summary = bulk.import_claims(session, lines,
                                                 lambda _n: bar.update(raw.tell() - bar.pos))
    except UnicodeDecodeError:
        from kb.formats.reference import FormatError, decode

        try:  # only on failure: read it again to say where
            decode(Path(file).read_bytes())
            reason = "not UTF-8 text"
        except FormatError as exc:
            reason = str(exc)
        raise click.ClickException(f"cannot import {file}: {reason}; nothing was imported"
                                   ) from None
    kept = "".join(f", {n} {what}" for n, what in (
        (summary.withdrawn, "retracted or superseded claim(s)"),
        (summary.notices, "source notice(s)")) if n)
    click.echo(f"imported {summary.claims} claim(s), {summary.sources} source(s), "
               f"{summary.evidence} evidence link(s){kept}", err=True)


COMMANDS = [export_group, import_]
