"""Side by side: which claims hold for each of several countries, theme by theme (or actor).

The seed's article is such a table (the US and China, aspect by aspect); this rebuilds it from
claims, so each cell points back to the claims, their standing and their sources.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import aliased

from kb.errors import Invalid
from kb.models import Actor, Claim, ClaimActor, ClaimTheme, Theme
from kb.services import status, taxonomy
from kb.services.query import records, select_claims

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session
    from sqlalchemy.sql import ColumnElement, Select

    from kb.services.query import ClaimFilter

T = TypeVar("T")
BY = ("theme", "actor")
# A column's newest claims its cells' lists are taken from: 250 filled every cell of a
# depth-2 table (60 rows, 3 claims each) at 100k claims, in ~6 ms a column; 500 took ~11,
# and the second column's list then ran out of the page's time.
WINDOW = 250
NONE = {"theme": "(no theme)", "actor": "(no actor)"}


@dataclass
class Comparison:
    by: str
    columns: list[str]  # a country's code, or a region's name, as each column is headed
    rows: list[tuple[str, dict[str, list[int]]]] = field(default_factory=list)
    claims: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> claim record

    def as_json(self) -> list[dict[str, Any]]:
        """`[{"theme": PATH, "countries": {"US": [ids], "CN": [ids]}}, ...]`."""
        return [{self.by: key, "countries": cells} for key, cells in self.rows]


def compare(session: Session, where: ClaimFilter, places: list[str], by: str = "theme",
            depth: int = 1) -> Comparison:
    """Rows of themes cut at `depth` (or actors), a column per place, each cell the ids of the
    claims about that place (a region's column: the region or any member) under that row."""
    _check(by, depth, places)
    base = replace(where, countries=[], limit=None)
    comparison = Comparison(by, [])
    column_ids: dict[str, set[int]] = {}
    for label, found in _columns(session, places).items():
        comparison.columns.append(label)
        stmt = select_claims(session, base).where(taxonomy.claims_about(found))
        column_ids[label] = set(session.scalars(stmt.with_only_columns(Claim.id)))
    # With --theme, the rows are those themes: a claim's other themes do not add rows.
    wanted = [taxonomy.normalize_theme(t) for t in where.themes]
    every = sorted(set().union(*column_ids.values()))
    comparison.claims = {r["id"]: r for r in records(session, select(Claim)
                                                     .where(Claim.id.in_(every)))}
    cells: dict[str, dict[str, list[int]]] = {}
    for claim_id in every:
        for key in _row_keys(comparison.claims[claim_id], by, depth, wanted):
            row = cells.setdefault(key, {label: [] for label in comparison.columns})
            for label in comparison.columns:
                if claim_id in column_ids[label]:
                    row[label].append(claim_id)
    comparison.rows = sorted(cells.items(), key=lambda item: (item[0] == NONE[by], item[0]))
    return comparison


def _row_keys(claim: dict[str, Any], by: str, depth: int, wanted: list[str]) -> list[str]:
    if by == "actor":
        return list(claim["actors"]) or [NONE[by]]
    paths = [p for p in claim["themes"]
             if not wanted or any(p == w or p.startswith(w + "/") for w in wanted)]
    return sorted({"/".join(path.split("/")[:depth]) for path in paths}) or [NONE[by]]


def _check(by: str, depth: int, places: list[str]) -> None:
    if by not in BY:
        raise Invalid("by", by, f"expected one of {', '.join(BY)}")
    if depth < 1:
        raise Invalid("depth", depth, "must be 1 or more")
    if len(places) < 2:
        raise Invalid("country", ", ".join(places), "name at least two countries to compare")


def _columns(session: Session, places: list[str]) -> dict[str, taxonomy.Places]:
    """Each place's column label (a country's code, a region's name), first naming first."""
    columns: dict[str, taxonomy.Places] = {}
    for name in places:
        found = taxonomy.resolve_places(session, [name], store=False)
        label = found.countries[0].code if found.countries else found.regions[0].name
        columns.setdefault(label, found)
    return columns


# The comparison as a page shows it ---------------------------------------------------------


@dataclass
class Cell:
    """A cell's size (None: more than could be counted in time) and its newest claims."""

    count: int | None
    shown: list[int]


@dataclass
class Overview:
    """The comparison with each cell cut to its newest claims: what a page can show at any
    size. `claims` holds {id, status, text} of the claims shown; `themes` the filter each row
    stands for, so a cell can link to its whole list."""

    by: str
    columns: list[str]
    rows: list[tuple[str, dict[str, Cell]]] = field(default_factory=list)
    claims: dict[int, dict[str, Any]] = field(default_factory=dict)
    filters: dict[str, list[str]] = field(default_factory=dict)  # row -> its theme/actor
    complete: bool = True  # every count was had in time


def overview(session: Session, where: ClaimFilter, places: list[str], by: str = "theme",
             depth: int = 1, shown: int = 5, budget: float = 0.03) -> Overview:
    """`compare`'s rows and columns, each cell its claim count and its `shown` newest claims.

    `compare` builds a record for every claim compared: two popular countries at 100k claims
    are tens of thousands of records and seconds. Here each column reads its newest `WINDOW`
    claims (the listing's own query, LIMITed) and their links, and fills each row's cell from
    them in the listing's order; a row none of whose claims is that recent lists none, and
    links to its list. Each column's cells are counted in one GROUP BY over the link table.
    Lists may take two thirds of `budget` seconds, counts what is left of it: a list or a
    count past it is left out ([] or None, as a facet's "many") and the page links to the
    cell's list.
    """
    _check(by, depth, places)
    base = replace(where, countries=[], limit=None)
    columns = _columns(session, places)
    out = Overview(by, list(columns))
    rows = _rows(session, by, depth, [taxonomy.normalize_theme(t) for t in where.themes])
    link = ClaimTheme.theme_id if by == "theme" else ClaimActor.actor_id
    row_of_link = {link_id: key for key, ids in rows.items() for link_id in ids}
    began = time.perf_counter()
    deadline = began + budget * 2 / 3
    listed: dict[tuple[str, str], list[int]] = {}
    for label, found in columns.items():
        window = select_claims(session, replace(base, limit=WINDOW)).where(
            taxonomy.claims_about(found)).with_only_columns(Claim.id)
        newest = _within(session, deadline, _newest, session, window, link, row_of_link,
                         NONE[by], shown)
        listed.update({(key, label): ids for key, ids in (newest or {}).items()})
        out.complete = out.complete and newest is not None
    deadline = began + budget
    counts: dict[str, dict[str, int] | None] = {}
    row_of = _row_of(by, tuple(row_of_link.items())) if rows else None
    for label, place in columns.items():
        column = select_claims(session, base).where(taxonomy.claim_ids_about(place))
        counts[label] = _within(session, deadline, _counts, session, column, link, row_of,
                                NONE[by])
        out.complete = out.complete and counts[label] is not None
    for key in [*rows, NONE[by]]:
        cells: dict[str, Cell] = {}
        for label in columns:
            counted = counts[label]
            number = counted.get(key, 0) if counted is not None else None
            cells[label] = Cell(number, listed.get((key, label), []))
        # A row stays unless it is known to be empty in every column.
        if any(cell.count is None or cell.count or cell.shown for cell in cells.values()) \
                and (key != NONE[by] or any(cell.count or cell.shown
                                            for cell in cells.values())):
            out.rows.append((key, cells))
            out.filters[key] = _row_filter(key, by, where.themes)
    shown_ids = sorted({i for _, cells in out.rows for c in cells.values() for i in c.shown})
    standing = status.statuses(session, shown_ids)
    out.claims = {claim_id: {"id": claim_id, "text": text, "status": standing[claim_id]}
                  for claim_id, text in session.execute(
                      select(Claim.id, Claim.text).where(Claim.id.in_(shown_ids)))}
    return out


@functools.lru_cache(maxsize=16)
def _row_of(by: str, row_of_link: tuple[tuple[int, str], ...]) -> ColumnElement[Any]:
    """A link's row, as SQL (NULL for links outside every row: themes the filter left out).
    No `theme_id IN (...)` condition: SQLite then probed each claim once per listed theme (60
    seeks a claim at depth 2; 3.8 s for the US at 100k). Kept between requests: its bound
    values cost ~0.1 ms each to make (6 ms at depth 2)."""
    link = ClaimTheme.theme_id if by == "theme" else ClaimActor.actor_id
    return case(dict(row_of_link), value=link, else_=None)


def _rows(session: Session, by: str, depth: int, wanted: list[str]) -> dict[str, list[int]]:
    """Each row's key and the link ids (themes cut at `depth`, or actors) it gathers."""
    rows: dict[str, list[int]] = {}
    if by == "actor":
        for actor_id, name in session.execute(select(Actor.id, Actor.name).order_by(Actor.name)):
            rows.setdefault(name, []).append(actor_id)
        return rows
    for theme_id, path in session.execute(select(Theme.id, Theme.path).order_by(Theme.path)):
        if wanted and not any(path == w or path.startswith(w + "/") for w in wanted):
            continue
        rows.setdefault("/".join(path.split("/")[:depth]), []).append(theme_id)
    return rows


def _within(session: Session, deadline: float, work: Callable[..., T], *args: Any) -> T | None:
    """`work(*args)` unless the deadline has passed, interrupted at it (None then)."""
    from kb.services.facets import TimedOut, time_limit

    left = deadline - time.perf_counter()
    if left <= 0:
        return None
    try:
        with time_limit(session, left):
            return work(*args)
    except TimedOut:
        return None


def _newest(session: Session, window: Select[Any], link: Any, row_of_link: dict[int, str],
            none: str, shown: int) -> dict[str, list[int]]:
    """Each row's newest `shown` claims among the column's `window` (its newest claims, in
    the listing's order): two queries whatever the rows, where one LIMITed query per row (60
    at depth 2) cost ~50 ms to build and run at 100k. A claim with no link is in the `none`
    row; one whose links are all outside the rows (a --theme filter's) in none."""
    ids = list(session.scalars(window))
    owner, linked = link.class_.claim_id, link
    rows_of: dict[int, set[str]] = {claim_id: set() for claim_id in ids}
    for claim_id, link_id in session.execute(select(owner, linked).where(owner.in_(ids))):
        rows_of[claim_id].add(row_of_link.get(link_id, ""))
    found: dict[str, list[int]] = {}
    for claim_id in ids:
        for key in rows_of[claim_id] or {none}:
            cell = found.setdefault(key, [])
            if key and len(cell) < shown:
                cell.append(claim_id)
    found.pop("", None)
    return found


def _counts(session: Session, column: Select[Any], link: Any, row_of: Any, none: str
            ) -> dict[str, int]:
    """How many of the column's claims each row holds (`row_of` maps a link to its row),
    and those in no row (`none`). A claim with two themes under one row counts once."""
    # correlate(None): under a one-theme filter the column's query joins claim_theme, which
    # the GROUP BY reads too; the two must stay separate tables.
    claim_ids = column.with_only_columns(Claim.id).order_by(None).correlate(None)
    owner = link.class_.claim_id
    out: dict[str, int] = {}
    if row_of is not None:
        found = session.execute(select(row_of, func.count(owner.distinct()))
                                .where(owner.in_(claim_ids)).group_by(row_of)).all()
        out = {key: n for key, n in found if key is not None}
    out[none] = session.scalar(select(func.count()).select_from(
        claim_ids.where(_in_row(link, [])).subquery())) or 0
    return out


def _in_row(link: Any, ids: list[int]) -> ColumnElement[bool]:
    """The claims in a row: a link to one of its ids; for the NONE row, the claims with no
    theme (or actor) at all (a --theme filter leaves none of those). On an alias of the link
    table: a one-theme filter has joined the table itself already."""
    table = aliased(link.class_)
    owner, linked = table.claim_id, getattr(table, link.key)
    if ids:
        return exists().where(owner == Claim.id, linked.in_(ids))
    return ~exists().where(owner == Claim.id)


def _row_filter(key: str, by: str, wanted: list[str]) -> list[str]:
    """The --theme (or --actor) that lists a row's claims: the row's theme, or the chosen
    themes below it when they are narrower."""
    if key == NONE[by]:
        return []
    if by == "actor":
        return [key]
    return [w for w in wanted if w.startswith(key + "/")] or [key]
