"""Source texts and the quotes checked against them: the storage side of kb.formats.extract
and kb.formats.anchor.

- `attach` stores a file's text as the next version of a source's text (the same raw file
  again adds nothing), checks every quote of the source against it at once and, for a new
  version, says what became of each passage anchored in the one before (`reanchor`).
- `verify` checks the chosen claims' quotes against their sources' latest text and stores one
  `QuoteCheck` per claim and text version (checking again replaces it).
- `states` gives each claim's quote status against its source's latest text, for listings
  and `claim show`, in one query; `condition` the same as a WHERE for `--quote-status`.

Statuses: verified, normalised, candidate, not-found (kb.formats.anchor), no-text (the source
has no stored text) and, honestly, unchecked (a text exists but this quote was never checked
against its latest version, e.g. a claim imported in bulk after the text: `kb quote verify`).
A claim without a quote has no quote status (None).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, not_, select, union_all
from sqlalchemy.orm import aliased

from kb.errors import Conflict, Invalid, NotFound
from kb.models import Claim, QuoteCheck, Source, SourceText, utcnow
from kb.services import provenance, sources

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from sqlalchemy.orm import Session
    from sqlalchemy.sql import Select, Subquery
    from sqlalchemy.sql.elements import ColumnElement

    from kb.formats.anchor import Anchor, Document, Reanchored, Verification

NO_TEXT = "no-text"
UNCHECKED = "unchecked"
QUOTE_STATUSES = ("verified", "normalised", "candidate", "not-found", NO_TEXT, UNCHECKED)
ORPHANED = ("orphaned", "ambiguous")


# Snapshots ------------------------------------------------------------------------------


@dataclass
class Attached:
    """What `attach` did: the version stored (or the one the same file already is)."""

    source: str
    version: int
    added: bool
    checks: dict[str, int] = field(default_factory=dict)  # status -> how many quotes
    reanchored: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def attach(session: Session, key: str, path: str | Path, retrieved: str | None = None,
           url: str | None = None) -> Attached:
    """Store the file's text as the source's next version and check its quotes against it.

    A file kb cannot read (missing, binary, not UTF-8, a damaged PDF, no text, over
    extract.MAX_BYTES) is a value that can never be right: `Invalid` (exit 2), nothing stored.
    """
    from kb.dates import parse_optional
    from kb.formats.extract import ExtractError, extract_file

    source = sources.get(session, key)
    when = parse_optional(retrieved, "retrieved")
    try:
        extracted = extract_file(path)
    except ExtractError as exc:
        raise Invalid("file", str(path), exc.reason) from None
    latest = _latest(session, source.id)
    if latest is not None and latest.raw_sha256 == extracted.raw_sha256:
        return Attached(source.key, latest.version, added=False)
    from pathlib import Path as _Path

    # Read again to keep: extract_file refused an oversized file before reading a byte.
    raw = _Path(path).read_bytes()
    version = (latest.version if latest else 0) + 1
    text_id = session.execute(insert(SourceText).returning(SourceText.id), {
        "source_id": source.id, "version": version, "file_name": _Path(path).name,
        "media_type": extracted.media_type, "raw": raw, "raw_sha256": extracted.raw_sha256,
        "text": extracted.text, "text_sha256": extracted.text_sha256,
        "extractor": extracted.extractor, "extractor_version": extracted.extractor_version,
        "page_starts": list(extracted.page_starts) or None,
        "retrieved": str(when) if when else None, "url": (url or "").strip() or None,
        "created_at": utcnow(), "created_by": sources.actor()}).scalar_one()
    provenance.log(session, "text", text_id, "attached", source.key,
                   {"version": version, "file": _Path(path).name,
                    "raw_sha256": extracted.raw_sha256})
    result = Attached(source.key, version, added=True)
    # Its own claims, and those of a source it reports on that has no text of its own.
    reported = source.reports_on_id if source.reports_on_id is not None and _latest(
        session, source.reports_on_id) is None else None
    claim_ids = list(session.scalars(select(Claim.id).where(
        Claim.source_id.in_([source.id] + ([reported] if reported else [])))
        .order_by(Claim.id)))
    previous = _anchors(session, latest.id, claim_ids) if latest is not None else {}
    checked = verify(session, claim_ids, previous=previous)
    for check in checked:
        result.checks[check["quote_status"]] = result.checks.get(check["quote_status"], 0) + 1
        if check.get("reanchored"):
            result.reanchored.append(check)
        result.warnings.extend(f"claim {check['claim']}: {w}" for w in check["warnings"])
    return result


def _latest(session: Session, source_id: int) -> SourceText | None:
    return session.scalar(select(SourceText).where(SourceText.source_id == source_id)
                          .order_by(SourceText.version.desc()).limit(1))


def versions(session: Session, key: str) -> list[dict[str, Any]]:
    """A source's text versions, oldest first, without their text."""
    source = sources.get(session, key)
    rows = session.execute(select(
        SourceText.version, SourceText.file_name, SourceText.media_type,
        SourceText.raw_sha256, SourceText.text_sha256, SourceText.extractor,
        SourceText.extractor_version, SourceText.retrieved, SourceText.url,
        SourceText.page_starts, SourceText.created_at, SourceText.created_by,
        func.length(SourceText.text).label("characters"),
        func.length(SourceText.raw).label("bytes"),
    ).where(SourceText.source_id == source.id).order_by(SourceText.version))
    return [{"source": source.key, "version": r.version, "file": r.file_name,
             "media_type": r.media_type, "bytes": r.bytes, "characters": r.characters,
             "pages": len(r.page_starts) if r.page_starts else None,
             "raw_sha256": r.raw_sha256, "text_sha256": r.text_sha256,
             "extractor": f"{r.extractor} {r.extractor_version}", "retrieved": r.retrieved,
             "url": r.url, "created": r.created_at.isoformat(), "by": r.created_by}
            for r in rows]


