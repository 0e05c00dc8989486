"""A claim's history stores what each edit replaced, not a full copy of every state.

Before: `claim_revision.snapshot` held the claim's full JSON after every change, creation
included (34% of a 100k database). After: the claim row is the newest state and each edit's
`prior` holds what its changed fields were before it; a creation needs no row unless it says
more than the row does (an older `imported` label, a time other than the claim's, or a state
the edits do not give back). Both directions keep the history `kb claim history` shows.

The rule is the one in kb/services/revisions.py, repeated here so this file keeps meaning the
same thing when the application changes.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREATIONS = ("created", "imported")
# The first revision of a claim whose past migration 0002 could not know: nothing before it.
UNRECORDED = "unrecorded"
STANDING = "standing"  # a change of a claim's standing (kb.services.deletion), not of its fields
CHUNK = 2000  # claims per step: memory stays flat at a million claims

State = dict[str, Any]
Stored = tuple[str, dt.datetime, State]

REVISION = sa.table("claim_revision", sa.column("id", sa.Integer), sa.column("claim_id"),
                    sa.column("action"), sa.column("changed_at", sa.DateTime),
                    sa.column("snapshot"), sa.column("prior"))


def upgrade() -> None:
    with op.batch_alter_table("claim_revision") as batch:
        batch.add_column(sa.Column("prior", sa.Text(), nullable=True))
    for low, high in _chunks("SELECT DISTINCT claim_id FROM claim_revision ORDER BY claim_id"):
        current, created = _current(low, high)
        old = _revisions(low, high, "snapshot")
        _replace(low, high, [
            {"claim_id": claim_id, "action": action, "changed_at": at, "snapshot": "",
             "prior": json.dumps(prior, ensure_ascii=False)}
            for claim_id, states in old.items() if claim_id in current
            for action, at, prior in fold(states, current[claim_id], created[claim_id])])
    with op.batch_alter_table("claim_revision") as batch:
        batch.drop_column("snapshot")
        batch.alter_column("prior", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("claim_revision") as batch:
        batch.add_column(sa.Column("snapshot", sa.Text(), nullable=True))
    for low, high in _chunks("SELECT id FROM claim ORDER BY id"):
        current, created = _current(low, high)
        stored = _revisions(low, high, "prior")
        _replace(low, high, [
            {"claim_id": claim_id, "action": entry["action"],
             "changed_at": dt.datetime.fromisoformat(entry["at"]), "prior": "",
             "snapshot": json.dumps(entry["claim"], ensure_ascii=False)}
            for claim_id in sorted(current)
            for entry in replay(current[claim_id], created[claim_id],
                                stored.get(claim_id, []))])
    with op.batch_alter_table("claim_revision") as batch:
        batch.drop_column("prior")
        batch.alter_column("snapshot", existing_type=sa.Text(), nullable=False)


def fold(states: list[Stored], current: State, created_at: dt.datetime) -> list[Stored]:
    """Full states (oldest first) to the stored form: each edit keeps what it replaced, a
    change of standing its own record (kept under STANDING in its state, see `replay`)."""
    out: list[Stored] = []
    records = [state.get(STANDING, {}) for _action, _at, state in states]
    states = [(action, at, {k: v for k, v in state.items() if k != STANDING})
              for action, at, state in states]
    for index, (action, at, state) in enumerate(states):
        if index == 0 and action in CREATIONS:
            drift = {k: v for k, v in state.items() if current.get(k) != v} \
                if len(states) == 1 else {}
            if action != "created" or at != created_at or drift:
                out.append((action, at, drift))
            continue
        if action == STANDING:
            out.append((action, at, records[index]))
            continue
        previous = states[index - 1][2] if index else {}
        out.append((action, at, {k: v for k, v in previous.items() if state.get(k) != v}))
    return out


def replay(current: State, created_at: dt.datetime, stored: list[Stored]
           ) -> list[dict[str, Any]]:
    """The stored form back to full states (oldest first), as kb.services.revisions reads it.

    A change of standing changes no field: its state is the claim's, and its record (from, to,
    reason) rides in that state under STANDING, so that an upgrade gives it back whole (the
    older schema has no other place for it)."""
    state = current
    later: list[tuple[str, dt.datetime, State]] = []
    creation = ("created", created_at)
    for action, at, prior in reversed(stored):
        if action in CREATIONS:
            creation = (action, at)
            state = {**state, **prior}
        elif action == UNRECORDED:
            creation = (action, at)
            break
        elif action == STANDING:
            later.append((action, at, {**state, STANDING: prior}))
        else:
            later.append((action, at, state))
            state = {**state, **prior}
    first = {"action": creation[0], "at": creation[1].isoformat(), "claim": state}
    return [first, *({"action": a, "at": at.isoformat(), "claim": s}
                     for a, at, s in reversed(later))]


def _chunks(sql: str) -> list[tuple[int, int]]:
    ids = [row[0] for row in op.get_bind().execute(sa.text(sql))]
    return [(ids[i], ids[min(i + CHUNK, len(ids)) - 1]) for i in range(0, len(ids), CHUNK)]


def _current(low: int, high: int) -> tuple[dict[int, State], dict[int, dt.datetime]]:
    """Each claim's fields as the history shows them (kb.services.claims.snapshot)."""
    conn = op.get_bind()
    bounds = {"low": low, "high": high}
    links: dict[str, dict[int, list[str]]] = {}
    for name, sql in {
        "countries": "SELECT claim_id, country_code FROM claim_country",
        "regions": "SELECT cr.claim_id, r.name FROM claim_region cr JOIN region r "
                   "ON r.id = cr.region_id",
        "themes": "SELECT ct.claim_id, t.path FROM claim_theme ct JOIN theme t "
                  "ON t.id = ct.theme_id",
        "actors": "SELECT ca.claim_id, a.name FROM claim_actor ca JOIN actor a "
                  "ON a.id = ca.actor_id",
    }.items():
        grouped: dict[int, list[str]] = {}
        for claim_id, value in conn.execute(
                sa.text(f"{sql} WHERE claim_id BETWEEN :low AND :high"), bounds):
            grouped.setdefault(claim_id, []).append(value)
        links[name] = grouped
    current: dict[int, State] = {}
    created: dict[int, dt.datetime] = {}
    for row in conn.execute(sa.text(
            "SELECT c.id, s.key, c.text, c.quote, c.locator, c.date, c.created_at FROM claim c "
            "JOIN source s ON s.id = c.source_id WHERE c.id BETWEEN :low AND :high"), bounds):
        current[row.id] = {"source": row.key, "text": row.text, "quote": row.quote,
                           "locator": row.locator, "date": row.date,
                           **{name: sorted(links[name].get(row.id, [])) for name in links}}
        created[row.id] = _as_datetime(row.created_at)
    return current, created


def _revisions(low: int, high: int, column: str) -> dict[int, list[Stored]]:
    found: dict[int, list[Stored]] = {}
    for claim_id, action, at, value in op.get_bind().execute(sa.text(
            f"SELECT claim_id, action, changed_at, {column} FROM claim_revision "
            "WHERE claim_id BETWEEN :low AND :high ORDER BY claim_id, id"),
            {"low": low, "high": high}):
        found.setdefault(claim_id, []).append((action, _as_datetime(at), json.loads(value)))
    return found


def _replace(low: int, high: int, rows: list[dict[str, Any]]) -> None:
    """The chunk's revisions, rewritten in order (ids keep each claim's order)."""
    op.get_bind().execute(sa.text("DELETE FROM claim_revision WHERE claim_id BETWEEN :low "
                                  "AND :high"), {"low": low, "high": high})
    if rows:
        op.get_bind().execute(sa.insert(REVISION), rows)


def _as_datetime(value: object) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
