"""Finding claims: by place, theme, source, actor, date span and standing, in constant queries."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, bindparam, exists, literal_column, select, union_all
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.visitors import replacement_traverse

from kb.dates import parse_optional
from kb.errors import Invalid
from kb.models import (
    Actor,
    Claim,
    ClaimActor,
    ClaimCountry,
    ClaimRegion,
    ClaimRetraction,
    ClaimTheme,
    Evidence,
    Region,
    Source,
    Theme,
)
from kb.services import claims, sources, status, taxonomy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.sql import CompoundSelect, Select
    from sqlalchemy.sql.elements import BindParameter
    from sqlalchemy.sql.visitors import ExternallyTraversible


@dataclass
class ClaimFilter:
    """The filters `kb claim list` and the exports share; empty means "every claim"."""

    countries: list[str] = field(default_factory=list)
    all_countries: bool = False  # every one of `countries`, not any of them
    themes: list[str] = field(default_factory=list)
    source: str | None = None
    actor: str | None = None
    since: str | None = None
    until: str | None = None
    status: list[str] = field(default_factory=list)  # any of them
    search: str | None = None
    quote_status: str | None = None
    include_retracted: bool = False
    limit: int | None = None


def select_claims(session: Session, where: ClaimFilter, ranked: bool = True) -> Select[Claim]:
    """The SELECT for the matching claims, newest first (best first for a search, or with
    `ranked` false the latest added first); raises on an unknown filter value."""
    if where.limit is not None and where.limit < 0:
        raise Invalid("limit", where.limit, "must be 0 or more")
    stmt = select(Claim)
    # Conditions that read nothing of a claim but its id (its links, its evidence): a search
    # applies them to the index's matches before reading a claim row (below).
    by_id: list[ColumnElement[bool]] = []
    newest_first: list[ColumnElement[Any]] = [Claim.date_start.desc().nulls_last(),
                                              Claim.id.desc()]
    by_theme = False
    if where.themes:
        ids = taxonomy.theme_ids(session, where.themes)
        if len(ids) == 1:
            # One theme: walk its links newest first (ix_claim_theme_newest) and stop at the
            # limit, whatever else is asked; the link carries the claim's date for this.
            stmt = stmt.join(ClaimTheme, ClaimTheme.claim_id == Claim.id).where(
                ClaimTheme.theme_id == ids[0])
            newest_first = [ClaimTheme.date_start.desc().nulls_last(),
                            ClaimTheme.claim_id.desc()]
            by_theme = True
        else:
            by_id.append(taxonomy.claims_with_themes(ids))
    if where.countries and where.all_countries:
        for name in where.countries:  # one EXISTS per place: a claim about each of them
            by_id.append(taxonomy.claims_about(
                taxonomy.resolve_places(session, [name], store=False)))
    elif where.countries:
        by_id.append(taxonomy.claims_about(
            taxonomy.resolve_places(session, where.countries, store=False)))
    if where.source:
        stmt = stmt.where(Claim.source_id == sources.get(session, where.source).id)
    if where.actor:
        by_id.append(taxonomy.claims_with_actor(taxonomy.require_actor(session, where.actor)))
    since = parse_optional(where.since, "since")
    until = parse_optional(where.until, "until")
    if since and until and since.start > until.end:
        raise Invalid("since", str(since), f"is after --until {until}")
    # A claim dated by a partial date covers its whole span; keep spans overlapping the window.
    if since:
        stmt = stmt.where(Claim.date_end >= since.start)
    if until:
        stmt = stmt.where(Claim.date_start <= until.end)
        if by_theme:
            stmt = stmt.where(ClaimTheme.date_start <= until.end)  # a range on the index
    if where.status:
        by_id.append(status.any_of(where.status))
    if where.quote_status:
        from kb.services import texts

        stmt = stmt.where(texts.condition(where.quote_status))
    if not where.include_retracted:
        by_id.append(~exists().where(ClaimRetraction.claim_id == Claim.id,
                                     ClaimRetraction.retracted_at.is_not(None)))
    if where.search:
        from kb.services.search import matches

        # Best match first, every match ranked; equal ranks newest added first. Each match is
        # checked against the filters that need only its id before its claim row is read,
        # and ranked only if it passes (a common word with a country at 1M claims read
        # ~110,000 claim rows to keep a third of them). When no filter reads a claim's row,
        # the index's query picks the best `limit` itself, sorting (rank, id) pairs rather
        # than whole claims: 1.6x faster for that word and country.
        reads_rows = by_theme or bool(where.source or since or until or where.quote_status)
        found = matches(session, where.search, None if reads_rows else where.limit, ranked)
        key = found.selected_columns.claim_id
        found = found.where(*(about(condition, key) for condition in by_id))
        matched = found.subquery("search")
        stmt = stmt.join(matched, matched.c.claim_id == Claim.id)
        newest_first = [matched.c.rank, Claim.id.desc()] if ranked else [Claim.id.desc()]
    else:
        stmt = stmt.where(*by_id)
    stmt = stmt.order_by(*newest_first)
    if where.limit is not None:
        # A bound LIMIT made SQLite choose a worse plan (STYLE §9); render it literally.
        stmt = stmt.limit(bindparam("limit", where.limit, literal_execute=True))
    return stmt


def about(condition: ColumnElement[bool], claim_id: ColumnElement[int]
          ) -> ColumnElement[bool]:
    """`condition`, written about `Claim.id`, about another column holding a claim's id."""
    claim_table_id = Claim.__table__.c.id

    def swap(element: ExternallyTraversible, **_: Any) -> ExternallyTraversible | None:
        # The ORM's Claim.id is the table's column annotated; an aliased claim's is not it.
        same = isinstance(element, ColumnElement) and element.compare(claim_table_id)
        return claim_id if same else None

    return replacement_traverse(condition, {}, swap)


