"""The claim filters `claim list` and the exports share, as one decorator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Callable

    from kb.services.query import ClaimFilter

STATUS_CHOICES = ("unverified", "supported", "refuted", "contested")


def claim_filters(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--country", "countries", multiple=True, metavar="C",
                     help="Country (code, name or alias) or region; repeat for any of several."),
        click.option("--theme", "themes", multiple=True, metavar="T",
                     help="Theme, including its sub-themes; repeat for any of several."),
        click.option("--source", metavar="KEY", help="Only claims this source makes."),
        click.option("--actor", metavar="A", help="Only claims about this actor."),
        click.option("--since", metavar="D", help="Asserted on or after D (YYYY[-MM[-DD]])."),
        click.option("--until", metavar="D", help="Asserted on or before D (YYYY[-MM[-DD]])."),
        click.option("--status", metavar="S",
                     help=f"Standing from evidence: {', '.join(STATUS_CHOICES)}."),
        click.option("--search", metavar="Q",
                     help='Full text: words, "a phrase", OR, NOT, prefix*.'),
        click.option("--limit", type=click.IntRange(min=0), metavar="N",
                     help="At most N claims."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_filter(options: dict[str, Any]) -> ClaimFilter:
    """Take the filter options out of a command's keyword arguments."""
    from kb.services.query import ClaimFilter

    return ClaimFilter(
        countries=list(options.pop("countries")), themes=list(options.pop("themes")),
        source=options.pop("source"), actor=options.pop("actor"), since=options.pop("since"),
        until=options.pop("until"), status=options.pop("status"), search=options.pop("search"),
        limit=options.pop("limit"),
    )
