"""The claim filters `claim list`, `search` and the exports share, as one decorator.

One table, keyed by `ClaimFilter`'s field names, builds both the options and the filter: an
option is the field it fills, so none can be parsed and then dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kb.errors import LARGEST_INTEGER

if TYPE_CHECKING:
    from collections.abc import Callable

    from kb.services.query import ClaimFilter

STATUS_CHOICES = ("unverified", "supported", "refuted", "contested")

# ClaimFilter field -> its option (declaration and click settings). A `multiple` option fills a
# list field. tests/test_cli_shape.py holds this table to ClaimFilter's fields.
FILTER_OPTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "countries": ("--country", dict(
        multiple=True, metavar="C",
        help="Country (code, name or alias) or region; repeat for any of several.")),
    "all_countries": ("--all-countries", dict(
        is_flag=True, help="With repeated --country: claims about every one of them.")),
    "themes": ("--theme", dict(
        multiple=True, metavar="T",
        help="Theme, including its sub-themes; repeat for any of several.")),
    "source": ("--source", dict(metavar="KEY", help="Only claims this source makes.")),
    "actor": ("--actor", dict(metavar="A", help="Only claims about this actor.")),
    "since": ("--since", dict(metavar="D", help="Asserted on or after D (YYYY[-MM[-DD]]).")),
    "until": ("--until", dict(metavar="D", help="Asserted on or before D (YYYY[-MM[-DD]]).")),
    "status": ("--status", dict(
        multiple=True, metavar="S",
        help=f"Standing from evidence: {', '.join(STATUS_CHOICES)}; repeat for any of several.")),
    "search": ("--search", dict(metavar="Q",
                                help='Full text: words, "a phrase", OR, NOT, prefix*.')),
    "quote_status": ("--quote-status", dict(
        metavar="S", help="Quote checked against the source's text: verified, normalised, "
                          "candidate, not-found, no-text, unchecked.")),
    "include_retracted": ("--include-retracted", dict(
        is_flag=True, help="Also retracted claims (hidden by default).")),
    "limit": ("--limit", dict(type=click.IntRange(0, LARGEST_INTEGER), metavar="N",
                              help="At most N claims.")),
}


def claim_filters(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add every filter option to a command; `make_filter` takes them back out."""
    for name, (flag, settings) in reversed(FILTER_OPTIONS.items()):
        func = click.option(flag, name, **settings)(func)
    return func


def make_filter(options: dict[str, Any]) -> ClaimFilter:
    """Take the filter options out of a command's keyword arguments.

    Every ClaimFilter field is taken by name: a field without an option fails here (KeyError)
    on the first command that filters, instead of silently filtering nothing.
    """
    from dataclasses import fields

    from kb.services.query import ClaimFilter

    values: dict[str, Any] = {}
    for field in fields(ClaimFilter):
        value = options.pop(field.name)
        values[field.name] = list(value) if FILTER_OPTIONS[field.name][1].get("multiple") \
            else value
    return ClaimFilter(**values)
