"""Sources: the citable works claims come from."""

from __future__ import annotations

import itertools
import json
import os
import re
import unicodedata
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from kb.dates import SourceDate, parse_source_date_optional
from kb.errors import Conflict, Invalid, NotFound
from kb.formats.reference import CSL_TYPES, CSL_VARIABLES, Name
from kb.identifiers import normalize_doi, normalize_language, normalize_url
from kb.models import Claim, Evidence, Source, SourceAuthor, SourceRevision, utcnow

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
    # A date with no EDTF form ("13th cent"); `date` and this exclude each other.
    date_literal: str | None = None
    # Further CSL variables by CSL name; an edit replaces the whole object, an overwrite
    # replaces variable by variable.
    extra: dict[str, Any] | None = None

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


def display_names(names: list[Any]) -> str:
    """People for a table: `Farrell, Henry; Newman, Abraham L.` (a comma is inside a name)."""
    shown = []
    for name in names:
        if isinstance(name, dict):  # a CSL name object (editor, translator ...)
            parsed = Name(family=name.get("family"), given=name.get("given"),
                          literal=name.get("literal"))
            shown.append(parsed.literal or parsed.as_kb())
        else:
            shown.append(str(name))
    return "; ".join(shown)


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def make_key(session: Session, source: Source) -> str:
    """Who + year + first significant title word, e.g. `npr2026china`; a-z on collision.

    Who, as Better BibTeX does: the first author's family name, else the container, else the
    publisher (`tomshardware2025h20`), else the title's first word (the next one follows the
    year) — never a bare year such as `2025u`."""
    first = source.authors[0] if source.authors else None
    words = [w for w in re.split(r"\W+", source.title) if w and w.lower() not in _STOPWORDS]
    if first:
        who = first.family or _short_name(author_display(first))
    elif source.container or source.publisher:
        who = _short_name(source.container or source.publisher or "")
    else:
        who = words.pop(0) if words else ""
    year = SourceDate(edtf=source.issued).year if source.issued else None
    when = "" if year is None else str(year) if year > 0 else f"{1 - year}bc"
    stem = _ascii_word(who) + when + (_ascii_word(words[0]) if words else "")
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
    if "://" in key:  # a Zotero item URI is an address, not a citation key
        raise Invalid("key", key, "a citation key is not a URL")
    return key


def get(session: Session, key: str) -> Source:
    source = session.scalar(select(Source).where(Source.key == key))
    if source is None:
        from kb.suggest import did_you_mean

        near = did_you_mean(key, session.scalars(select(Source.key)))
        raise NotFound(f"source {key!r} not found" + (near or " (see `kb source list`)"))
    return source


def add(session: Session, values: SourceFields, key: str | None = None,
        distinct: bool = False) -> Source:
    """A new source. `distinct`: the caller (an import) has already decided that this is not
    a work kb holds, so a shared URL with the same title, year and author is no refusal."""
    if not values.title or not values.title.strip():
        raise Invalid("title", values.title or "", "must not be empty")
    source = Source(type="article", title="")
    _apply(session, source, values, same_url_check=not distinct)
    source.key = validate_key(key) if key else make_key(session, source)
    if key and session.scalar(select(Source.id).where(Source.key == key)) is not None:
        raise Conflict(f"source key {key!r} already exists")
    session.add(source)
    session.flush()
    _revise(session, source, "create", None, snapshot(source))
    return source


def edit(session: Session, key: str, values: SourceFields, new_key: str | None = None,
         action: str = "edit") -> Source:
    source = get(session, key)
    if values.title is not None and not values.title.strip():
        raise Invalid("title", values.title, "must not be empty")
    before = snapshot(source)
    _apply(session, source, values)
    if new_key and new_key != source.key:
        if session.scalar(select(Source.id).where(Source.key == validate_key(new_key))):
            raise Conflict(f"source key {new_key!r} already exists")
        source.key = new_key
    source.updated_at = utcnow()
    session.flush()
    old, new = changes(before, snapshot(source))
    if old or new:
        _revise(session, source, action, old, new)
    return source


