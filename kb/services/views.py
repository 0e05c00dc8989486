"""What a command shows, each in one call: the CLI parses, calls one of these, renders.

The field lists are the records' own keys, taken from the functions that build the records, so
a CSV header names the same columns whether a listing has rows or not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kb.models import Claim, Source
from kb.services import claims, sources
from kb.services.query import ClaimFilter, select_claims
from kb.services.source_query import SourceFilter

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.orm import Session


def _claim_fields() -> tuple[str, ...]:
    epoch = datetime.fromtimestamp(0, UTC)
    empty = claims.as_record(0, claims.fields("", "", None, None, None, {}), "unverified",
                             epoch, epoch)
    from kb.services.provenance import DECORATION

    return (*empty, *DECORATION)


CLAIM_FIELDS = _claim_fields()
# A source listing is the source's record and how many claims it makes.
SOURCE_FIELDS = (*sources.record(Source(key="", type="", title="")), "claims")
COUNTRY_FIELDS = ("code", "name", "claims")
KNOWN_COUNTRY_FIELDS = ("code", "name", "claims", "aliases")
ACTOR_FIELDS = ("name", "kind", "claims")
THEME_FIELDS = ("theme", "claims", "with_subthemes")
REGION_FIELDS = ("name", "countries", "claims", "note")


def source_list(session: Session, where: SourceFilter | None = None) -> list[dict[str, Any]]:
    """Every source (by key) with how many claims it makes; with `where`, those matching."""
    if where is not None and where != SourceFilter():
        from kb.services.source_query import source_rows

        return source_rows(session, where)
    counts = sources.claim_counts(session)
    return [sources.record(s) | {"claims": counts.get(s.id, 0)}
            for s in sources.list_all(session)]


def claim_view(session: Session, claim_id: int, style: str | None = None) -> dict[str, Any]:
    """A claim with its evidence and, given a style, its source's formatted citation."""
    record = claims.show(session, claim_id)
    if style:
        from kb.services import citations  # the formats load only for a citation

        source = claims.get(session, claim_id).source
        record["citation"] = citations.render(
            [citations.reference(source)], "text", style).strip()
    return record


def claim_lines(session: Session, where: ClaimFilter, fmt: str, raw: bool = False
                ) -> Iterator[str]:
    """The matching claims as JSON Lines or CSV, a file `kb import` reads back; `raw`: CSV
    cells unprotected (kb/formats/cells.py).

    JSON Lines is kb's lossless transfer format: retracted claims are always in it (marked,
    `retracted`), so that a backup never drops them without a word; CSV, for people, leaves
    them out unless asked (`include_retracted`), as listings do."""
    from dataclasses import replace

    from kb.services.bulk import export_lines

    every = replace(where, include_retracted=False) == ClaimFilter()
    if fmt == "jsonl":
        where = replace(where, include_retracted=True)
    ids = list(session.scalars(select_claims(session, where).with_only_columns(Claim.id)
                               .order_by(Claim.id)))
    return export_lines(session, ids, fmt, every_source=every, raw=raw)