def text_of(session: Session, key: str, version: int | None = None) -> SourceText:
    """One version of a source's text (the latest by default)."""
    source = sources.get(session, key)
    stmt = select(SourceText).where(SourceText.source_id == source.id)
    if version is not None:
        stmt = stmt.where(SourceText.version == version)
    found = session.scalar(stmt.order_by(SourceText.version.desc()).limit(1))
    if found is None:
        if version is None:
            raise NotFound(f"source {key!r} has no stored text (attach one: "
                           f"kb source attach {key} FILE)")
        raise NotFound(f"source {key!r} has no text version {version}")
    return found


# Showing a quote in its text -------------------------------------------------------------

# Statuses whose anchor is the quote's place in the text: a candidate is only a near passage,
# so a page says so instead of marking it as if the source said it.
MARKED = ("verified", "normalised")
AROUND = 300  # characters shown either side of a passage: a paragraph or two of context


def passage(session: Session, claim_id: int, around: int = AROUND) -> dict[str, Any] | None:
    """Where a claim's quote stands in the text it is checked against, for a reader.

    None for a claim without a quote. Otherwise the quote status and which snapshot (source
    key, version, retrieval date) it was checked against; for a verified or normalised quote
    also the passage in context: `before`, `exact` (the anchored span) and `after`, at most
    `around` characters either side, cut at a space. Only that window is read from the
    database (SUBSTR counts characters on both backends, as the anchor's offsets do), not a
    text of up to 50 MB."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} not found")
    if claim.quote is None:
        return None
    text_id = latest_text_ids(session, [claim.source_id]).get(claim.source_id)
    if text_id is None:
        return {"quote_status": NO_TEXT, "source": claim.source.key}
    snapshot = session.execute(
        select(Source.key, SourceText.version, SourceText.retrieved, SourceText.url,
               SourceText.file_name, SourceText.created_at,
               func.length(SourceText.text).label("characters"))
        .join(Source, Source.id == SourceText.source_id).where(SourceText.id == text_id)).one()
    check = session.get(QuoteCheck, (claim_id, text_id))
    out: dict[str, Any] = {
        "quote_status": check.status if check is not None else UNCHECKED,
        "source": snapshot.key, "version": snapshot.version,
        "retrieved": snapshot.retrieved, "url": snapshot.url, "file": snapshot.file_name,
        "stored": snapshot.created_at.date().isoformat(),
        "similarity": check.similarity if check is not None else None,
        "nearest": check.nearest if check is not None else None,
        "page": check.page if check is not None else None, "passage": None}
    if check is None or check.status not in MARKED or check.anchor_start is None \
            or check.anchor_end is None:
        return out
    start, end = check.anchor_start, check.anchor_end
    low, high = max(0, start - around), min(snapshot.characters, end + around)
    window = session.scalar(select(func.substr(SourceText.text, low + 1, high - low))
                            .where(SourceText.id == text_id)) or ""
    before, exact, after = window[:start - low], window[start - low:end - low], \
        window[end - low:]
    if exact != check.exact:
        return out  # the stored text and its anchor disagree: mark nothing rather than guess
    out["passage"] = {"before": _cut_start(before) if low > 0 else before, "exact": exact,
                      "after": _cut_end(after) if high < snapshot.characters else after,
                      "starts_text": low == 0, "ends_text": high == snapshot.characters}
    return out


def _cut_start(text: str) -> str:
    """Context before a passage, from its first whole word."""
    space = text.find(" ")
    return text[space + 1:] if 0 <= space < len(text) // 2 else text


def _cut_end(text: str) -> str:
    """Context after a passage, to its last whole word."""
    space = text.rfind(" ")
    return text[:space] if space > len(text) // 2 else text


def marked_text(session: Session, key: str, version: int | None = None,
                claim_id: int | None = None) -> dict[str, Any]:
    """A whole stored text, split around a claim's anchored quote when that claim's quote was
    verified (or normalised) against this very version: `before`, `exact`, `after`
    (`exact` None and the whole text in `before` otherwise, with the claim's status)."""
    text = text_of(session, key, version)
    out: dict[str, Any] = {
        "source": sources.get(session, key).key, "version": text.version,
        "retrieved": text.retrieved, "url": text.url, "file": text.file_name,
        "media_type": text.media_type,
        "stored": text.created_at.date().isoformat(), "characters": len(text.text),
        "claim": claim_id, "quote_status": None,
        "before": text.text, "exact": None, "after": ""}
    if claim_id is None:
        return out
    if session.get(Claim, claim_id) is None:
        raise NotFound(f"claim {claim_id} not found")
    check = session.get(QuoteCheck, (claim_id, text.id))
    out["quote_status"] = check.status if check is not None else UNCHECKED
    if check is None or check.status not in MARKED or check.anchor_start is None \
            or check.anchor_end is None:
        return out
    start, end = check.anchor_start, check.anchor_end
    if text.text[start:end] != check.exact:
        return out
    out.update(before=text.text[:start], exact=text.text[start:end], after=text.text[end:])
    return out


# Checking quotes ------------------------------------------------------------------------


def _document(text: SourceText) -> Document:
    from kb.formats.anchor import Document

    return Document(text.text, tuple(text.page_starts or ()))


def _anchors(session: Session, text_id: int, claim_ids: list[int]) -> dict[int, Anchor]:
    """The anchors the quotes had in one text version (found or accepted ones only)."""
    from kb.formats.anchor import Anchor

    out: dict[int, Anchor] = {}
    for row in session.scalars(select(QuoteCheck).where(
            QuoteCheck.text_id == text_id, QuoteCheck.anchor_start.is_not(None),
            QuoteCheck.status.in_(("verified", "normalised")))):
        if row.claim_id in claim_ids and row.anchor_end is not None:
            out[row.claim_id] = Anchor(row.anchor_start or 0, row.anchor_end, row.exact or "",
                                       row.prefix or "", row.suffix or "", row.page)
    return out


@functools.cache  # built once: constructing it cost more than running it (3 ms a listing)
def latest_texts() -> Subquery:
    """(source_id, text_id): the text each source's quotes are checked against.

    A source's own latest text (ids grow with versions); for a source with no text of its own,
    the latest text of a source that reports on it: a work known only through an article
    (the seed's NPR analysis) is quoted in that article's words, so that is where its quotes
    can be found. A source reported by several such sources takes the newest text."""
    own = (select(SourceText.source_id.label("source_id"),
                  func.max(SourceText.id).label("text_id"))
           .group_by(SourceText.source_id))
    reporter, has_own = aliased(Source), aliased(SourceText)
    through = (select(reporter.reports_on_id, func.max(SourceText.id))
               .join(SourceText, SourceText.source_id == reporter.id)
               .where(reporter.reports_on_id.is_not(None),
                      ~exists().where(has_own.source_id == reporter.reports_on_id))
               .group_by(reporter.reports_on_id))
    return union_all(own, through).subquery("latest")


def latest_text_ids(session: Session, source_ids: Iterable[int]) -> dict[int, int]:
    """The text each of these sources' quotes are checked against (`latest_texts`)."""
    ids = list(set(source_ids))
    latest = latest_texts()
    out: dict[int, int] = {}
    for start in range(0, len(ids), 900):
        out.update(session.execute(select(latest.c.source_id, latest.c.text_id)
                                   .where(latest.c.source_id.in_(ids[start:start + 900])))
                   .all())
    return out


def verify(session: Session, claim_ids: Iterable[int],
           previous: dict[int, Anchor] | None = None) -> list[dict[str, Any]]:
    """Check these claims' quotes against their sources' latest texts and store the results.

    `previous` holds the anchors of a text version just replaced: each is re-anchored in the
    new version and the outcome kept with the check. A candidate a person accepted stays
    accepted while the same passage is found again. Returns one summary per claim with a quote.
    """
    from kb.formats.anchor import reanchor, verify_quote

    ids = list(claim_ids)
    rows: list[Any] = []
    for start in range(0, len(ids), 900):
        rows.extend(session.execute(select(Claim.id, Claim.source_id, Claim.quote,
                                           Claim.locator)
                                    .where(Claim.id.in_(ids[start:start + 900]),
                                           Claim.quote.is_not(None))
                                    .order_by(Claim.id)).all())
    latest = latest_text_ids(session, (r.source_id for r in rows))
    texts = {t.id: t for t in session.scalars(
        select(SourceText).where(SourceText.id.in_(list(latest.values()))))}
    docs = {text_id: _document(t) for text_id, t in texts.items()}
    accepted = _accepted(session, [r.id for r in rows if r.source_id in latest])
    now = utcnow()
    out: list[dict[str, Any]] = []
    stored: list[dict[str, Any]] = []
    for row in rows:
        text_id = latest.get(row.source_id)
        if text_id is None:
            out.append({"claim": row.id, "quote_status": NO_TEXT, "warnings": []})
            continue
        doc = docs[text_id]
        found = verify_quote(doc, row.quote, row.locator)
        moved: Reanchored | None = None
        if previous and row.id in previous:
            moved = reanchor(previous[row.id], doc)
        check = _row(row.id, text_id, found, moved, now)
        prior = accepted.get((row.id, text_id))
        if prior is not None and found.status == "candidate" and found.anchor is not None \
                and (found.anchor.start, found.anchor.end) == prior[2]:
            check.update(status="verified", accepted_by=prior[0], accepted_at=prior[1])
        stored.append(check)
        out.append({"claim": row.id, "quote_status": check["status"],
                    "version": texts[text_id].version,
                    "similarity": found.similarity,
                    "nearest": (found.nearest.exact if found.nearest else found.anchor.exact
                                if found.status == "candidate" and found.anchor else None),
                    "warnings": list(found.warnings),
                    **(_moved(moved) if moved else {})})
    pairs = [(c["claim_id"], c["text_id"]) for c in stored]
    for start in range(0, len(pairs), 400):
        chunk = pairs[start:start + 400]
        session.execute(delete(QuoteCheck).where(
            QuoteCheck.claim_id.in_([c for c, _ in chunk]),
            QuoteCheck.text_id.in_({t for _, t in chunk})))
    if stored:
        session.execute(insert(QuoteCheck), stored)
    return out


def _accepted(session: Session, claim_ids: list[int]
              ) -> dict[tuple[int, int], tuple[str, Any, tuple[int | None, int | None]]]:
    out = {}
    for start in range(0, len(claim_ids), 900):
        for r in session.scalars(select(QuoteCheck).where(
                QuoteCheck.claim_id.in_(claim_ids[start:start + 900]),
                QuoteCheck.accepted_by.is_not(None))):
            out[(r.claim_id, r.text_id)] = (r.accepted_by or "", r.accepted_at,
                                            (r.anchor_start, r.anchor_end))
    return out


def _row(claim_id: int, text_id: int, found: Verification, moved: Reanchored | None,
         now: Any) -> dict[str, Any]:
    anchor = found.anchor
    return {"claim_id": claim_id, "text_id": text_id, "status": found.status,
            "anchor_start": anchor.start if anchor else None,
            "anchor_end": anchor.end if anchor else None,
            "exact": anchor.exact if anchor else None,
            "prefix": anchor.prefix if anchor else None,
            "suffix": anchor.suffix if anchor else None,
            "page": anchor.page if anchor else None, "occurrences": found.occurrences,
            "similarity": found.similarity,
            "nearest": found.nearest.exact if found.nearest else None,
            "warnings": json.dumps(list(found.warnings), ensure_ascii=False)
            if found.warnings else None,
            "normaliser_version": found.normaliser_version,
            "reanchored": moved.outcome if moved else None, "checked_at": now,
            "accepted_by": None, "accepted_at": None}


def _moved(moved: Reanchored) -> dict[str, Any]:
    return {"reanchored": moved.outcome, "method": moved.method, "note": moved.note,
            "start": moved.anchor.start if moved.anchor else None,
            "end": moved.anchor.end if moved.anchor else None}


def accept(session: Session, claim_id: int) -> dict[str, Any]:
    """A person accepts a candidate passage: it counts as verified, with who and when."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"claim {claim_id} not found")
    text_id = latest_text_ids(session, [claim.source_id]).get(claim.source_id)
    check = session.get(QuoteCheck, (claim_id, text_id)) if text_id is not None else None
    if check is None or check.status != "candidate":
        state = check.status if check is not None else (NO_TEXT if text_id is None
                                                         else UNCHECKED)
        raise Conflict(f"claim {claim_id}'s quote is {state}, not a candidate; only a "
                       "candidate can be accepted")
    check.status = "verified"
    check.accepted_by = sources.actor()
    check.accepted_at = utcnow()
    provenance.log(session, "claim", claim_id, "accepted", claim.source.key,
                   {"start": check.anchor_start, "end": check.anchor_end,
                    "exact": check.exact})
    session.flush()
    return states(session, [claim_id])[claim_id]


# Reading the states ---------------------------------------------------------------------


def states(session: Session, claim_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each claim's quote status and anchor against its source's latest text (one query per
    900 claims): {quote_status, anchor{start, end, exact, prefix, suffix, version, page},
    quote_check{...}}."""
    ids = list(claim_ids)
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 900):
        rows = session.execute(_states_of(), {"ids": ids[start:start + 900]})
        for claim_id, quote, text_id, version, check in rows:
            out[claim_id] = _state(quote, text_id, version, check)
    return out


