"""Sources: the citable works claims come from."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from kb.dates import parse_optional
from kb.errors import Conflict, Invalid, NotFound
from kb.formats.reference import CSL_TYPES, Name
from kb.identifiers import normalize_doi, normalize_url
from kb.models import Claim, Evidence, Source, SourceAuthor, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kb.services.deletion import StandingChange

_STOPWORDS = {"a", "an", "the", "of", "on", "in", "and", "how", "why", "what", "to", "for"}


@dataclass
class SourceFields:
    """What a user may give for a source; None means "not given" (edit leaves it alone)."""

    title: str | None = None
    type: str | None = None
    container: str | None = None
    publisher: str | None = None
    authors: list[str] | None = None
    date: str | None = None
    url: str | None = None
    doi: str | None = None
    accessed: str | None = None
    archived_url: str | None = None
    language: str | None = None
    note: str | None = None
    reports_on: str | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}


def parse_author(name: str) -> SourceAuthor:
    """`{NPR}` is an organisation; `Family, Given` or `Given Family` is a person."""
    text = " ".join(name.split())
    if not text:
        raise Invalid("author", name, "must not be empty")
    parsed = Name.parse(text)
    return SourceAuthor(name=text, family=parsed.family, given=parsed.given,
                        literal=parsed.literal is not None)


def author_display(author: SourceAuthor) -> str:
    return author.name[1:-1] if author.literal else author.name


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def make_key(session: Session, source: Source) -> str:
    """`family` + year + first significant title word, e.g. `npr2026china`; a-z on collision."""
    first = source.authors[0] if source.authors else None
    who = (first.family or _short_name(author_display(first))) if first else _short_name(
        source.publisher or "")
    words = [w for w in re.split(r"\W+", source.title) if w and w.lower() not in _STOPWORDS]
    stem = _ascii_word(who) + (
        (source.issued or "")[:4]) + (_ascii_word(words[0]) if words else "")
    stem = stem or "source"
    suffixes = itertools.chain([""], "abcdefghijklmnopqrstuvwxyz", map(str, itertools.count(2)))
    for suffix in suffixes:
        key = stem + suffix
        if session.scalar(select(Source.id).where(Source.key == key)) is None:
            return key
    raise AssertionError("unreachable: the suffixes never run out")


def _short_name(organisation: str) -> str:
    """"International Energy Agency" -> "iea"; a name of one or two words stays as it is."""
    words = [w for w in organisation.split() if w.lower() not in _STOPWORDS]
    return "".join(w[0] for w in words) if len(words) > 2 else "".join(words)


def validate_key(key: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][\w:.\-+/]*", key):
        raise Invalid("key", key, "use letters, digits and _ : . - + / (no spaces)")
    return key


def get(session: Session, key: str) -> Source:
    source = session.scalar(select(Source).where(Source.key == key))
    if source is None:
        raise NotFound(f"source {key!r} not found (see `kb source list`)")
    return source


def add(session: Session, values: SourceFields, key: str | None = None) -> Source:
    if not values.title or not values.title.strip():
        raise Invalid("title", values.title or "", "must not be empty")
    source = Source(type="article", title="")
    _apply(session, source, values)
    source.key = validate_key(key) if key else make_key(session, source)
    if key and session.scalar(select(Source.id).where(Source.key == key)) is not None:
        raise Conflict(f"source key {key!r} already exists")
    session.add(source)
    session.flush()
    return source


def edit(session: Session, key: str, values: SourceFields, new_key: str | None = None) -> Source:
    source = get(session, key)
    if values.title is not None and not values.title.strip():
        raise Invalid("title", values.title, "must not be empty")
    _apply(session, source, values)
    if new_key and new_key != source.key:
        if session.scalar(select(Source.id).where(Source.key == validate_key(new_key))):
            raise Conflict(f"source key {new_key!r} already exists")
        source.key = new_key
    source.updated_at = utcnow()
    session.flush()
    return source


def _apply(session: Session, source: Source, values: SourceFields) -> None:
    """Validate and copy the given fields; "" clears an optional field."""
    given = values.given()
    if "type" in given:
        if given["type"] not in CSL_TYPES:
            raise Invalid("type", given["type"], "not a CSL item type (e.g. article-newspaper, "
                          "report, webpage, article-journal, book, broadcast)")
        source.type = given["type"]
    for name in ("title", "container", "publisher", "archived_url", "language", "note"):
        if name in given:
            setattr(source, name, given[name].strip() or None)
    if "title" in given:
        source.title = given["title"].strip()
    if "date" in given:
        source.issued = str(d) if (d := parse_optional(given["date"], "date")) else None
    if "accessed" in given:
        source.accessed = str(d) if (d := parse_optional(given["accessed"], "accessed")) else None
    if "url" in given:
        url = given["url"].strip() or None
        normalized = normalize_url(url) if url else None
        _refuse_duplicate(session, source, Source.url_normalized, normalized, "url", url)
        source.url, source.url_normalized = url, normalized
    if "doi" in given:
        doi = normalize_doi(given["doi"]) if given["doi"].strip() else None
        _refuse_duplicate(session, source, Source.doi, doi, "doi", doi)
        source.doi = doi
    if "authors" in given:
        source.authors = [parse_author(name) for name in given["authors"]]
        for position, author in enumerate(source.authors):
            author.position = position
    if "reports_on" in given:
        target = get(session, given["reports_on"]) if given["reports_on"] else None
        if target is not None and target.key == source.key:
            raise Invalid("reports-on", given["reports_on"], "a source cannot report on itself")
        source.reports_on = target


def _refuse_duplicate(session: Session, source: Source, column: Any, value: str | None,
                      field: str, shown: str | None) -> None:
    if value is None:
        return
    other = session.scalar(select(Source).where(column == value))
    if other is not None and other is not source:
        raise Conflict(f"a source with {field} {shown!r} already exists: {other.key}")


def find_duplicate(session: Session, key: str | None, doi: str | None, url: str | None
                   ) -> Source | None:
    """The source already holding this work, by DOI, normalised URL or key (for imports)."""
    if doi:
        found = session.scalar(select(Source).where(Source.doi == normalize_doi(doi)))
        if found:
            return found
    if url:
        found = session.scalar(select(Source).where(Source.url_normalized == normalize_url(url)))
        if found:
            return found
    if key:
        return session.scalar(select(Source).where(Source.key == key))
    return None


def list_all(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.key)))


def claim_counts(session: Session) -> dict[int, int]:
    return dict(session.execute(
        select(Claim.source_id, func.count()).group_by(Claim.source_id)).all())


def remove(session: Session, key: str, force: bool = False) -> Removal:
    """Delete a source; with claims or citing evidence only when forced. Its claims and the
    evidence citing it or them go in sets; the removal names every other claim whose standing
    it changed (and writes it in that claim's history)."""
    from kb.services import deletion

    source = get(session, key)
    source_id = source.id
    claim_count = session.scalar(select(func.count()).where(Claim.source_id == source_id)) or 0
    cited = session.scalar(select(func.count()).where(Evidence.source_id == source_id)) or 0
    if (claim_count or cited) and not force:
        raise Conflict(
            f"source {key!r} has {claim_count} claim(s) and is evidence for {cited} claim(s)"
        )
    changes = deletion.delete_claims(
        session, select(Claim.id).where(Claim.source_id == source_id),
        f"source {key!r} was removed", also_evidence=Evidence.source_id == source_id)
    session.execute(delete(Source).where(Source.id == source_id))
    return Removal(claim_count, changes)


@dataclass
class Removal:
    claims: int
    standing_changes: list[StandingChange]


def record(source: Source) -> dict[str, Any]:
    """The JSON shape of a source (DESIGN's field names)."""
    return {
        "key": source.key,
        "type": source.type,
        "title": source.title,
        "publisher": source.publisher,
        "container": source.container,
        "authors": [a.name for a in source.authors],
        "date": source.issued,
        "url": source.url,
        "doi": source.doi,
        "accessed": source.accessed,
        "archived_url": source.archived_url,
        "language": source.language,
        "note": source.note,
        "reports_on": source.reports_on.key if source.reports_on else None,
    }
