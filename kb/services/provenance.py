"""Who changed what, retractions and notices, stance: the provenance of claims and sources.

History lives where it costs least: source changes in `source_revision`, claim edits in
`claim_revision` (now with `actor`), a claim's creation in its own row (`created_at`,
`created_by`: an unedited claim still costs no history row), and the rest — evidence added
and removed, claims removed, retracted, superseded, quotes accepted, texts attached — in
`change_log`. `log_entries` merges them in time order for `kb log`.

Retraction never deletes: a retracted claim keeps its row (listings hide it unless asked),
and standing (kb.services.status) ignores evidence resting on a retracted claim or on a
source with a retraction notice. An expression of concern or a correction is recorded and
shown, never treated as a retraction.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, cast, insert, literal_column, null, select, union_all

from kb.errors import Conflict, Invalid, NotFound
from kb.models import (
    STANCES,
    STRENGTHS,
    ChangeLog,
    Claim,
    ClaimRetraction,
    ClaimRevision,
    Evidence,
    Source,
    SourceNotice,
    SourceRevision,
    utcnow,
)
from kb.services import sources, status

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from sqlalchemy.orm import Session

# Notice kinds that take a source out of standing (Crossref's update types that withdraw a
# work); any other kind (expression_of_concern, correction, erratum ...) is only recorded.
RETRACTING = status.RETRACTING

# Words by which a source hedges a claim; found in the quote as whole words.
HEDGE_CUES = ("may", "might", "could", "can", "likely", "unlikely", "possibly", "possible",
              "perhaps", "probably", "potentially", "appears", "appear", "seems", "seem",
              "suggests", "suggest", "estimated", "expected", "reportedly", "arguably",
              "would")
_WORD = re.compile(r"[A-Za-z]+")


def log(session: Session, entity: str, entity_id: int | None, action: str,
        source_key: str | None, detail: dict[str, Any] | None = None) -> None:
    """One line of `change_log`, by whoever is running kb (KB_USER, else the OS user)."""
    session.execute(insert(ChangeLog), {
        "changed_at": utcnow(), "actor": sources.actor(), "entity": entity,
        "entity_id": entity_id, "action": action, "source_key": source_key,
        "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None})


# Stance and strength ----------------------------------------------------------------------


def hedge_cues(quote: str | None) -> list[str]:
    """The hedging words in a quote, in order, each once: "could double" -> ["could"]."""
    found = [w.lower() for w in _WORD.findall(quote or "") if w.lower() in HEDGE_CUES]
    return list(dict.fromkeys(found))


def stance_values(stance: str | None, attributed_to: str | None, quote: str | None
                  ) -> dict[str, Any]:
    """A claim's stance columns from what was given (None: asserts). Pure."""
    stance = (stance or "asserts").strip().lower()
    if stance not in STANCES:
        raise Invalid("stance", stance, f"expected one of {', '.join(STANCES)}")
    attributed = " ".join((attributed_to or "").split()) or None
    if attributed and stance != "reports":
        raise Invalid("attributed-to", attributed, "only a claim the source reports is "
                                                   "attributed (--stance reports)")
    cues = hedge_cues(quote) if stance == "hedges" else []
    return {"stance": stance, "stance_cues": " ".join(cues) or None,
            "attributed_to": attributed}


def strength(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value not in STRENGTHS:
        raise Invalid("strength", value, f"expected one of {', '.join(STRENGTHS)}")
    return value


def stance_phrase(stance: str | None, cues: str | None, attributed_to: str | None,
                  quote: str | None = None) -> str | None:
    """How a brief says it: "the source hedges: *could* double"."""
    if stance in (None, "asserts"):
        return None
    if stance == "hedges":
        words = (cues or "").split()
        shown = quote or ""
        for word in words:
            shown = re.sub(rf"\b({re.escape(word)})\b", r"*\1*", shown, count=1,
                           flags=re.IGNORECASE)
        tail = _around(shown) if words and quote else ", ".join(f"*{w}*" for w in words)
        return f"the source hedges: {tail}" if tail else "the source hedges"
    if stance == "reports":
        return f"the source reports {attributed_to}'s claim" if attributed_to \
            else "the source reports another's claim"
    return {"predicts": "the source predicts it", "denies": "the source denies it"}.get(
        stance, f"the source {stance}")


def _around(marked: str, words: int = 1) -> str:
    """The first *cue* and the word after it: "*could* double"."""
    match = re.search(r"\*[^*]+\*((?:\W+\w+){0,%d})" % words, marked)  # noqa: UP031
    return match.group(0).strip() if match else marked


# Retraction and supersession ---------------------------------------------------------------


def _claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} not found")
    return claim


