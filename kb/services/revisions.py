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
STANDING = "standing"


def write(session: Session, claim_id: int, action: str, prior: dict[str, Any]) -> None:
    """The one writer of history. An edit: what its changed fields held before it. A change of
    standing (action `standing`): `{"from", "to", "reason"}`."""
    from kb.services.sources import actor

    session.execute(insert(ClaimRevision), {
        "claim_id": claim_id, "action": action, "changed_at": utcnow(), "actor": actor(),
        "prior": json.dumps(prior, ensure_ascii=False)})


def replay(current: dict[str, Any], created_at: datetime,
           stored: list[tuple[str, datetime, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The visible history, oldest first, from the current state and the stored revisions
    (oldest first): each with its number, action, time, the fields it changed and the state
    after it. The first is always the creation."""
    state = current
    later: list[tuple[str, datetime, dict[str, Any], dict[str, Any]]] = []
    creation: tuple[str, datetime] = ("created", created_at)
    for action, at, prior in reversed(stored):
        if action in CREATIONS:
            creation = (action, at)
            state = {**state, **prior}
        elif action == STANDING:
            later.append((action, at, state, prior))
        else:
            later.append((action, at, state, {}))
            state = {**state, **prior}
    out: list[dict[str, Any]] = [{"revision": 1, "action": creation[0],
                                  "at": creation[1].isoformat(), "changes": {},
                                  "claim": state}]
    previous = state
    for number, (action, at, after, standing) in enumerate(reversed(later), start=2):
        if action == STANDING:
            changes = {"status": {"from": standing.get("from"), "to": standing.get("to")}}
        else:
            changes = {k: {"from": previous.get(k), "to": v} for k, v in after.items()
                       if previous.get(k) != v}
        entry = {"revision": number, "action": action, "at": at.isoformat(),
                 "changes": changes, "claim": after}
        if standing.get("reason"):
            entry["reason"] = standing["reason"]
        out.append(entry)
        previous = after
    return out


def fold(states: list[tuple[str, datetime, dict[str, Any]]], current: dict[str, Any],
         created_at: datetime) -> list[tuple[str, datetime, dict[str, Any]]]:
    """The stored form of a history given as full states (the form before 0005), oldest
    first: `replay(current, created_at, fold(states, current, created_at))` gives them back.

    Only field revisions are folded (the old form had no standing revisions)."""
    out: list[tuple[str, datetime, dict[str, Any]]] = []
    for index, (action, at, state) in enumerate(states):
        following = states[index + 1][2] if index + 1 < len(states) else current
        if index == 0 and action in CREATIONS:
            # The state at creation is what the first edit (or the row) replaced; a row is kept
            # only when the label, the time or a field says more than that.
            drift = {k: v for k, v in state.items() if following.get(k) != v} \
                if len(states) == 1 else {}
            if action != "created" or at != created_at or drift:
                out.append((action, at, drift))
            continue
        previous = states[index - 1][2] if index else {}
        out.append((action, at, {k: v for k, v in previous.items() if state.get(k) != v}))
    return out
