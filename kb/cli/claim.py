"""`kb claim ...`: assertions, with their quotes, places, themes and actors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kb.cli.app import ID, App, pass_app
from kb.cli.filters import claim_filters, make_filter
from kb.cli.output import emit, emit_one, format_option

if TYPE_CHECKING:
    from collections.abc import Callable

    from kb.services.claims import ClaimFields
    from kb.services.query import ClaimFilter

CLAIM_COLUMNS = ["id", "date", "source", "status", "quote_status", "countries", "themes",
                 "text"]
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
        click.option("--stance", type=click.Choice(
            ["asserts", "hedges", "reports", "predicts", "denies"]),
            help="How the source stands toward it (default: asserts)."),
        click.option("--attributed-to", metavar="WHO",
                     help="Whom the source attributes a reported claim to (--stance reports)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


# `kb claim edit`'s changes to one list, beside --country/--theme/--actor (which replace it).
LIST_CHANGES = [
    (f"--{change}-{noun}", f"{change}_{plural}", metavar, f"{verb} {what}; repeatable.")
    for noun, plural, metavar, what in (
        ("country", "countries", "C", "a country or region"),
        ("theme", "themes", "T", "a theme"),
        ("actor", "actors", "A", "an actor"))
    for change, verb in (("add", "Add"), ("remove", "Remove"))
]


def list_change_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for flag, name, metavar, help_ in reversed(LIST_CHANGES):
        func = click.option(flag, name, multiple=True, metavar=metavar, help=help_)(func)
    return func


def fields_from(options: dict[str, Any], *, replace_lists: bool) -> ClaimFields:
    from kb.services.claims import ClaimFields

    def listed(name: str) -> list[str] | None:
        values = list(options.pop(name))
        return values if values or not replace_lists else None

    changes = {name: listed(name) for _, name, _, _ in LIST_CHANGES if name in options}
    return ClaimFields(
        text=options.pop("text"), quote=options.pop("quote"), locator=options.pop("locator"),
        date=options.pop("date"), countries=listed("countries"), themes=listed("themes"),
        actors=listed("actors"), stance=options.pop("stance"),
        attributed_to=options.pop("attributed_to"), **changes,
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
      kb claim list --country US --country China --all-countries --status contested --wide
    """
    list_claims(app, make_filter(options), fmt)


def list_claims(app: App, where: ClaimFilter, fmt: str) -> int:
    """Print the matching claims; how many there were."""
    from kb.services.query import query_claims
    from kb.services.search import highlighter
    from kb.services.views import CLAIM_FIELDS

    with app.read() as session:
        rows = query_claims(session, where)
    if fmt == "csv":  # the claim-file columns, whatever the rows (kb import reads it back)
        from kb.cli.output import raw_csv
        from kb.formats import csv_claims

        click.echo(csv_claims.dumps(rows, raw_csv()), nl=False)
        return len(rows)
    emit(rows, fmt, CLAIM_COLUMNS, CLAIM_WIDTHS,
         highlight=highlighter(where.search) if where.search else None, fields=CLAIM_FIELDS,
         empty="no claims match")
    return len(rows)


@claim_group.command("show")
@click.argument("claim_id", type=ID)
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
        ("status", record["status"]), ("stance", _stance(record)),
        ("in text", _quote_line(record)),
        ("retracted", record["retracted"] and record["retracted"]["reason"]),
        ("replaced", record["superseded_by"] and f"by claim {record['superseded_by']}"),
        ("citation", record.get("citation")),
    ])
    if fmt == "table":
        check = record["quote_check"] or {}
        for warning in check.get("warnings") or []:
            click.echo(f"quote warning: {warning}")
        if record["quote_status"] == "not-found" and check.get("nearest"):
            click.echo(f"nearest passage ({check['similarity']:.0f}% alike): "
                       f"{' '.join(check['nearest'].split())}")
        for ignored in record["ignored_evidence"]:
            click.echo(f"standing ignores evidence {ignored['id']}: {ignored['why']}")
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


