"""Claims: add, edit, remove, and the history of every change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kb.dates import parse_optional, plain_date
from kb.errors import Conflict, Invalid, NotFound
from kb.models import Claim, ClaimRevision, Evidence, utcnow
from kb.services import sources, taxonomy
from kb.services.status import statuses

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from sqlalchemy.orm import Session


@dataclass
class ClaimFields:
    """What a user may give for a claim; None means "not given" (edit leaves it alone)."""

    text: str | None = None
    quote: str | None = None
    locator: str | None = None
    date: str | None = None
    countries: list[str] | None = None
    themes: list[str] | None = None
    actors: list[str] | None = None


def get(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} not found")
    return claim


def add(session: Session, source_key: str, values: ClaimFields) -> Claim:
    source = sources.get(session, source_key)
    claim = Claim(source=source, text="")
    _apply(session, claim, values, is_new=True)
    session.add(claim)
    session.flush()
    _snapshot(session, claim, "created")
    return claim


def edit(session: Session, claim_id: int, values: ClaimFields, source_key: str | None = None
         ) -> Claim:
    claim = get(session, claim_id)
    before = snapshot(claim)
    if source_key:
        claim.source = sources.get(session, source_key)
    _apply(session, claim, values, is_new=False)
    if snapshot(claim) != before:
        claim.updated_at = utcnow()
        session.flush()
        _snapshot(session, claim, "edited")
    return claim


def _apply(session: Session, claim: Claim, values: ClaimFields, is_new: bool) -> None:
    if is_new or values.text is not None:
        text = " ".join((values.text or "").split())
        if not text:
            raise Invalid("text", values.text or "", "a claim needs its statement text")
        claim.text = text
    if values.quote is not None:
        claim.quote = values.quote.strip() or None
    if values.locator is not None:
        claim.locator = values.locator.strip() or None
    if is_new or values.date is not None:
        # Unless given, a claim is asserted when its source was issued.
        date = parse_optional(values.date, "date") or plain_date(claim.source.issued)
        claim.date = str(date) if date else None
        claim.date_start = date.start if date else None
        claim.date_end = date.end if date else None
    if values.countries is not None:
        places = taxonomy.resolve_places(session, values.countries)
        claim.countries, claim.regions = places.countries, places.regions
    elif is_new:
        claim.countries, claim.regions = [], []
    if values.themes is not None:
        claim.themes = taxonomy.themes(session, values.themes)
    elif is_new:
        claim.themes = []
    if values.actors is not None:
        claim.actors = taxonomy.actors(session, values.actors)
    elif is_new:
        claim.actors = []


def remove(session: Session, claim_id: int, force: bool = False) -> None:
    claim = get(session, claim_id)
    citing = list(session.scalars(select(Evidence).where(Evidence.evidence_claim_id == claim.id)))
    if citing and not force:
        raise Conflict(
            f"claim {claim_id} is evidence for claim(s) "
            f"{', '.join(str(e.claim_id) for e in citing)}; remove that evidence first "
            "or pass --force"
        )
    for evidence in citing:
        session.delete(evidence)
    session.delete(claim)
    session.flush()


LINKS = ("countries", "regions", "themes", "actors")


def fields(source_key: str, text: str, quote: str | None, locator: str | None,
           date: str | None, links: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """DESIGN's fields of a claim, links sorted: one shape for listings, exports and history."""
    return {"source": source_key, "text": text, "quote": quote, "locator": locator,
            "date": date, **{name: sorted(links.get(name, ())) for name in LINKS}}


def snapshot(claim: Claim) -> dict[str, Any]:
    return fields(claim.source.key, claim.text, claim.quote, claim.locator, claim.date, {
        "countries": [c.code for c in claim.countries],
        "regions": [r.name for r in claim.regions],
        "themes": [t.path for t in claim.themes],
        "actors": [a.name for a in claim.actors],
    })


def _snapshot(session: Session, claim: Claim, action: str) -> None:
    session.add(ClaimRevision(claim_id=claim.id, action=action,
                              snapshot=json.dumps(snapshot(claim), ensure_ascii=False)))


def history(session: Session, claim_id: int) -> list[dict[str, Any]]:
    """Each revision with the fields it changed, oldest first."""
    get(session, claim_id)
    revisions = session.scalars(
        select(ClaimRevision).where(ClaimRevision.claim_id == claim_id).order_by(ClaimRevision.id)
    )
    out: list[dict[str, Any]] = []
    previous: dict[str, Any] = {}
    for number, revision in enumerate(revisions, start=1):
        state = json.loads(revision.snapshot)
        changes = {k: {"from": previous.get(k), "to": v} for k, v in state.items()
                   if previous.get(k) != v} if previous else {}
        out.append({"revision": number, "action": revision.action,
                    "at": revision.changed_at.isoformat(), "changes": changes,
                    "claim": state})
        previous = state
    return out


def record(claim: Claim, status: str) -> dict[str, Any]:
    """The JSON shape of a claim (DESIGN's field names)."""
    return as_record(claim.id, snapshot(claim), status, claim.created_at, claim.updated_at)


def as_record(claim_id: int, claim_fields: dict[str, Any], status: str, created: datetime,
              updated: datetime) -> dict[str, Any]:
    return {"id": claim_id, **claim_fields, "status": status, "created": created.isoformat(),
            "updated": updated.isoformat()}


def evidence_record(evidence: Evidence) -> dict[str, Any]:
    return {
        "id": evidence.id,
        "relation": evidence.relation,
        "source": evidence.source.key if evidence.source else None,
        "claim": evidence.evidence_claim_id,
        "quote": evidence.quote,
        "locator": evidence.locator,
        "note": evidence.note,
    }


def show(session: Session, claim_id: int) -> dict[str, Any]:
    claim = get(session, claim_id)
    out = record(claim, statuses(session, [claim.id])[claim.id])
    out["evidence"] = [evidence_record(e) for e in claim.evidence]
    return out