def retract_claim(session: Session, claim_id: int, reason: str) -> None:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid("reason", reason, "say why the claim is retracted")
    claim = _claim(session, claim_id)
    row = session.get(ClaimRetraction, claim_id)
    if row is not None and row.retracted_at is not None:
        raise Conflict(f"claim {claim_id} is already retracted ({row.reason})")
    if row is None:
        row = ClaimRetraction(claim_id=claim_id, actor=sources.actor())
        session.add(row)
    row.retracted_at, row.reason, row.actor = utcnow(), reason, sources.actor()
    log(session, "claim", claim_id, "retracted", claim.source.key, {"reason": reason})
    session.flush()


def supersede_claim(session: Session, claim_id: int, by: int) -> None:
    if claim_id == by:
        raise Invalid("by", by, "a claim cannot supersede itself")
    claim = _claim(session, claim_id)
    _claim(session, by)
    row = session.get(ClaimRetraction, claim_id)
    if row is None:
        row = ClaimRetraction(claim_id=claim_id, actor=sources.actor())
        session.add(row)
    elif row.superseded_by_id == by:
        raise Conflict(f"claim {claim_id} is already superseded by claim {by}")
    row.superseded_by_id, row.superseded_at = by, utcnow()
    log(session, "claim", claim_id, "superseded", claim.source.key, {"by": by})
    session.flush()


def add_notice(session: Session, key: str, kind: str, reason: str | None = None,
               notice_doi: str | None = None, date: str | None = None) -> SourceNotice:
    """Record a notice about a source (retraction, expression_of_concern, correction ...)."""
    source = sources.get(session, key)
    values = notice_values(kind, reason, notice_doi, date)
    if _has_notice(session, source.id, values["kind"], values["notice_doi"]):
        raise Conflict(f"source {key!r} already has this "
                       f"{values['kind'].replace('_', ' ')} notice")
    notice = SourceNotice(source_id=source.id, **values, recorded_at=utcnow(),
                          recorded_by=sources.actor())
    session.add(notice)
    log(session, "source", source.id, notice.kind[:12], source.key,
        {"reason": notice.reason, "notice_doi": notice.notice_doi, "date": notice.date})
    session.flush()
    return notice


def notice_values(kind: str, reason: str | None, notice_doi: str | None, date: str | None
                  ) -> dict[str, Any]:
    """A notice's stored values from what was given (raises on a bad one)."""
    from kb.dates import parse_optional
    from kb.identifiers import normalize_doi

    kind = kind.strip().lower().replace("-", "_").replace(" ", "_")
    if not kind:
        raise Invalid("kind", kind, "name the notice's kind")
    parsed = parse_optional(date, "date")
    return {"kind": kind, "reason": " ".join((reason or "").split()) or None,
            "notice_doi": normalize_doi(notice_doi) if notice_doi else None,
            "date": str(parsed) if parsed else None}


def _has_notice(session: Session, source_id: int, kind: str, doi: str | None) -> bool:
    return session.scalar(select(SourceNotice.id).where(
        SourceNotice.source_id == source_id, SourceNotice.kind == kind,
        SourceNotice.notice_doi.is_(None) if doi is None else SourceNotice.notice_doi == doi)
    ) is not None


def crossref_notices(data: Any, name: str = "file") -> list[dict[str, Any]]:
    """The notices a Crossref work record lists in `updated-by` (pure): kind, notice DOI,
    date. Accepts the API's envelope ({"message": {...}}) or the work itself."""
    work = data.get("message", data) if isinstance(data, dict) else None
    if not isinstance(work, dict):
        raise Invalid("file", name, "not a Crossref work record (a JSON object)")
    out = []
    for update in work.get("updated-by") or work.get("update-to") or []:
        if not isinstance(update, dict) or not update.get("type"):
            continue
        parts = ((update.get("updated") or {}).get("date-parts") or [[None]])[0]
        date = "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts) if p) or None
        out.append({"kind": str(update["type"]).lower().replace("-", "_"),
                    "notice_doi": update.get("DOI"), "date": date,
                    "reason": update.get("label") or str(update["type"]).replace("_", " ")})
    if not out:
        raise Invalid("file", name, "the Crossref record lists no notice in updated-by")
    return out