@functools.cache  # built once, run for every listing (`latest_texts`)
def _states_of() -> Select[int, str | None, int | None, int | None, QuoteCheck]:
    latest = latest_texts()
    return (select(Claim.id, Claim.quote, latest.c.text_id, SourceText.version, QuoteCheck)
            .outerjoin(latest, latest.c.source_id == Claim.source_id)
            .outerjoin(SourceText, SourceText.id == latest.c.text_id)
            .outerjoin(QuoteCheck, and_(QuoteCheck.claim_id == Claim.id,
                                        QuoteCheck.text_id == latest.c.text_id))
            .where(Claim.id.in_(bindparam("ids", expanding=True))))


def _state(quote: str | None, text_id: int | None, version: int | None,
           check: QuoteCheck | None) -> dict[str, Any]:
    if quote is None:
        return {"quote_status": None, "anchor": None, "quote_check": None}
    if text_id is None:
        return {"quote_status": NO_TEXT, "anchor": None, "quote_check": None}
    if check is None:
        return {"quote_status": UNCHECKED, "anchor": None, "quote_check": None}
    anchor = None
    if check.anchor_start is not None:
        anchor = {"start": check.anchor_start, "end": check.anchor_end, "exact": check.exact,
                  "prefix": check.prefix, "suffix": check.suffix, "version": version,
                  "page": check.page}
    return {"quote_status": check.status, "anchor": anchor, "quote_check": {
        "version": version, "occurrences": check.occurrences,
        "similarity": check.similarity, "nearest": check.nearest,
        "warnings": json.loads(check.warnings) if check.warnings else [],
        "reanchored": check.reanchored, "normaliser_version": check.normaliser_version,
        "checked": check.checked_at.isoformat(),
        "accepted_by": check.accepted_by,
        "accepted": check.accepted_at.isoformat() if check.accepted_at else None}}


