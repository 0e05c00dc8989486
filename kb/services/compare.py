"""Side by side: which claims hold for each of several countries, theme by theme (or actor).

The seed's article is such a table (the US and China, aspect by aspect); this rebuilds it from
claims, so each cell points back to the claims, their standing and their sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kb.errors import Invalid
from kb.models import Claim
from kb.services import taxonomy
from kb.services.query import records, select_claims

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kb.services.query import ClaimFilter

BY = ("theme", "actor")
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
    if by not in BY:
        raise Invalid("by", by, f"expected one of {', '.join(BY)}")
    if depth < 1:
        raise Invalid("depth", depth, "must be 1 or more")
    if len(places) < 2:
        raise Invalid("country", ", ".join(places), "name at least two countries to compare")
    base = replace(where, countries=[], limit=None)
    comparison = Comparison(by, [])
    column_ids: dict[str, set[int]] = {}
    for name in places:
        found = taxonomy.resolve_places(session, [name])
        label = found.countries[0].code if found.countries else found.regions[0].name
        if label in column_ids:
            continue
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
