"""Evidence: a source or another claim that supports, refutes or qualifies a claim.

`normalize` (pure) is the one rule for a link's fields; `add` (`kb evidence add`) and the bulk
import both use it, and both refuse a link the claim already has (same relation, same target).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from kb.errors import Conflict, Invalid, NotFound
from kb.models import RELATIONS, Evidence, Source, utcnow
from kb.services import claims, sources

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def normalize(relation: Any, quote: str | None = None, locator: str | None = None,
              note: str | None = None) -> dict[str, Any]:
    """The relation checked; quote, locator and note stripped ("" is none). Pure."""
    if relation not in RELATIONS:
        raise Invalid("relation", relation, f"expected one of {', '.join(RELATIONS)}")
    return {"relation": relation, "quote": _clean(quote), "locator": _clean(locator),
            "note": _clean(note)}


def describe(relation: str, claim_id: int, source_key: str | None,
             evidence_claim_id: int | None, already: bool = False) -> str:
    """`claim 53 refutes claim 47`, `source 'iea2025' already supports claim 47`."""
    target = f"source {source_key!r}" if source_key is not None else f"claim {evidence_claim_id}"
    return f"{target} {'already ' if already else ''}{relation} claim {claim_id}"


def existing(session: Session, claim_id: int, relation: str, source_id: int | None,
             evidence_claim_id: int | None) -> int | None:
    """The id of the link the claim already has with this relation and target."""
    target = (Evidence.source_id == source_id if source_id is not None
              else Evidence.evidence_claim_id == evidence_claim_id)
    return session.scalar(select(Evidence.id).where(
        Evidence.claim_id == claim_id, Evidence.relation == relation, target))


def refuse_duplicate(session: Session, claim_id: int, relation: str, source_id: int | None,
                     evidence_claim_id: int | None) -> None:
    found = existing(session, claim_id, relation, source_id, evidence_claim_id)
    if found is not None:
        key = (session.scalar(select(Source.key).where(Source.id == source_id))
               if source_id is not None else None)
        raise Conflict(f"{describe(relation, claim_id, key, evidence_claim_id, already=True)}"
                       f" (evidence {found})")


def add(session: Session, claim_id: int, relation: str, *, source_key: str | None = None,
        evidence_claim_id: int | None = None, quote: str | None = None,
        locator: str | None = None, note: str | None = None,
        strength: str | None = None) -> Evidence:
    from kb.services import provenance

    values = normalize(relation, quote, locator, note)
    values["strength"] = provenance.strength(strength)
    if (source_key is None) == (evidence_claim_id is None):
        raise Invalid("evidence", source_key or evidence_claim_id or "",
                      "evidence is either a source or another claim")
    claim = claims.get(session, claim_id)
    source_id = sources.get(session, source_key).id if source_key is not None else None
    if evidence_claim_id is not None:
        if evidence_claim_id == claim.id:
            raise Invalid("claim", evidence_claim_id, "a claim cannot be evidence for itself")
        evidence_claim_id = claims.get(session, evidence_claim_id).id
    refuse_duplicate(session, claim.id, relation, source_id, evidence_claim_id)
    evidence_id = session.execute(insert(Evidence).returning(Evidence.id), {
        **values, "claim_id": claim.id, "source_id": source_id,
        "evidence_claim_id": evidence_claim_id, "created_at": utcnow()}).scalar_one()
    found = session.get(Evidence, evidence_id)
    assert found is not None
    provenance.log(session, "evidence", evidence_id, "created", claim.source.key, {
        "claim": claim.id, "relation": relation, "source": source_key,
        "evidence_claim": evidence_claim_id, "strength": values["strength"]})
    return found


def remove(session: Session, evidence_id: int) -> None:
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(f"evidence {evidence_id} not found")
    from kb.services import provenance

    provenance.log(session, "evidence", evidence_id, "deleted", claims.get(
        session, evidence.claim_id).source.key, {
        "claim": evidence.claim_id, "relation": evidence.relation,
        "source": evidence.source.key if evidence.source else None,
        "evidence_claim": evidence.evidence_claim_id, "quote": evidence.quote})
    session.delete(evidence)
    session.flush()


def _clean(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None
