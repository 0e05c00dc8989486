"""`kb source ...`: the citable works claims come from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kb.cli.app import App, pass_app
from kb.cli.output import emit, emit_one, format_option

if TYPE_CHECKING:
    from collections.abc import Callable

    from kb.services.sources import SourceFields


def source_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--title", help="Title of the work."),
        click.option("--type", "type_", metavar="CSL_TYPE",
                     help="CSL item type: article-newspaper, report, webpage, article-journal, "
                          "book, broadcast ... (default: article)."),
        click.option("--publisher", help="Publisher or organisation that issued it."),
        click.option("--container", help="Newspaper, journal, site or show it appeared in."),
        click.option("--author", "authors", multiple=True, metavar="NAME",
                     help="'Family, Given', 'Given Family', or {Organisation} in braces; "
                          "repeat in order."),
        click.option("--date", help="Issued: YYYY, YYYY-MM, YYYY-MM-DD, or any EDTF date "
                                    "(-0333, 1985-21 for spring, 1850~, 2014-12-31/2015-01-01)."),
        click.option("--url"), click.option("--doi"),
        click.option("--accessed", metavar="D", help="When you read it online."),
        click.option("--archived-url", help="A web archive copy."),
        click.option("--language", help="Language tag, e.g. en, zh-CN."),
        click.option("--note"),
        click.option("--field", "csl_fields", multiple=True, metavar="VARIABLE=VALUE",
                     help="Any other CSL variable: volume=12, page=423-491, ISSN=..., "
                          "publisher-place=..., editor='Doe, Jane' (repeat; '' removes)."),
        click.option("--reports-on", metavar="KEY",
                     help="The source this one reports on (an article about an analysis)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def fields_from(options: dict[str, Any]) -> SourceFields:
    from kb.services.sources import SourceFields

    authors = options.pop("authors")
    return SourceFields(
        title=options.pop("title"), type=options.pop("type_"),
        publisher=options.pop("publisher"), container=options.pop("container"),
        authors=list(authors) if authors else None, date=options.pop("date"),
        url=options.pop("url"), doi=options.pop("doi"), accessed=options.pop("accessed"),
        archived_url=options.pop("archived_url"), language=options.pop("language"),
        note=options.pop("note"), reports_on=options.pop("reports_on"),
        extra=csl_variables(options.pop("csl_fields")),
    )


def csl_variables(pairs: tuple[str, ...]) -> dict[str, Any] | None:
    """`--field volume=12 --field editor='Doe, Jane'` as CSL variables (names as CSL names)."""
    from kb.formats.reference import CSL_NAME_VARIABLES, Name

    if not pairs:
        return None
    variables: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected VARIABLE=VALUE, got {pair!r}",
                                     param_hint="--field")
        name, value = name.strip(), value.strip()
        if name in CSL_NAME_VARIABLES and value:
            parsed = Name.parse(value)
            person = {"literal": parsed.literal} if parsed.literal is not None else {
                k: v for k, v in (("family", parsed.family), ("given", parsed.given)) if v}
            variables.setdefault(name, []).append(person)
        else:
            variables[name] = value
    return variables


@click.group("source")
def source_group() -> None:
    """Sources: the works that make claims.

    \b
    Example:
      kb source add --title "Chip Wars" --author "Miller, Chris" --date 2022
      kb source show npr2026china
    """


@source_group.command("add")
@source_options
@click.option("--key", help="Citation key (default: made from author, year and title).")
@pass_app
def add(app: App, key: str | None, **options: Any) -> None:
    """Add a source and print its citation key.

    \b
    Example:
      kb source add --title "The Great Divergence" --type article-newspaper \\
         --container "AI News" --date 2026-02 --url https://example.org/divergence
    """
    from kb.services import sources

    if options["title"] is None:
        raise click.UsageError("Missing option '--title'.")
    with app.write() as session:
        source = sources.add(session, fields_from(options), key=key)
        click.echo(source.key)


@source_group.command("list")
@click.option("--search", "words", metavar="WORDS",
              help="Full text over title (with subtitle), authors, container and DOI: words, "
                   '"phrases", OR, NOT, prefix*; best matches first.')
@click.option("--author", metavar="NAME", help="An author whose name contains NAME.")
@click.option("--type", "type_", metavar="CSL_TYPE", help="Only this CSL item type.")
@click.option("--since", metavar="D", help="Issued on or after D (YYYY, YYYY-MM, YYYY-MM-DD).")
@click.option("--until", metavar="D", help="Issued on or before D.")
@click.option("--has-claims/--no-claims", "has_claims", default=None,
              help="Only sources that make claims (or only those that make none).")
@format_option
@pass_app
def list_(app: App, fmt: str, words: str | None, author: str | None, type_: str | None,
          since: str | None, until: str | None, has_claims: bool | None) -> None:
    """List sources with how many claims each makes; filters narrow the library.

    \b
    Example:
      kb source list --format csv
      kb source list --search 'semicon* supply' --since 2020 --no-claims
      kb source list --author Müller --type article-journal
    """
    from kb.services import views
    from kb.services.source_query import SourceFilter

    where = SourceFilter(search=words, author=author, type=type_, since=since, until=until,
                         has_claims=has_claims)
    with app.read() as session:
        rows = views.source_list(session, where)
    emit(rows, fmt, ["key", "type", "date", "claims", "title"], {"title": 60},
         highlight=_highlighter(words), fields=views.SOURCE_FIELDS)


def _highlighter(words: str | None) -> Any:
    if not words:
        return None
    from kb.services.search import highlighter

    return highlighter(words)


@source_group.command("show")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_app
def show(app: App, key: str, fmt: str) -> None:
    """Show a source and every claim it asserts.

    \b
    Example:
      kb source show ainews2026great --format json
    """
    from kb.cli.claim import CLAIM_COLUMNS, CLAIM_WIDTHS
    from kb.services.query import source_report

    with app.read() as session:
        report = source_report(session, key)
    from kb.services.sources import display_names

    emit_one(report, fmt, [
        ("key", report["key"]), ("type", report["type"]), ("title", report["title"]),
        # "; " between people: "Farrell, Henry, Newman, Abraham L." reads as four names.
        ("authors", display_names(report["authors"])), ("container", report["container"]),
        ("publisher", report["publisher"]),
        ("date", report["date"] or report["date_literal"]), ("url", report["url"]),
        ("doi", report["doi"]), ("accessed", report["accessed"]),
        ("language", report["language"]),
        *[(name, display_names(value) if isinstance(value, list) else value)
          for name, value in report["extra"].items()],
        ("reports on", report["reports_on"]), ("reported by", report["reported_by"]),
        ("note", report["note"]), ("claims", len(report["claims"])),
        ("texts", report["text_versions"] and f"{report['text_versions']} version(s) "
                                              f"(kb source texts {report['key']})"),
        *[(n["kind"].replace("_", " "), "; ".join(str(v) for v in (
            n["reason"], n["notice_doi"], n["date"]) if v)) for n in report["notices"]],
    ])
    if fmt == "table" and report["claims"]:
        click.echo()
        emit(report["claims"], "table", CLAIM_COLUMNS, CLAIM_WIDTHS)


@source_group.command("edit")
@click.argument("key")
@source_options
@click.option("--key", "new_key", help="A new citation key.")
@pass_app
def edit(app: App, key: str, new_key: str | None, **options: Any) -> None:
    """Change a source's fields; an empty value ("") clears an optional field.

    \b
    Example:
      kb source edit npr2026china --url https://www.npr.org/... --accessed 2026-02-18
    """
    from kb.services import sources

    with app.write() as session:
        source = sources.edit(session, key, fields_from(options), new_key=new_key)
        click.echo(source.key)


@source_group.command("history")
@click.argument("key")
@pass_app
def history(app: App, key: str) -> None:
    """Show what changed in a source, when and by whom (KB_USER, else your user name).

    \b
    Example:
      kb source history npr2026china
    """
    import json

    from kb.services import sources

    with app.read() as session:
        revisions = sources.history(session, key)
    for revision in revisions:
        click.echo(f"{revision['at']}  {revision['action']}  by {revision['by']}")
        before, after = revision["before"] or {}, revision["after"] or {}
        for name in after if revision["action"] != "delete" else before:
            if revision["action"] == "create" and after[name] in (None, "", [], {}):
                continue
            old, new = before.get(name), after.get(name)
            click.echo(f"  {name}: "
                       + (f"{json.dumps(old, ensure_ascii=False)} → " if revision["action"]
                          != "create" else "")
                       + json.dumps(new, ensure_ascii=False))


@source_group.command("rm")
@click.argument("key")
@click.option("--force", is_flag=True, help="Also delete its claims and evidence citing it.")
@pass_app
def rm(app: App, key: str, force: bool) -> None:
    """Delete a source (refused while it has claims, unless --force).

    \b
    Example:
      kb source rm smith2024draft
    """
    from kb.errors import Conflict
    from kb.services import sources

    try:
        with app.write() as session:
            removed = sources.remove(session, key, force=force)
    except Conflict as exc:
        raise Conflict(f"{exc}; pass --force to delete them with it") from None
    for change in removed.standing_changes:
        click.echo(f"standing of {change}", err=True)
    click.echo(f"removed {key}" + (f" and {removed.claims} claim(s)" if removed.claims else ""),
               err=True)


COMMANDS = [source_group]
