"""Evidence: a source or another claim that supports, refutes or qualifies a claim."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.errors import Invalid, NotFound
from kb.models import RELATIONS, Evidence
from kb.services import claims, sources

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def add(session: Session, claim_id: int, relation: str, *, source_key: str | None = None,
        evidence_claim_id: int | None = None, quote: str | None = None,
        locator: str | None = None, note: str | None = None) -> Evidence:
    if relation not in RELATIONS:
        raise Invalid("relation", relation, f"expected one of {', '.join(RELATIONS)}")
    if (source_key is None) == (evidence_claim_id is None):
        raise Invalid("evidence", source_key or evidence_claim_id or "",
                      "give exactly one of --source KEY or --claim ID")
    claim = claims.get(session, claim_id)
    evidence = Evidence(claim_id=claim.id, relation=relation, quote=_clean(quote),
                        locator=_clean(locator), note=_clean(note))
    if source_key is not None:
        evidence.source = sources.get(session, source_key)
    else:
        assert evidence_claim_id is not None
        if evidence_claim_id == claim.id:
            raise Invalid("claim", evidence_claim_id, "a claim cannot be evidence for itself")
        evidence.evidence_claim_id = claims.get(session, evidence_claim_id).id
    session.add(evidence)
    session.flush()
    return evidence


def remove(session: Session, evidence_id: int) -> None:
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(f"evidence {evidence_id} not found")
    session.delete(evidence)
    session.flush()


def _clean(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None