def overwrite(session: Session, key: str, values: SourceFields
              ) -> list[tuple[str, Any, Any]]:
    """Fill and replace only the fields the incoming record has; say what changed.

    A field the record lacks is kept (a thinner copy never removes authors); a date that is a
    coarser form of the stored one (2025-07 for 2025-07-22) keeps the finer; further CSL
    variables are replaced one by one. Returns (field, before, after) for each change.
    """
    source = get(session, key)
    given = values.given()
    incoming = SourceFields(**{k: v for k, v in given.items()
                               if v not in ("", [], {}) and k != "extra"})
    if incoming.date and source.issued and _coarser(incoming.date, source.issued):
        incoming.date = None
    if incoming.date or incoming.date_literal:
        # A record's date replaces the stored one whichever form either has.
        incoming.date_literal = incoming.date_literal or ""
        incoming.date = incoming.date or ""
    if given.get("extra"):
        incoming.extra = {**(source.extra or {}), **given["extra"]}
    before = snapshot(source)
    edit(session, key, incoming, action="overwrite")
    old, new = changes(before, snapshot(source))
    return [(name, old.get(name), new.get(name)) for name in new]


def _coarser(incoming: str, stored: str) -> bool:
    """True when `incoming` is a plain date that `stored` (a plain date) refines."""
    coarse, fine = SourceDate(edtf=incoming.strip()).plain(), SourceDate(edtf=stored).plain()
    return (coarse is not None and fine is not None and len(str(coarse)) < len(str(fine))
            and str(fine).startswith(str(coarse)))


def _apply(session: Session, source: Source, values: SourceFields,
           same_url_check: bool = True) -> None:
    """Validate and copy the given fields; "" clears an optional field."""
    given = values.given()
    if "type" in given:
        if given["type"] not in CSL_TYPES:
            raise Invalid("type", given["type"], "not a CSL item type (e.g. article-newspaper, "
                          "report, webpage, article-journal, book, broadcast)")
        source.type = given["type"]
    for name in ("title", "container", "publisher", "archived_url", "note"):
        if name in given:
            setattr(source, name, given[name].strip() or None)
    if "language" in given:
        source.language = normalize_language(given["language"]) if given[
            "language"].strip() else None
    if "title" in given:
        source.title = given["title"].strip()
    if "date" in given:
        date = parse_source_date_optional(given["date"], "date")
        source.issued = str(date) if date else None
        source.issued_start, source.issued_end = date.span() if date else (None, None)
        if date:
            source.issued_literal = None
    if given.get("date_literal", "").strip() and not (given.get("date") or "").strip():
        source.issued_literal = " ".join(given["date_literal"].split())
        source.issued = source.issued_start = source.issued_end = None
    elif "date_literal" in given and not given["date_literal"].strip():
        source.issued_literal = None
    if "accessed" in given:
        accessed = parse_source_date_optional(given["accessed"], "accessed")
        source.accessed = str(accessed) if accessed else None
    if "url" in given:
        url = given["url"].strip() or None
        source.url, source.url_normalized = url, normalize_url(url) if url else None
    if "extra" in given:
        source.extra = _checked_extra(given["extra"]) or None
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
    if same_url_check and {"url", "title", "date", "authors"} & set(given) \
            and source.url_normalized:
        same = next((other for other in _same_work_by_url(
            session, source.url_normalized, source.title, source.issued,
            source.authors[0] if source.authors else None) if other is not source), None)
        if same is not None:
            raise Conflict(f"a source with url {source.url!r} and the same title, year and "
                           f"first author already exists: {same.key}")


def _checked_extra(extra: Any) -> dict[str, Any]:
    if not isinstance(extra, dict):
        raise Invalid("extra", extra, "expected an object of CSL variables")
    unknown = sorted(set(extra) - CSL_VARIABLES)
    if unknown:
        raise Invalid("extra", unknown[0], "not a CSL variable")
    return {k: extra[k] for k in sorted(extra) if extra[k] not in (None, "", [], {})}


def _refuse_duplicate(session: Session, source: Source, column: Any, value: str | None,
                      field: str, shown: str | None) -> None:
    if value is None:
        return
    other = session.scalar(select(Source).where(column == value))
    if other is not None and other is not source:
        raise Conflict(f"a source with {field} {shown!r} already exists: {other.key}")