def condition(status: str) -> ColumnElement[bool]:
    """A WHERE condition on Claim: the claims whose quote has this status (`states`' rule)."""
    if status not in QUOTE_STATUSES:
        raise Invalid("quote status", status, f"expected one of {', '.join(QUOTE_STATUSES)}")
    texts = latest_texts()
    latest = (select(texts.c.text_id).where(texts.c.source_id == Claim.source_id)
              .correlate(Claim).scalar_subquery())
    has_text = exists().where(texts.c.source_id == Claim.source_id)
    quoted = Claim.quote.is_not(None)
    if status == NO_TEXT:
        return and_(quoted, not_(has_text))
    checked = exists().where(QuoteCheck.claim_id == Claim.id, QuoteCheck.text_id == latest)
    if status == UNCHECKED:
        return and_(quoted, has_text, not_(checked))
    return exists().where(QuoteCheck.claim_id == Claim.id, QuoteCheck.text_id == latest,
                          QuoteCheck.status == status)


def orphans(session: Session, key: str | None = None) -> list[dict[str, Any]]:
    """Claims whose passage found no trustworthy place in their source's latest text."""
    texts = latest_texts()
    latest = (select(texts.c.text_id).where(texts.c.source_id == Claim.source_id)
              .correlate(Claim).scalar_subquery())
    stmt = (select(Claim.id, Source.key, Claim.quote, QuoteCheck.reanchored,
                   QuoteCheck.status, SourceText.version)
            .join(Source, Source.id == Claim.source_id)
            .join(QuoteCheck, and_(QuoteCheck.claim_id == Claim.id,
                                   QuoteCheck.text_id == latest))
            .join(SourceText, SourceText.id == QuoteCheck.text_id)
            .where(QuoteCheck.reanchored.in_(ORPHANED)).order_by(Claim.id))
    if key is not None:
        stmt = stmt.where(Claim.source_id == sources.get(session, key).id)
    return [{"claim": r.id, "source": r.key, "version": r.version, "outcome": r.reanchored,
             "quote_status": r.status, "quote": r.quote} for r in session.execute(stmt)]


def check_new_quote(session: Session, claim_id: int) -> None:
    """For `claim add`/`edit`: check the quote on the spot when its source has a text, and
    leave a warning (said on stderr after the commit) when it is not found as typed."""
    from kb.services import notices

    for check in verify(session, [claim_id]):
        status = check["quote_status"]
        if status in ("verified", "normalised", NO_TEXT):
            continue
        message = f"warning: claim {claim_id}'s quote is not in the source's text as typed"
        if check.get("nearest") and status == "candidate":
            message += (f"; a near passage ({check['similarity']:.0f}% alike): "
                        f"{check['nearest']!r} (if it is the one: kb quote accept {claim_id})")
        elif check.get("nearest"):
            message += (f"; nearest passage ({check['similarity']:.0f}% alike): "
                        f"{check['nearest']!r}")
        notices.add(session, "quote warning", message)