def load(session: Session, stmt: Select[Claim]) -> list[Claim]:
    """The claims with their places, themes and actors: a fixed number of queries, not N+1."""
    return list(session.scalars(stmt.options(
        selectinload(Claim.countries), selectinload(Claim.regions),
        selectinload(Claim.themes), selectinload(Claim.actors),
    )))


def records(session: Session, stmt: Select[Claim], decorated: bool = True
            ) -> list[dict[str, Any]]:
    """The JSON records of the claims `stmt` selects, in its order: one Core query for the
    claims, one for their links (per 1,000 claims). Without `decorated`, the records lack
    what `provenance.decorate` adds (quote status, stance, retraction), for a page that
    shows none of it.

    Listings read rows, not ORM objects: loading 50 claims with their links through the ORM
    took ~4 ms at a million claims, most of it building objects a listing throws away.
    """
    rows = session.execute(
        stmt.with_only_columns(Claim.id, Source.key, Claim.text, Claim.quote, Claim.locator,
                               Claim.date, Claim.created_at, Claim.updated_at,
                               maintain_column_froms=True)
        .join_from(Claim, Source, Source.id == Claim.source_id)).all()
    links = _links(session, [row.id for row in rows])
    from kb.services.provenance import decorate

    out = [claims.as_record(row.id, claims.fields(row.key, row.text, row.quote, row.locator,
                                                  row.date, links[row.id]),
                            status.derive(set(links[row.id]["evidence"])),
                            row.created_at, row.updated_at) for row in rows]
    return decorate(session, out) if decorated else out


def _links(session: Session, claim_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Each claim's countries, regions, themes, actors and evidence relations, in one query."""
    found: dict[int, dict[str, list[str]]] = {
        claim_id: {name: [] for name in (*claims.LINKS, "evidence")} for claim_id in claim_ids}
    for start in range(0, len(claim_ids), 1000):  # 5 x 1000 parameters: under every limit
        chunk = claim_ids[start:start + 1000]
        for claim_id, kind, value in session.execute(_links_of(), {"ids": chunk}):
            found[claim_id][kind].append(value)
    return found


@functools.cache  # built once: building it cost as much as running it (~2 ms a listing)
def _links_of() -> CompoundSelect[int, str, str]:
    ids: BindParameter[int] = bindparam("ids", expanding=True)
    return union_all(
        select(ClaimCountry.claim_id, literal_column("'countries'"), ClaimCountry.country_code)
        .where(ClaimCountry.claim_id.in_(ids)),
        select(ClaimRegion.claim_id, literal_column("'regions'"), Region.name)
        .join(Region, Region.id == ClaimRegion.region_id).where(ClaimRegion.claim_id.in_(ids)),
        select(ClaimTheme.claim_id, literal_column("'themes'"), Theme.path)
        .join(Theme, Theme.id == ClaimTheme.theme_id).where(ClaimTheme.claim_id.in_(ids)),
        select(ClaimActor.claim_id, literal_column("'actors'"), Actor.name)
        .join(Actor, Actor.id == ClaimActor.actor_id).where(ClaimActor.claim_id.in_(ids)),
        select(Evidence.claim_id, literal_column("'evidence'"), Evidence.relation)
        .where(Evidence.claim_id.in_(ids), status.counted()),
    )


def query_claims(session: Session, where: ClaimFilter) -> list[dict[str, Any]]:
    return records(session, select_claims(session, where))


def source_report(session: Session, key: str) -> dict[str, Any]:
    """"What did this source assert?": the source and its claims, in the order they were logged."""
    source = sources.get(session, key)
    out = source_page(session, source)
    from kb.services import provenance, texts

    provenance.decorate(session, out["claims"])
    out["notices"] = provenance.notices(session, [source.id])[source.id]
    out["retracted"] = any(n["kind"] in status.RETRACTING for n in out["notices"])
    out["text_versions"] = len(texts.versions(session, source.key))
    return out


def source_page(session: Session, source: Source) -> dict[str, Any]:
    """What a source's web page shows: `source_report` without what the page does not (the
    claims' quote status, stance and retraction, the source's notices and texts): ~12 ms
    of the page's ~70 at 200 claims."""
    out = sources.record(source)
    out["claims"] = records(session, select(Claim).where(Claim.source_id == source.id)
                            .order_by(Claim.id), decorated=False)
    out["reported_by"] = list(session.scalars(
        select(Source.key).where(Source.reports_on_id == source.id).order_by(Source.key)))
    return out
