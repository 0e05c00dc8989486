"""`kb claim ...`: assertions, with their quotes, places, themes and actors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kb.cli.app import App, pass_app
from kb.cli.filters import claim_filters, make_filter
from kb.cli.output import emit, emit_one, format_option

if TYPE_CHECKING:
    from collections.abc import Callable

    from kb.services.claims import ClaimFields
    from kb.services.query import ClaimFilter

CLAIM_COLUMNS = ["id", "date", "source", "status", "countries", "themes", "text"]
CLAIM_WIDTHS = {"text": 70, "themes": 30}


def claim_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--text", help="The statement, in your words."),
        click.option("--quote", help="The verbatim words of the source it rests on."),
        click.option("--locator", help="Where in the source: 'para. 4', 'p. 12', '00:14:05'."),
        click.option("--country", "countries", multiple=True, metavar="C",
                     help="A country (US, U.S., PRC, China ...) or region; repeatable."),
        click.option("--theme", "themes", multiple=True, metavar="T",
                     help="A slash path such as hardware/chips; repeatable."),
        click.option("--actor", "actors", multiple=True, metavar="A",
                     help="An organisation, person or product it is about; repeatable."),
        click.option("--date", help="When it was asserted (default: the source's date)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def fields_from(options: dict[str, Any], *, replace_lists: bool) -> ClaimFields:
    from kb.services.claims import ClaimFields

    def listed(name: str) -> list[str] | None:
        values = list(options.pop(name))
        return values if values or not replace_lists else None

    return ClaimFields(
        text=options.pop("text"), quote=options.pop("quote"), locator=options.pop("locator"),
        date=options.pop("date"), countries=listed("countries"), themes=listed("themes"),
        actors=listed("actors"),
    )


@click.group("claim")
def claim_group() -> None:
    """Claims: one assertion by one source.

    \b
    Example:
      kb claim add --source npr2026china --text "China prioritises adoption" --country CN
      kb claim list --country China --since 2025
    """


@claim_group.command("add")
@click.option("--source", "source_key", required=True, metavar="KEY",
              help="The source that makes the claim.")
@claim_options
@pass_app
def add(app: App, source_key: str, **options: Any) -> None:
    """Add a claim and print its id.

    \b
    Example:
      kb claim add --source ainews2026great --text "US AI is constrained by the power grid" \\
         --quote "increasingly constrained by the \\"power wall.\\"" --locator "para. 4" \\
         --country US --theme energy/grid --actor Nvidia
    """
    from kb.services import claims

    if options["text"] is None:
        raise click.UsageError("Missing option '--text'.")
    with app.write() as session:
        claim = claims.add(session, source_key, fields_from(options, replace_lists=False))
    click.echo(claim.id)  # once committed: an id printed is an id kept


@claim_group.command("list")
@claim_filters
@format_option
@pass_app
def list_(app: App, fmt: str, **options: Any) -> None:
    """List claims, newest first, filtered by place, theme, source, actor, date and standing.

    Filters combine (all must hold); a repeated --country or --theme matches any of them.

    \b
    Example:
      kb claim list --country China --theme hardware --since 2025
      kb claim list --country "Global South" --status unverified --format json
      kb claim list --search '"power grid" OR nuclear' --country US
    """
    list_claims(app, make_filter(options), fmt)


def list_claims(app: App, where: ClaimFilter, fmt: str) -> None:
    from kb.services.query import query_claims
    from kb.services.search import highlighter
    from kb.services.views import CLAIM_FIELDS

    with app.read() as session:
        rows = query_claims(session, where)
    if fmt == "csv":  # the claim-file columns, whatever the rows (kb import reads it back)
        from kb.formats import csv_claims

        click.echo(csv_claims.dumps(rows), nl=False)
        return
    emit(rows, fmt, CLAIM_COLUMNS, CLAIM_WIDTHS,
         highlight=highlighter(where.search) if where.search else None, fields=CLAIM_FIELDS)


@claim_group.command("show")
@click.argument("claim_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--cite", "style", metavar="STYLE",
              help="Add the formatted citation: apa, chicago-author-date, mla, ieee, harvard.")
@pass_app
def show(app: App, claim_id: int, fmt: str, style: str | None) -> None:
    """Show a claim with its quote, standing and evidence.

    \b
    Example:
      kb claim show 12 --format json
      kb claim show 12 --cite chicago-author-date
    """
    from kb.services import views

    with app.read() as session:
        record = views.claim_view(session, claim_id, style)
    emit_one(record, fmt, [
        ("id", record["id"]), ("source", record["source"]), ("text", record["text"]),
        ("quote", record["quote"]), ("locator", record["locator"]), ("date", record["date"]),
        ("countries", record["countries"]), ("regions", record["regions"]),
        ("themes", record["themes"]), ("actors", record["actors"]),
        ("status", record["status"]), ("citation", record.get("citation")),
    ])
    if fmt != "table":
        return
    # Evidence that is another claim shows that claim's source in the SOURCE column.
    for title, links in (("evidence for this claim", record["evidence"]),
                         ("evidence for other claims", record["evidence_for_other_claims"])):
        if links:
            click.echo(f"\n{title}:")
            emit([{**e, "source": e["source"] or e["claim_source"]} for e in links], "table",
                 ["id", "relation", "source", "claim", "locator", "quote", "note"],
                 {"quote": 50, "note": 40})


@claim_group.command("edit")
@click.argument("claim_id", type=int)
@click.option("--source", "source_key", metavar="KEY", help="Move it to another source.")
@claim_options
@pass_app
def edit(app: App, claim_id: int, source_key: str | None, **options: Any) -> None:
    """Change a claim; --country, --theme or --actor replace that whole list.

    Every change is kept in the claim's history (`kb claim history ID`).

    \b
    Example:
      kb claim edit 12 --theme hardware/chips --theme policy/export-controls
    """
    from kb.services import claims

    with app.write() as session:
        claims.edit(session, claim_id, fields_from(options, replace_lists=True), source_key)
    click.echo(claim_id)


@claim_group.command("rm")
@click.argument("claim_id", type=int)
@click.option("--force", is_flag=True, help="Also remove evidence links that cite it.")
@pass_app
def rm(app: App, claim_id: int, force: bool) -> None:
    """Delete a claim and its own evidence links.

    \b
    Example:
      kb claim rm 12
    """
    from kb.errors import Conflict
    from kb.services import claims

    try:
        with app.write() as session:
            changes = claims.remove(session, claim_id, force=force)
    except Conflict as exc:
        raise Conflict(f"{exc} or pass --force") from None
    for change in changes:
        click.echo(f"standing of {change}", err=True)
    click.echo(f"removed claim {claim_id}", err=True)


@claim_group.command("history")
@click.argument("claim_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_app
def history(app: App, claim_id: int, fmt: str) -> None:
    """Show what changed in a claim, and when.

    \b
    Example:
      kb claim history 12
    """
    import json

    from kb.services import claims

    with app.read() as session:
        revisions = claims.history(session, claim_id)
    if fmt == "json":
        click.echo(json.dumps(revisions, indent=2, ensure_ascii=False))
        return
    for revision in revisions:
        click.echo(f"#{revision['revision']}  {revision['at']}  {revision['action']}")
        for name, change in revision["changes"].items():
            click.echo(f"    {name}: {change['from']!r} -> {change['to']!r}")
        if revision.get("reason"):
            click.echo(f"    because {revision['reason']}")


@click.command("search")
@click.argument("query")
@claim_filters
@format_option
@pass_app
def search(app: App, query: str, fmt: str, **options: Any) -> None:
    """Full-text search of claims, quotes and source titles, best matches first.

    QUERY takes words (all must match), "exact phrases", OR, NOT and prefix* — and every
    filter of `kb claim list`. Every match is ranked, with or without --limit: --limit N
    shows the N best (equal ranks: the most recently added first).

    \b
    Example:
      kb search 'chips NOT Nvidia'
      kb search '"power grid" OR nuclear' --country US
      kb search 'semicon*' --since 2025
    """
    where = make_filter(options)
    where.search = query
    list_claims(app, where, fmt)


COMMANDS = [claim_group, search]