def _stance(record: dict[str, Any]) -> str | None:
    stance = record["stance"]
    if stance == "asserts":
        return None
    if record["stance_cues"]:
        return f"{stance} ({', '.join(record['stance_cues'])})"
    if record["attributed_to"]:
        return f"{stance} (attributed to {record['attributed_to']})"
    return str(stance)


def _quote_line(record: dict[str, Any]) -> str | None:
    status, anchor = record["quote_status"], record["anchor"]
    if status is None:
        return None
    if anchor is None:
        return str(status)
    page = f", page {anchor['page']}" if anchor.get("page") else ""
    return f"{status} (text v{anchor['version']}, characters {anchor['start']}-{anchor['end']}" \
           f"{page})"


@claim_group.command("edit")
@click.argument("claim_id", type=ID)
@click.option("--source", "source_key", metavar="KEY", help="Move it to another source.")
@claim_options
@list_change_options
@pass_app
def edit(app: App, claim_id: int, source_key: str | None, **options: Any) -> None:
    """Change a claim: --add-theme/--remove-theme (and -country, -actor) change one entry;
    --country, --theme or --actor replace that whole list.

    Every change is kept in the claim's history (`kb claim history ID`).

    \b
    Example:
      kb claim edit 12 --add-theme security/military --remove-actor Nvidia
      kb claim edit 12 --theme hardware/chips --theme policy/export-controls
    """
    from kb.services import claims

    values = fields_from(options, replace_lists=True)
    if values.is_empty() and source_key is None:
        raise click.UsageError("nothing to change: give --text, --add-theme, ... "
                               "(see `kb claim edit --help`)")
    with app.write() as session:
        claims.edit(session, claim_id, values, source_key)
    click.echo(claim_id)


@claim_group.command("rm")
@click.argument("claim_id", type=ID, required=False)
@click.option("--all", "every", is_flag=True,
              help="Remove every claim the filters match (asks first, or --yes).")
@claim_filters
@click.option("--yes", is_flag=True, help="With --all: do not ask (needed when not at a terminal).")
@click.option("--force", is_flag=True, help="Also remove evidence links that cite it.")
@pass_app
def rm(app: App, claim_id: int | None, every: bool, yes: bool, force: bool,
       **options: Any) -> None:
    """Delete a claim and its own evidence links; or, with --all, every matching claim.

    --all counts the claims the filters match and asks before removing them, all in one
    transaction; claims that stay and lose evidence keep the change of standing in their
    history.

    \b
    Example:
      kb claim rm 12
      kb claim rm --source tomshardware2025h20 --all
      kb claim rm --theme hardwre/chips --all --yes
    """
    from kb.errors import Conflict
    from kb.services import claims

    where = make_filter(options)
    from kb.services.query import ClaimFilter

    if claim_id is not None and (every or where != ClaimFilter()):
        raise click.UsageError("give a claim ID or --all with filters, not both")
    if claim_id is None:
        remove_all(app, where, every, yes, force)
        return
    try:
        with app.write() as session:
            changes = claims.remove(session, claim_id, force=force)
    except Conflict as exc:
        raise Conflict(f"{exc} or pass --force") from None
    for change in changes:
        click.echo(f"standing of {change}", err=True)
    click.echo(f"removed claim {claim_id}", err=True)


def interactive() -> bool:
    import sys

    return sys.stdin.isatty()


