"""`kb source attach|texts|text|retract`, `kb quote ...`, `kb claim retract|supersede`, `kb log`:
the words of each source, quotes checked against them, and every change with who made it."""

from __future__ import annotations

import json
from typing import Any

import click

from kb.cli.app import ID, App, pass_app
from kb.cli.claim import claim_group
from kb.cli.filters import claim_filters, make_filter
from kb.cli.output import emit, format_option
from kb.cli.source import source_group
from kb.errors import LARGEST_INTEGER


@source_group.command("attach")
@click.argument("key")
@click.argument("file", metavar="FILE")
@click.option("--retrieved", metavar="D", help="When the file was retrieved (YYYY[-MM[-DD]]).")
@click.option("--url", help="Where it was retrieved from.")
@pass_app
def attach(app: App, key: str, file: str, retrieved: str | None, url: str | None) -> None:
    """Store FILE's text as the next version of the source's text and check its quotes.

    .txt and .md as they are, .html by its main text (the `texts` extra), .pdf by its text
    layer with page starts. The same file again adds nothing; a changed file becomes the next
    version, and every quote anchored in the one before is anchored again: what moved,
    changed or is orphaned is listed.

    \b
    Example:
      kb source attach ainews2026great article.html --retrieved 2026-02-18
    """
    from kb.services import texts

    with app.write() as session:
        done = texts.attach(session, key, file, retrieved, url)
    if not done.added:
        click.echo(f"{done.source}: the same file is text version {done.version} already; "
                   "nothing added", err=True)
        return
    click.echo(f"{done.source}: text version {done.version}", err=True)
    if done.checks:
        click.echo("quotes: " + ", ".join(f"{n} {s}" for s, n in sorted(done.checks.items())),
                   err=True)
    for change in done.reanchored:
        if change["reanchored"] != "unchanged":
            where = f" (now {change['start']}-{change['end']})" if change["start"] is not None \
                else ""
            note = f": {change['note']}" if change.get("note") else ""
            click.echo(f"claim {change['claim']}: {change['reanchored']}{where}{note}")
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)


@source_group.command("texts")
@click.argument("key")
@format_option
@pass_app
def texts_(app: App, key: str, fmt: str) -> None:
    """List the versions of a source's stored text.

    \b
    Example:
      kb source texts ainews2026great
    """
    from kb.services import texts

    with app.read() as session:
        rows = texts.versions(session, key)
    emit(rows, fmt, ["version", "created", "by", "file", "characters", "extractor",
                     "retrieved", "text_sha256"], {"text_sha256": 12},
         fields=("source", "version", "file", "media_type", "bytes", "characters", "pages",
                 "raw_sha256", "text_sha256", "extractor", "retrieved", "url", "created",
                 "by"))


@source_group.command("text")
@click.argument("key")
@click.option("--version", "version", type=click.IntRange(min=1), metavar="N",
              help="This version (default: the latest).")
@pass_app
def text(app: App, key: str, version: int | None) -> None:
    """Print a source's stored text.

    \b
    Example:
      kb source text ainews2026great --version 1
    """
    from kb.services import texts

    with app.read() as session:
        found = texts.text_of(session, key, version).text
    click.echo(found, nl=not found.endswith("\n"))


@source_group.command("retract")
@click.argument("key")
@click.option("--reason", help="Why (the notice's wording).")
@click.option("--notice-doi", metavar="DOI", help="The DOI of the retraction notice.")
@click.option("--date", metavar="D", help="The notice's date (YYYY[-MM[-DD]]).")
@click.option("--kind", default="retraction", show_default=True,
              help="retraction, expression_of_concern, correction, withdrawal ...")
@click.option("--crossref", "crossref", metavar="FILE",
              help="Take the notices from a Crossref work record (JSON, `updated-by`).")
@pass_app
def retract_source(app: App, key: str, reason: str | None, notice_doi: str | None,
                   date: str | None, kind: str, crossref: str | None) -> None:
    """Record a retraction (or another notice) of a source; nothing is deleted.

    A retraction takes the source's evidence out of every claim's standing; an expression of
    concern or a correction is recorded and shown, not treated as a retraction.

    \b
    Example:
      kb source retract smith2024 --reason "data fabricated" --notice-doi 10.1000/r1 \\
         --date 2025-03-01
      kb source retract smith2024 --crossref smith2024.crossref.json
    """
    from kb.services import provenance

    if crossref is None and not reason:
        raise click.UsageError("give --reason TEXT (or --crossref FILE)")
    with app.write() as session:
        if crossref is not None:
            found = provenance.import_crossref(session, key, crossref)
        else:
            found = [provenance.add_notice(session, key, kind, reason, notice_doi, date)]
        said = [f"{key}: {n.kind.replace('_', ' ')}"
                + (f" ({n.notice_doi})" if n.notice_doi else "")
                + (f" of {n.date}" if n.date else "") for n in found]
    for line in said:
        click.echo(f"recorded {line}", err=True)


@claim_group.command("retract")
@click.argument("claim_id", type=ID)
@click.option("--reason", required=True, help="Why it is withdrawn.")
@pass_app
def retract_claim(app: App, claim_id: int, reason: str) -> None:
    """Retract a claim: kept, hidden from listings, out of other claims' standing.

    \b
    Example:
      kb claim retract 12 --reason "misread the table"
    """
    from kb.services import provenance

    with app.write() as session:
        provenance.retract_claim(session, claim_id, reason)
    click.echo(f"retracted claim {claim_id}", err=True)