def find_duplicate(session: Session, key: str | None, doi: str | None, url: str | None,
                   *, title: str | None = None, date: str | None = None,
                   authors: list[str] | None = None) -> Source | None:
    """The source already holding this work (for imports), or None.

    The same DOI is the same work. The same normalised URL is the same work only with the same
    title, year and first author: real libraries share placeholder URLs between distinct works.
    The same key is the same work when the title agrees too (a file imported twice).
    """
    found = find_duplicates(session, key, doi, url, title=title, date=date, authors=authors)
    return found[0] if found else None


def find_duplicates(session: Session, key: str | None, doi: str | None, url: str | None,
                    *, title: str | None = None, date: str | None = None,
                    authors: list[str] | None = None) -> list[Source]:
    """Every source that may hold this work: the DOI's alone when the DOI is known, else
    those with the URL, title, year and first author, then the one with the key and title."""
    if doi:
        found = session.scalar(select(Source).where(Source.doi == normalize_doi(doi)))
        if found:
            return [found]
    first = parse_author(authors[0]) if authors else None
    issued = str(d) if (d := parse_source_date_optional(date)) else None
    matches: list[Source] = []
    if url and title:
        matches += _same_work_by_url(session, normalize_url(url), title, issued, first)
    if key:
        by_key = session.scalar(select(Source).where(Source.key == key))
        if by_key is not None and by_key not in matches and (
                title is None or _title_key(by_key.title) == _title_key(title)):
            matches.append(by_key)
    return matches


def _same_work_by_url(session: Session, normalized: str, title: str, issued: str | None,
                      first: SourceAuthor | None) -> list[Source]:
    year = SourceDate(edtf=issued).year if issued else None
    return [other for other in session.scalars(
                select(Source).where(Source.url_normalized == normalized).order_by(Source.id))
            if _title_key(other.title) == _title_key(title)
            and (SourceDate(edtf=other.issued).year if other.issued else None) == year
            and _author_key(other.authors[0] if other.authors else None) == _author_key(first)]


def _title_key(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _author_key(author: SourceAuthor | None) -> str | None:
    if author is None:
        return None
    return _title_key(author.family or author_display(author))


# History --------------------------------------------------------------------------------------


def actor() -> str:
    """Who is changing things: KB_USER, else the operating system's user name."""
    import getpass

    name = os.environ.get("KB_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def snapshot(source: Source) -> dict[str, Any]:
    """Every field of a source, as its history compares them."""
    return {k: v for k, v in record(source).items() if k != "key"} | {
        "key": source.key}


def changes(before: dict[str, Any], after: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, before and after."""
    names = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in names}, {k: after.get(k) for k in names}


def _revise(session: Session, source: Source, action: str, before: dict[str, Any] | None,
            after: dict[str, Any] | None) -> None:
    session.add(SourceRevision(
        source_id=source.id, source_key=source.key, action=action, actor=actor(),
        changed_at=utcnow(),
        before=json.dumps(before, ensure_ascii=False) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False) if after is not None else None))


def record_removal(session: Session, source: Source) -> None:
    """For `remove`: the deletion in the source's history, with what it held."""
    _revise(session, source, "delete", snapshot(source), None)


def history(session: Session, key: str) -> list[dict[str, Any]]:
    """A source's changes, oldest first (a deleted source's too, by its key)."""
    found = session.scalar(select(Source.id).where(Source.key == key))
    where = (SourceRevision.source_id == found) if found is not None else (
        SourceRevision.source_key == key)
    rows = list(session.scalars(select(SourceRevision).where(where)
                                .order_by(SourceRevision.id)))
    if not rows:
        raise NotFound(f"source {key!r} has no history (see `kb source list`)")
    return [{"at": r.changed_at.isoformat(), "action": r.action, "by": r.actor,
             "before": json.loads(r.before) if r.before else None,
             "after": json.loads(r.after) if r.after else None} for r in rows]


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
        "date_literal": source.issued_literal,
        "url": source.url,
        "doi": source.doi,
        "accessed": source.accessed,
        "archived_url": source.archived_url,
        "language": source.language,
        "note": source.note,
        "reports_on": source.reports_on.key if source.reports_on else None,
        "extra": source.extra or {},
    }