def remove_all(app: App, where: ClaimFilter, every: bool, yes: bool, force: bool) -> None:
    from sqlalchemy import func, select

    from kb.errors import Conflict
    from kb.models import Claim
    from kb.services import claims
    from kb.services.query import select_claims

    if not every:
        raise click.UsageError("give a claim ID, or --all to remove every matching claim")
    if not yes and not interactive():
        raise click.UsageError("--all removes claims without asking only with --yes "
                               "(stdin is not a terminal)")

    def matching() -> Any:
        return select_claims(session, where).with_only_columns(Claim.id)

    with app.read() as session:
        count = session.scalar(select(func.count()).select_from(matching().subquery())) or 0
    if count == 0:
        click.echo("no claims match", err=True)
        return
    if not yes:
        click.confirm(f"remove {count} claim{'s' * (count != 1)}?", abort=True, err=True)
    try:
        with app.write() as session:
            changes = claims.remove_matching(session, matching(), count, force=force)
    except Conflict as exc:
        raise Conflict(f"{exc} or pass --force") if "evidence" in str(exc) else exc from None
    for change in changes:
        click.echo(f"standing of {change}", err=True)
    click.echo(f"removed {count} claim{'s' * (count != 1)}", err=True)


@claim_group.command("history")
@click.argument("claim_id", type=ID)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_app
def history(app: App, claim_id: int, fmt: str) -> None:
    """Show what changed in a claim, when, and who changed it (KB_USER, else the user name).

    Changes made before kb recorded who (migration 0008) show BY as "unknown" (JSON: null).

    \b
    Example:
      kb claim history 12
    """
    import json

    from kb.cli.output import table, who
    from kb.services import claims

    with app.read() as session:
        revisions = claims.history(session, claim_id)
    if fmt == "json":
        click.echo(json.dumps(revisions, indent=2, ensure_ascii=False))
        return
    rows = [{"rev": f"#{r['revision']}", "at": r["at"], "by": who(r["by"]),
             "action": r["action"]} for r in revisions]
    # One aligned table, each revision's changes indented under its row.
    header, *lines = table(rows, ["rev", "at", "by", "action"]).splitlines()
    click.echo(header)
    for line, revision in zip(lines, revisions, strict=True):
        click.echo(line)
        if revision.get("note"):
            click.echo(f"    {revision['note']}")
        for name, change in revision["changes"].items():
            click.echo(f"    {name}: {change['from']!r} -> {change['to']!r}")
        if revision.get("reason"):
            click.echo(f"    because {revision['reason']}")


@click.command("search")
@click.argument("query")
@click.option("--sources", "in_sources", is_flag=True,
              help="Search the library's sources (title, authors, container, DOI) instead.")
@claim_filters
@format_option
@pass_app
def search(app: App, query: str, fmt: str, in_sources: bool, **options: Any) -> None:
    """Full-text search of claims, quotes and source titles, best matches first.

    QUERY takes words (all must match), "exact phrases", OR, NOT and prefix* — and every
    filter of `kb claim list`. Every match is ranked, with or without --limit: --limit N
    shows the N best (equal ranks: the most recently added first).

    Words match by their English stem: licence finds "licences", export finds "exported".
    A "phrase" needs its words side by side and in order, each matched by its stem
    ("export licence" also finds "exported licences"); case and accents never count.

    \b
    Example:
      kb search 'chips NOT Nvidia'
      kb search '"power grid" OR nuclear' --country US
      kb search 'semicon*' --since 2025
      kb search licence --status contested --status refuted
      kb search --sources 'Müller lithography'
    """
    import shlex

    from kb.services.query import ClaimFilter
    from kb.services.search import highlighter

    where = make_filter(options)
    if in_sources:
        if where != ClaimFilter():
            raise click.UsageError("--sources takes no claim filters (see `kb source list`)")
        from kb.services.source_query import SourceFilter
        from kb.services.views import SOURCE_FIELDS, source_list

        with app.read() as session:
            rows = source_list(session, SourceFilter(search=query))
        emit(rows, fmt, ["key", "type", "date", "claims", "title"], {"title": 60},
             highlight=highlighter(query), fields=SOURCE_FIELDS)
        return
    where.search = query
    found = list_claims(app, where, fmt)
    if not found:
        from kb.services.source_query import SourceFilter, query_sources

        with app.read() as session:
            matched = len(query_sources(session, SourceFilter(search=query)))
        if matched:
            click.echo(f"no claims match, but {matched} source(s) do: "
                       f"kb search --sources {shlex.quote(query)}", err=True)


COMMANDS = [claim_group, search]
