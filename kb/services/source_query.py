"""The library queried: sources by words, author, type, issued date and whether claims cite them.

Kept apart from kb.services.sources (the write rules) and kb.services.query (claims): one
Core-free ORM query, then the authors loaded for all rows at once (`selectinload`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    bindparam,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import selectinload

from kb.dates import parse_source_date
from kb.errors import Invalid
from kb.formats.reference import CSL_TYPES
from kb.models import Claim, Source, SourceAuthor
from kb.services import search, sources

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.sql import ColumnElement, Select

# Day numbers beyond any date kb stores: an open end of a range (`2014/..`) reaches them.
_FAR = 10**9


@dataclass
class SourceFilter:
    search: str | None = None
    author: str | None = None
    type: str | None = None
    since: str | None = None
    until: str | None = None
    has_claims: bool | None = None  # None: either


def source_matches(session: Session, query: str) -> Select[tuple[int, float]]:
    """(source id, rank) for every source whose title, authors, container or DOI match
    `query` (kb's search language), lower rank better."""
    tokens = search.parse(query)
    if session.get_bind().dialect.name == "postgresql":
        fts = table("source_fts", column("source_id"), column("document"))
        tsquery = func.to_tsquery("kb_search", search.to_tsquery(tokens))
        rank: ColumnElement[float] = -func.ts_rank(fts.c.document, tsquery)
        return select(fts.c.source_id.label("source_id"), rank.label("rank")).where(
            fts.c.document.op("@@")(tsquery))
    fts = table("source_fts", column("rowid"))
    return select(fts.c.rowid.label("source_id"), literal_column("rank").label("rank")).where(
        text("source_fts MATCH :source_query").bindparams(
            bindparam("source_query", search.to_fts5(tokens))))


def select_sources(session: Session, where: SourceFilter) -> Select[Source]:
    """The matching sources' statement: best match first with a search, else by key."""
    stmt = select(Source).options(selectinload(Source.authors),
                                  selectinload(Source.reports_on))
    if where.type is not None:
        if where.type not in CSL_TYPES:
            raise Invalid("type", where.type, "not a CSL item type (e.g. article-journal, "
                          "book, report, webpage)")
        stmt = stmt.where(Source.type == where.type)
    if where.author is not None:
        name = " ".join(where.author.split()).casefold()
        if not name:
            raise Invalid("author", where.author, "must not be empty")
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(exists().where(
            SourceAuthor.source_id == Source.id,
            func.lower(SourceAuthor.name).like(pattern, escape="\\")))
    since = parse_source_date(where.since, "since").span()[0] if where.since else None
    until = parse_source_date(where.until, "until").span()[1] if where.until else None
    if since is not None and until is not None and since > until:
        raise Invalid("since", str(where.since), f"is after --until {where.until}")
    if where.since:
        stmt = stmt.where(Source.issued.is_not(None),
                          func.coalesce(Source.issued_end, _FAR) >= (since or -_FAR))
    if where.until:
        stmt = stmt.where(Source.issued.is_not(None),
                          func.coalesce(Source.issued_start, -_FAR) <= (until or _FAR))
    if where.has_claims is not None:
        cited = exists().where(Claim.source_id == Source.id)
        stmt = stmt.where(cited if where.has_claims else ~cited)
    if where.search:
        found = source_matches(session, where.search).subquery()
        stmt = stmt.join(found, found.c.source_id == Source.id).order_by(
            found.c.rank, Source.key)
    else:
        stmt = stmt.order_by(Source.key)
    return stmt


def query_sources(session: Session, where: SourceFilter) -> list[Source]:
    """The matching sources: best match first with a search, else by key."""
    return list(session.scalars(select_sources(session, where)))


def source_rows(session: Session, where: SourceFilter) -> list[dict[str, Any]]:
    """The matching sources as records (DESIGN's field names) with their claim counts."""
    return with_claim_counts(session, query_sources(session, where))


def source_page(session: Session, where: SourceFilter, limit: int, offset: int
                ) -> tuple[list[dict[str, Any]], bool]:
    """One page of `source_rows` (the same records in the same order), and whether more
    follow: only the page's sources are read and have their claims counted."""
    # Literal LIMIT/OFFSET: SQLite plans a bound LIMIT worse (STYLE §9).
    stmt = select_sources(session, where).limit(
        bindparam("page_limit", limit + 1, literal_execute=True)).offset(
        bindparam("page_offset", offset, literal_execute=True))
    found = list(session.scalars(stmt))
    return with_claim_counts(session, found[:limit]), len(found) > limit


def with_claim_counts(session: Session, found: list[Source]) -> list[dict[str, Any]]:
    """Each source's record and how many claims it makes, counted for these sources only."""
    counts: dict[int, int] = {source_id: count for source_id, count in session.execute(
        select(Claim.source_id, func.count()).where(
            Claim.source_id.in_([s.id for s in found])).group_by(Claim.source_id))
    } if found else {}
    return [sources.record(s) | {"claims": counts.get(s.id, 0)} for s in found]