def import_crossref(session: Session, key: str, path: str | Path) -> list[SourceNotice]:
    from pathlib import Path as _Path

    try:
        data = json.loads(_Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid("file", str(path), str(getattr(exc, "strerror", None) or exc)
                      .splitlines()[0]) from None
    return [add_notice(session, key, n["kind"], n["reason"], n["notice_doi"], n["date"])
            for n in crossref_notices(data, str(path))]


def notices(session: Session, source_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    ids = list(set(source_ids))
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for n in session.scalars(select(SourceNotice).where(SourceNotice.source_id.in_(ids))
                             .order_by(SourceNotice.id)):
        out[n.source_id].append({"kind": n.kind, "reason": n.reason,
                                 "notice_doi": n.notice_doi, "date": n.date,
                                 "recorded": n.recorded_at.isoformat(),
                                 "by": n.recorded_by})
    return out


def retractions(session: Session, claim_ids: Iterable[int]) -> dict[int, ClaimRetraction]:
    ids = list(claim_ids)
    out: dict[int, ClaimRetraction] = {}
    for start in range(0, len(ids), 900):
        out.update((r.claim_id, r) for r in session.scalars(
            select(ClaimRetraction).where(ClaimRetraction.claim_id.in_(ids[start:start + 900]))))
    return out


# What claims and listings carry ----------------------------------------------------------


def decorate(session: Session, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add to claim records (by `id`) their quote status and anchor, stance, retraction and
    supersession: a fixed number of queries however many records."""
    from kb.services import texts

    ids = [r["id"] for r in records]
    if not ids:
        return records
    states = texts.states(session, ids)
    stances: dict[int, tuple[str, str | None, str | None]] = {}
    for start in range(0, len(ids), 900):
        for claim_id, stance, cues, attributed in session.execute(
                select(Claim.id, Claim.stance, Claim.stance_cues, Claim.attributed_to)
                .where(Claim.id.in_(ids[start:start + 900]))):
            stances[claim_id] = (stance, cues, attributed)
    withdrawn = retractions(session, ids)
    for record in records:
        state = states.get(record["id"], {})
        stance, cues, attributed = stances.get(record["id"], ("asserts", None, None))
        gone = withdrawn.get(record["id"])
        record.pop("stance", None)  # claim show's record has them from the snapshot
        record.pop("attributed_to", None)
        record.update({
            "stance": stance, "attributed_to": attributed,
            "stance_cues": cues.split() if cues else [],
            "quote_status": state.get("quote_status"), "anchor": state.get("anchor"),
            "retracted": ({"reason": gone.reason, "at": gone.retracted_at.isoformat(),
                           "by": gone.actor}
                          if gone is not None and gone.retracted_at is not None else None),
            "superseded_by": gone.superseded_by_id if gone is not None else None,
        })
    return records


# In the order of claim_files.CLAIM_FIELDS (a CSV header is the record's keys).
DECORATION = ("stance", "attributed_to", "stance_cues", "quote_status", "anchor", "retracted",
              "superseded_by")


def ignored_evidence(session: Session, evidence_ids: Iterable[int]) -> dict[int, str]:
    """Why each of these evidence links does not count toward standing (retracted), if so."""
    ids = list(evidence_ids)
    if not ids:
        return {}
    out: dict[int, str] = {}
    for evidence_id, source_id, claim_id in session.execute(
            select(Evidence.id, Evidence.source_id, Evidence.evidence_claim_id)
            .where(Evidence.id.in_(ids))):
        if claim_id is not None:
            gone = session.get(ClaimRetraction, claim_id)
            if gone is not None and gone.retracted_at is not None:
                out[evidence_id] = f"claim {claim_id} is retracted"
                continue
            source_id = session.scalar(select(Claim.source_id).where(Claim.id == claim_id))
        if source_id is not None and session.scalar(select(SourceNotice.id).where(
                SourceNotice.source_id == source_id, SourceNotice.kind.in_(RETRACTING))):
            key = session.scalar(select(Source.key).where(Source.id == source_id))
            out[evidence_id] = f"source {key!r} is retracted"
    return out


def retracted_left_out(session: Session, where: Any) -> int:
    """How many retracted claims match `where` (a query.ClaimFilter) but are left out because
    it does not include them: what a human-facing export says it hid."""
    from dataclasses import replace

    from sqlalchemy import exists, func

    from kb.services.query import select_claims

    if where.include_retracted:
        return 0
    every = select_claims(session, replace(where, include_retracted=True, limit=None))
    hidden = every.where(exists().where(ClaimRetraction.claim_id == Claim.id,
                                        ClaimRetraction.retracted_at.is_not(None)))
    return session.scalar(select(func.count()).select_from(
        hidden.with_only_columns(Claim.id).order_by(None).subquery())) or 0


def left_out_notice(count: int) -> str | None:
    """What an export that hid retracted claims says on stderr."""
    if not count:
        return None
    claims = "claim" if count == 1 else "claims"
    return f"{count} retracted {claims} left out; --include-retracted to include them"


# JSON Lines: what a transfer keeps ----------------------------------------------------------


def notice_records(session: Session, source_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The notices about these sources as JSON Lines `notice_record`s, in the order recorded."""
    ids = sorted(set(source_ids))
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), 900):
        for key, notice in session.execute(
                select(Source.key, SourceNotice).join(Source, Source.id == SourceNotice.source_id)
                .where(SourceNotice.source_id.in_(ids[start:start + 900]))
                .order_by(SourceNotice.id)):
            out.append({"source": key, "kind": notice.kind, "reason": notice.reason,
                        "notice_doi": notice.notice_doi, "date": notice.date,
                        "recorded": notice.recorded_at.isoformat(), "by": notice.recorded_by})
    return out


def kept_fields(session: Session, claim_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What a JSON Lines claim line holds beyond a listing's record, so that an import keeps
    it: who created the claim, and when and by whom it was superseded."""
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(claim_ids), 900):
        chunk = claim_ids[start:start + 900]
        for claim_id, created_by, superseded_at, actor in session.execute(
                select(Claim.id, Claim.created_by, ClaimRetraction.superseded_at,
                       ClaimRetraction.actor)
                .outerjoin(ClaimRetraction, ClaimRetraction.claim_id == Claim.id)
                .where(Claim.id.in_(chunk))):
            out[claim_id] = {"created_by": created_by, "supersession": (
                {"at": superseded_at.isoformat(), "by": actor} if superseded_at else None)}
    return out


def restore_withdrawals(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store imported retractions and supersessions: `claim_retraction` rows as they were
    (`retracted_at`, `reason`, `superseded_by_id`, `superseded_at`, `actor`)."""
    for start in range(0, len(rows), 5000):
        session.execute(insert(ClaimRetraction), rows[start:start + 5000])


def restore_notices(session: Session, notices: list[tuple[int, dict[str, Any]]],
                    recorded_at: Any, recorded_by: str) -> int:
    """Store imported notices (source id, `notice_record`), each kept with its own time and
    recorder when it says them; one the source already has is left as it is. How many were
    added."""
    from kb.formats.jsonl import timestamp

    added = 0
    for source_id, record in notices:
        values = notice_values(record["kind"], record.get("reason"), record.get("notice_doi"),
                               record.get("date"))
        if _has_notice(session, source_id, values["kind"], values["notice_doi"]):
            continue
        session.execute(insert(SourceNotice), {
            **values, "source_id": source_id,
            "recorded_at": timestamp(record.get("recorded"), "recorded") or recorded_at,
            "recorded_by": record.get("by") or recorded_by})
        added += 1
    return added


# The log --------------------------------------------------------------------------------


def log_entries(session: Session, since: str | None = None, source: str | None = None,
                by: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Every recorded change, oldest first: sources, claims (created, edited, and the rest)
    and evidence. Changes made before migration 0008 recorded no author: `by` is None. A
    removed claim's creation is in its removal's detail (the row it was read from is gone)."""
    from datetime import datetime

    from kb.dates import parse_optional

    start = parse_optional(since, "since")
    source_key = sources.get(session, source).key if source else None
    parts: list[Any] = [
        select(SourceRevision.changed_at.label("at"), SourceRevision.actor.label("by"),
               literal_column("'source'").label("entity"), SourceRevision.source_id.label("id"),
               SourceRevision.action.label("action"), SourceRevision.source_key.label("key"),
               SourceRevision.after.label("detail"), literal_column("0").label("part")),
        select(Claim.created_at, Claim.created_by, literal_column("'claim'"), Claim.id,
               literal_column("'created'"), Source.key, cast(null(), Text),
               literal_column("1"))
        .join(Source, Source.id == Claim.source_id),
        select(ClaimRevision.changed_at, ClaimRevision.actor, literal_column("'claim'"),
               ClaimRevision.claim_id, ClaimRevision.action, Source.key, ClaimRevision.prior,
               literal_column("2"))
        .join(Claim, Claim.id == ClaimRevision.claim_id)
        .join(Source, Source.id == Claim.source_id),
        select(ChangeLog.changed_at, ChangeLog.actor, ChangeLog.entity, ChangeLog.entity_id,
               ChangeLog.action, ChangeLog.source_key, ChangeLog.detail, literal_column("3")),
    ]
    filtered = []
    for part in parts:
        cols = part.selected_columns
        if start:
            part = part.where(cols[0] >= datetime.combine(start.start, datetime.min.time()))
        if by:
            part = part.where(cols[1] == by)
        if source_key:
            part = part.where(cols[5] == source_key)
        filtered.append(part)
    merged = union_all(*filtered).subquery("changes")
    # Times are kept to the second; within one second sources come first, then claims
    # created, claims edited, and the rest in the order they were logged.
    stmt = select(merged).order_by(merged.c.at, merged.c.part, merged.c.id)
    rows = session.execute(stmt).all()
    if limit is not None:
        rows = rows[-limit:]
    return [{"at": r.at.isoformat() if hasattr(r.at, "isoformat") else str(r.at),
             "by": r.by, "entity": r.entity, "id": r.id, "action": r.action,
             "source": r.key, "detail": _detail(r.detail)} for r in rows]


def _detail(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value
