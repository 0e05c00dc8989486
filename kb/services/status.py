"""A claim's standing follows from its evidence; it is derived, never stored."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from sqlalchemy import and_, column, exists, not_, or_, select, table
from sqlalchemy.orm import aliased

from kb.errors import Invalid
from kb.models import STATUSES, Claim, ClaimRetraction, Evidence, SourceNotice

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import ColumnElement


# Notice kinds that withdraw a source (kb.services.provenance.RETRACTING says why).
RETRACTING = ("retraction", "withdrawal", "removal", "partial_retraction")


@functools.cache  # built once: every claim shown and every listing uses it, and building
def counted() -> ColumnElement[bool]:  # it cost more than the query it sits in
    """Evidence that counts toward standing: not resting on a retracted claim, nor on a source
    (the link's own, or the evidence claim's) with a retraction notice. Strength does not
    weigh in (README: "Standing under mixed strengths")."""
    cited = aliased(Claim)
    withdrawn = exists().where(SourceNotice.kind.in_(RETRACTING))
    return and_(
        or_(Evidence.source_id.is_(None),
            not_(withdrawn.where(SourceNotice.source_id == Evidence.source_id))),
        or_(Evidence.evidence_claim_id.is_(None), and_(
            not_(exists().where(ClaimRetraction.claim_id == Evidence.evidence_claim_id,
                                ClaimRetraction.retracted_at.is_not(None))),
            not_(exists().where(cited.id == Evidence.evidence_claim_id,
                                SourceNotice.source_id == cited.source_id,
                                SourceNotice.kind.in_(RETRACTING))))))


def derive(relations: set[str]) -> str:
    """`qualifies` alone leaves a claim unverified: it narrows a claim, it does not settle it."""
    supported, refuted = "supports" in relations, "refutes" in relations
    if supported and refuted:
        return "contested"
    return "supported" if supported else "refuted" if refuted else "unverified"


def statuses(session: Session, claim_ids: Iterable[int]) -> dict[int, str]:
    """The status of each claim, in one query however many claims."""
    ids = list(claim_ids)
    relations: dict[int, set[str]] = {claim_id: set() for claim_id in ids}
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start:start + 900]
        for claim_id, relation in session.execute(
            select(Evidence.claim_id, Evidence.relation).where(Evidence.claim_id.in_(chunk),
                                                               counted())
            .distinct()
        ):
            relations[claim_id].add(relation)
    return {claim_id: derive(found) for claim_id, found in relations.items()}


def condition(status: str) -> ColumnElement[bool]:
    """A WHERE condition on Claim selecting the claims with this derived status."""
    if status not in STATUSES:
        raise Invalid("status", status, f"expected one of {', '.join(STATUSES)}")

    def has(relation: str) -> ColumnElement[bool]:
        return exists().where(Evidence.claim_id == Claim.id, Evidence.relation == relation,
                              counted())

    supports, refutes = has("supports"), has("refutes")
    # Contested claims are rare: checked claim by claim, a listing of them read every claim's
    # evidence. The claims with links both ways, counted or not, are kept by triggers
    # (migration 0013): only those are checked, each probed as the listing walks the claims
    # in its order. (Read as an IN list, every candidate was checked and sorted before the
    # first 50 were known: 230 ms for 17,000 candidates among 1M claims; probed, 9 ms.)
    both = table("claim_both_ways", column("claim_id"))
    both_ways = exists().where(both.c.claim_id == Claim.id)
    return {
        "supported": and_(supports, not_(refutes)),
        "refuted": and_(refutes, not_(supports)),
        "contested": and_(both_ways, supports, refutes),
        "unverified": and_(not_(supports), not_(refutes)),
    }[status]


def any_of(names: Iterable[str]) -> ColumnElement[bool]:
    """Claims whose derived status is any of these (`--status contested --status refuted`)."""
    return or_(*(condition(name) for name in dict.fromkeys(names)))
