"""Claims per month, by place: the series the web's timeline draws."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import func

from kb.models import Claim
from kb.services import taxonomy
from kb.services.query import ClaimFilter, select_claims

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def per_month(session: Session, where: ClaimFilter, places: list[str]
              ) -> dict[str, dict[str, int]]:
    """{place: {"YYYY-MM": claims}} for each place (a country's code or a region's name), over
    the claims `where` selects. Claims dated only to a year have no month and are left out."""
    base = replace(where, countries=[], limit=None)
    out: dict[str, dict[str, int]] = {}
    for name in places:
        found = taxonomy.resolve_places(session, [name])
        label = found.countries[0].code if found.countries else found.regions[0].name
        month = func.substr(Claim.date, 1, 7)
        stmt = (select_claims(session, base).where(taxonomy.claims_about(found))
                .where(func.length(Claim.date) >= 7)
                .with_only_columns(month, func.count()).group_by(month).order_by(None))
        out[label] = {m: n for m, n in session.execute(stmt)}
    return out