@claim_group.command("supersede")
@click.argument("claim_id", type=ID)
@click.option("--by", "by", type=ID, required=True, metavar="ID2",
              help="The claim that replaces it.")
@pass_app
def supersede(app: App, claim_id: int, by: int) -> None:
    """Mark a claim as superseded by a newer one; both are kept.

    \b
    Example:
      kb claim supersede 12 --by 31
    """
    from kb.services import provenance

    with app.write() as session:
        provenance.supersede_claim(session, claim_id, by)
    click.echo(f"claim {claim_id} superseded by claim {by}", err=True)


@click.group("quote")
def quote_group() -> None:
    """Quotes checked against their sources' stored texts.

    \b
    Example:
      kb quote verify --source ainews2026great
      kb quote orphans
    """


@quote_group.command("verify")
@click.option("--claim", "claim_ids", type=ID, multiple=True, metavar="ID",
              help="Only this claim; repeatable.")
@claim_filters
@format_option
@pass_app
def verify(app: App, claim_ids: tuple[int, ...], fmt: str, **options: Any) -> None:
    """Check the chosen claims' quotes against their sources' latest texts; store the results.

    \b
    Example:
      kb quote verify
      kb quote verify --claim 12
      kb quote verify --country China --format json
    """
    from kb.models import Claim
    from kb.services import texts
    from kb.services.query import select_claims

    where = make_filter(options)
    with app.write() as session:
        ids = list(claim_ids) if claim_ids else list(session.scalars(
            select_claims(session, where).with_only_columns(Claim.id).order_by(Claim.id)))
        for claim_id in claim_ids:
            from kb.services.claims import get

            get(session, claim_id)
        results = texts.verify(session, ids)
    rows = [{"claim": r["claim"], "quote_status": r["quote_status"],
             "version": r.get("version"), "similarity": r.get("similarity"),
             "nearest": r.get("nearest"), "warnings": r["warnings"]} for r in results]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["quote_status"]] = counts.get(row["quote_status"], 0) + 1
    shown = rows if fmt != "table" else [
        {**r, "nearest": " ".join((r["nearest"] or "").split())} for r in rows
        if r["quote_status"] not in ("verified", "normalised", "no-text")]
    emit(shown, fmt, ["claim", "quote_status", "version", "similarity", "nearest"],
         {"nearest": 70}, fields=("claim", "quote_status", "version", "similarity", "nearest",
                                  "warnings"))
    click.echo(f"{len(rows)} quote(s): "
               + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"),
               err=True)


@quote_group.command("accept")
@click.argument("claim_id", type=ID)
@pass_app
def accept(app: App, claim_id: int) -> None:
    """Accept a candidate passage as the quote's place: it then counts as verified.

    \b
    Example:
      kb quote accept 12
    """
    from kb.services import texts

    with app.write() as session:
        state = texts.accept(session, claim_id)
    anchor = state["anchor"] or {}
    click.echo(f"claim {claim_id}: verified by {state['quote_check']['accepted_by']} "
               f"({anchor.get('start')}-{anchor.get('end')}: {anchor.get('exact')!r})",
               err=True)


@quote_group.command("orphans")
@click.option("--source", "key", metavar="KEY", help="Only this source's claims.")
@format_option
@pass_app
def orphans(app: App, key: str | None, fmt: str) -> None:
    """List claims whose passage has no trustworthy place in the latest text.

    \b
    Example:
      kb quote orphans --source ainews2026great
    """
    from kb.services import texts

    with app.read() as session:
        rows = texts.orphans(session, key)
    emit(rows, fmt, ["claim", "source", "version", "outcome", "quote_status", "quote"],
         {"quote": 60}, fields=("claim", "source", "version", "outcome", "quote_status",
                                "quote"))


@click.command("log")
@click.option("--since", metavar="D", help="Changes on or after D (YYYY[-MM[-DD]]).")
@click.option("--source", "source", metavar="KEY", help="Changes to this source and its claims.")
@click.option("--by", "by", metavar="USER", help="Changes made by USER.")
@click.option("--limit", type=click.IntRange(0, LARGEST_INTEGER), metavar="N",
              help="The N latest.")
@format_option
@pass_app
def log(app: App, since: str | None, source: str | None, by: str | None, limit: int | None,
        fmt: str) -> None:
    """Every change to sources, claims and evidence, oldest first, with who made it.

    Who is KB_USER, else the operating system's user name; changes made before kb recorded
    who (migration 0008) show BY as "unknown" (JSON: null).

    \b
    Example:
      kb log --since 2026-02 --by alice
      kb log --source ainews2026great --format json
    """
    from kb.services import provenance

    with app.read() as session:
        rows = provenance.log_entries(session, since, source, by, limit)
    if fmt == "table":
        from kb.cli.output import who

        rows = [{**r, "by": who(r["by"]), "detail": json.dumps(r["detail"], ensure_ascii=False)
                 if r["detail"] is not None else None} for r in rows]
    emit(rows, fmt, ["at", "by", "entity", "id", "action", "source", "detail"],
         {"detail": 60}, fields=("at", "by", "entity", "id", "action", "source", "detail"))


COMMANDS = [quote_group, log]
