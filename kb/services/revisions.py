"""A claim's history: stored as what each edit replaced, read back from the current row.

A claim row holds its current state, so a creation stores nothing. Each edit stores the values
its changed fields had before it (`prior`); the history walks back from the current row. A
million unedited claims cost no history rows (a full JSON copy per creation was 34% of a 100k
database). `replay` is pure: migration 0005 uses the same rule in both directions.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from kb.models import ClaimRevision, utcnow

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

# Revisions that stand for the claim's creation. A new claim has none; databases from before
# 0005 keep one where its label, time or state says more than the row and the edits do.
CREATIONS = ("created", "imported")
# The first revision of a claim whose past an upgrade could not know (migration 0002: a
# database from before history was kept, or one whose history a downgrade dropped, holding a
# claim changed since its creation). Nothing before it is known; the history says so.
UNRECORDED = "unrecorded"
STANDING = "standing"


def write(session: Session, claim_id: int, action: str, prior: dict[str, Any]) -> None:
    """The one writer of history. An edit: what its changed fields held before it. A change of
    standing (action `standing`): `{"from", "to", "reason"}`."""
    from kb.services.sources import actor

    session.execute(insert(ClaimRevision), {
        "claim_id": claim_id, "action": action, "changed_at": utcnow(), "actor": actor(),
        "prior": json.dumps(prior, ensure_ascii=False)})


def replay(current: dict[str, Any], created_at: datetime,
           stored: list[tuple[str, datetime, dict[str, Any], str | None]],
           created_by: str | None = None) -> list[dict[str, Any]]:
    """The visible history, oldest first, from the current state and the stored revisions
    (oldest first, each with who made it): each with its number, action, time, who (`by`:
    None for changes made before migration 0008, which recorded no one), the fields it
    changed and the state after it. The first is the creation, or (UNRECORDED) where the
    known history begins, with a `note` saying what was not kept."""
    state = current
    later: list[tuple[str, datetime, str | None, dict[str, Any], dict[str, Any]]] = []
    creation: tuple[str, datetime, str | None] = ("created", created_at, created_by)
    for action, at, prior, by in reversed(stored):
        if action in CREATIONS:
            creation = (action, at, by or created_by)
            state = {**state, **prior}
        elif action == UNRECORDED:
            creation = (action, at, by)
            break
        elif action == STANDING:
            later.append((action, at, by, state, prior))
        else:
            later.append((action, at, by, state, {}))
            state = {**state, **prior}
    first: dict[str, Any] = {"revision": 1, "action": creation[0],
                             "at": creation[1].isoformat(), "by": creation[2] or None,
                             "changes": {}, "claim": state}
    if creation[0] == UNRECORDED:
        first["note"] = (f"history before {creation[1].date().isoformat()} not kept; created "
                         f"{created_at.isoformat()} and changed since")
    out: list[dict[str, Any]] = [first]
    previous = state
    for number, (action, at, by, after, standing) in enumerate(reversed(later), start=2):
        if action == STANDING:
            changes = {"status": {"from": standing.get("from"), "to": standing.get("to")}}
        else:
            changes = {k: {"from": previous.get(k), "to": v} for k, v in after.items()
                       if previous.get(k) != v}
        entry = {"revision": number, "action": action, "at": at.isoformat(), "by": by or None,
                 "changes": changes, "claim": after}
        if standing.get("reason"):
            entry["reason"] = standing["reason"]
        out.append(entry)
        previous = after
    return out

