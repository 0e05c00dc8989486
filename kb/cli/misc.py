"""Overview commands: countries, themes, actors, regions, and loading seed data sets."""

from __future__ import annotations

import click

from kb.cli.app import App, pass_app
from kb.cli.output import emit, format_option


@click.command()
@click.option("--all", "every", is_flag=True,
              help="Every country kb knows, with the names and aliases it accepts.")
@format_option
@pass_app
def countries(app: App, every: bool, fmt: str) -> None:
    """List the countries claims are about, with claim counts.

    \b
    Example:
      kb countries --format json
      kb countries --all          # every country and the aliases kb accepts
    """
    from kb.services import taxonomy, views

    with app.read() as session:
        if every:
            emit(taxonomy.list_all_countries(session), fmt, ["code", "name", "claims", "aliases"],
                 {"aliases": 60}, fields=views.KNOWN_COUNTRY_FIELDS)
            return
        rows = taxonomy.list_countries(session)
    emit(rows, fmt, ["code", "name", "claims"], fields=views.COUNTRY_FIELDS)


@click.command()
@format_option
@pass_app
def actors(app: App, fmt: str) -> None:
    """List the actors claims name (organisations, people, products), with claim counts.

    \b
    Example:
      kb actors
      kb claim list --actor "John Moolenaar"
    """
    from kb.services import taxonomy, views

    with app.read() as session:
        rows = taxonomy.list_actors(session)
    emit(rows, fmt, ["name", "kind", "claims"], fields=views.ACTOR_FIELDS)


@click.group("themes", invoke_without_command=True)
@format_option
@click.pass_context
def themes(ctx: click.Context, fmt: str) -> None:
    """List the theme hierarchy with claim counts (own, and with sub-themes).

    Themes no claim uses any more are not listed.

    \b
    Example:
      kb themes
      kb themes rename hardwre/chips hardware/chips
    """
    if ctx.invoked_subcommand is not None:
        return
    from kb.services import taxonomy, views

    app = ctx.find_object(App)
    assert app is not None
    with app.read() as session:
        rows = taxonomy.list_themes(session)
    emit(rows, fmt, ["theme", "claims", "with_subthemes"], fields=views.THEME_FIELDS)


@themes.command("rename")
@click.argument("old")
@click.argument("new")
@pass_app
def themes_rename(app: App, old: str, new: str) -> None:
    """Rename a theme with its sub-themes; into an existing theme, merge them.

    \b
    Example:
      kb themes rename hardwre/chips hardware/chips
      kb themes rename energy power
    """
    from kb.services import taxonomy

    with app.write() as session:
        move = taxonomy.rename_theme(session, old, new)
    merged = f"; merged into {', '.join(move.merged)}" if move.merged else ""
    click.echo(f"renamed {move.themes} theme(s), {move.claims} claim link(s) moved{merged}",
               err=True)


@click.group("region", invoke_without_command=True)
@format_option
@click.pass_context
def region_group(ctx: click.Context, fmt: str) -> None:
    """Regions and groups of countries; with no subcommand, list them.

    \b
    Example:
      kb region
      kb region add "Five Eyes" US GB CA AU NZ
    """
    if ctx.invoked_subcommand is not None:
        return
    from kb.services import taxonomy, views

    app = ctx.find_object(App)
    assert app is not None
    with app.read() as session:
        rows = taxonomy.list_regions(session)
    emit(rows, fmt, ["name", "claims", "countries"], {"countries": 60},
         fields=views.REGION_FIELDS)


@region_group.command("add")
@click.argument("name")
@click.argument("members", nargs=-1, required=True)
@click.option("--note", help="Where the definition comes from.")
@pass_app
def region_add(app: App, name: str, members: tuple[str, ...], note: str | None) -> None:
    """Define a region as a set of countries (replaces the members if it exists).

    \b
    Example:
      kb region add "Five Eyes" US GB CA AU NZ --note "intelligence alliance"
    """
    from kb.services import taxonomy

    with app.write() as session:
        region = taxonomy.add_region(session, name, members, note)
        click.echo(f"{region.name}: {' '.join(c.code for c in region.countries)}")


@click.command()
@click.argument("name", required=False)
@pass_app
def seed(app: App, name: str | None) -> None:
    """Load a curated data set from seeds/ (all of them without NAME); twice changes nothing.

    \b
    Example:
      kb seed
      kb claim list --country China
    """
    from kb.db import resource_dir
    from kb.services import seeds

    with app.write() as session:
        reports = [seeds.load(session, path)
                   for path in seeds.find(resource_dir("seeds"), name)]
    for report in reports:
        click.echo(f"{report.name}: added {report.sources} source(s), {report.claims} claim(s), "
                   f"{report.evidence} evidence link(s), {report.regions} region(s)"
                   + (f", {report.texts} source text(s)" if report.texts else ""), err=True)
        if report.quotes:
            click.echo("quotes: " + ", ".join(f"{n} {s}" for s, n in sorted(report.quotes.items())),
                       err=True)


COMMANDS = [countries, actors, themes, region_group, seed]
