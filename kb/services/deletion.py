"""Deleting claims in sets, and saying whose standing that changed.

Removing a source (or a claim) deletes its claims, their links and the evidence citing them
with a few set-wise statements whatever their number (it was one ORM round trip per claim:
40,000 for 40,000 claims). Evidence that disappears can change the standing of claims that
stay; each such change is returned and written in that claim's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select

from kb.models import Claim, Evidence
from kb.services import revisions
from kb.services.status import statuses

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class StandingChange:
    """A claim that stays, whose standing a removal changed."""

    claim_id: int
    before: str
    after: str
    reason: str

    def __str__(self) -> str:
        return f"claim {self.claim_id}: {self.before} -> {self.after} ({self.reason})"


def delete_claims(session: Session, claim_ids: Select[int], reason: str,
                  also_evidence: ColumnElement[bool] | None = None) -> list[StandingChange]:
    """Delete the claims `claim_ids` selects (with their links, evidence and history) and the
    evidence citing them or matching `also_evidence`; return the standing changes it caused."""
    ids = claim_ids
    gone: ColumnElement[bool] = Evidence.evidence_claim_id.in_(ids)
    if also_evidence is not None:
        gone = or_(gone, also_evidence)
    touched = list(session.scalars(select(Evidence.claim_id).where(gone)
                                   .where(Evidence.claim_id.not_in(ids)).distinct()
                                   .order_by(Evidence.claim_id)))
    before = statuses(session, touched)
    _log_removals(session, ids, gone, reason)
    session.execute(delete(Evidence).where(gone))
    # Links, own evidence and history go with each claim (ON DELETE CASCADE).
    session.execute(delete(Claim).where(Claim.id.in_(ids)))
    session.expire_all()  # the ORM may hold rows these statements deleted
    after = statuses(session, touched)
    changes = [StandingChange(claim_id, before[claim_id], after[claim_id], reason)
               for claim_id in touched if before[claim_id] != after[claim_id]]
    for change in changes:
        revisions.write(session, change.claim_id, revisions.STANDING,
                        {"from": change.before, "to": change.after, "reason": reason})
    return changes


def _log_removals(session: Session, claim_ids: Select[int], gone: ColumnElement[bool],
                  reason: str) -> None:
    """The removed claims and evidence in change_log, set-wise (INSERT ... SELECT)."""
    import json

    from sqlalchemy import insert, literal

    from kb.models import ChangeLog, Source, utcnow
    from kb.services.sources import actor

    now, by, why = utcnow(), actor(), json.dumps({"reason": reason}, ensure_ascii=False)
    columns = ["changed_at", "actor", "entity", "entity_id", "action", "source_key", "detail"]
    session.execute(insert(ChangeLog).from_select(columns, select(
        literal(now), literal(by), literal("evidence"), Evidence.id, literal("deleted"),
        Source.key, literal(why)).join(Claim, Claim.id == Evidence.claim_id)
        .join(Source, Source.id == Claim.source_id).where(gone)))
    # A claim's creation is read from its row, which goes: the removal keeps who and when.
    rows = [{"changed_at": now, "actor": by, "entity": "claim", "entity_id": r.id,
             "action": "deleted", "source_key": r.key, "detail": json.dumps({
                 "reason": reason, "text": r.text, "created": r.created_at.isoformat(),
                 "created_by": r.created_by}, ensure_ascii=False)}
            for r in session.execute(select(Claim.id, Source.key, Claim.text, Claim.created_at,
                                            Claim.created_by)
                                     .join(Source, Source.id == Claim.source_id)
                                     .where(Claim.id.in_(claim_ids)))]
    for start in range(0, len(rows), 5000):
        session.execute(insert(ChangeLog), rows[start:start + 5000])
