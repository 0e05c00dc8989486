"""Sources: the citable works claims come from."""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from kb.dates import SourceDate, parse_source_date_optional
from kb.errors import Conflict, Invalid, NotFound
from kb.formats.reference import CSL_IN_COLUMNS, CSL_TYPES, CSL_VARIABLES, Name
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
    # Further CSL variables by CSL name, set variable by variable ("" removes one).
    extra: dict[str, Any] | None = None

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not None}


def parse_author(name: str) -> dict[str, Any]:
    """`{NPR}` is an organisation; `Family, Given` or `Given Family` is a person. The
    `source_author` columns as a dict: an import parses thousands, and an ORM object for each
    cost a tenth of a 5,000-entry import."""
    text = " ".join(name.split())
    if not text:
        raise Invalid("author", name, "must not be empty")
    parsed = Name.parse(text)
    return {"name": text, "family": parsed.family, "given": parsed.given,
            "literal": parsed.literal is not None}


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
    """`key_stem`, then a-z on collision."""
    first = source.authors[0] if source.authors else None
    stem = key_stem(source.title, source.issued, source.container, source.publisher,
                    (first.family, author_display(first)) if first else None)
    suffixes = itertools.chain([""], "abcdefghijklmnopqrstuvwxyz", map(str, itertools.count(2)))
    for suffix in suffixes:
        key = stem + suffix
        if session.scalar(select(Source.id).where(Source.key == key)) is None:
            return key
    raise AssertionError("unreachable: the suffixes never run out")


def key_stem(title: str, issued: str | None, container: str | None, publisher: str | None,
             first_author: tuple[str | None, str] | None) -> str:
    """Who + year + first significant title word, e.g. `npr2026china` (pure: every path that
    makes a key starts here; `first_author` is its family name and its name as shown).

    Who, as Better BibTeX does: the first author's family name, else the container, else the
    publisher (`tomshardware2025h20`), else the title's first word (the next one follows the
    year) — never a bare year such as `2025u`."""
    words = [w for w in re.split(r"\W+", title) if w and w.lower() not in _STOPWORDS]
    if first_author:
        family, shown = first_author
        who = family or _short_name(shown)
    elif container or publisher:
        who = _short_name(container or publisher or "")
    else:
        who = words.pop(0) if words else ""
    year = SourceDate(edtf=issued).year if issued else None
    when = "" if year is None else str(year) if year > 0 else f"{1 - year}bc"
    return _ascii_word(who) + when + (_ascii_word(words[0]) if words else "") or "source"


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
        incoming.extra = given["extra"]
    before = snapshot(source)
    edit(session, key, incoming, action="overwrite")
    old, new = changes(before, snapshot(source))
    out = [(name, old.get(name), new.get(name)) for name in new if name != "extra"]
    if "extra" in new:  # the other CSL variables one by one: "page: (none) → 1-20"
        was, now = old.get("extra") or {}, new.get("extra") or {}
        out += [(name, was.get(name), now.get(name)) for name in sorted({*was, *now})
                if was.get(name) != now.get(name)]
    return out


def _coarser(incoming: str, stored: str) -> bool:
    """True when `incoming` is a plain date that `stored` (a plain date) refines."""
    coarse, fine = SourceDate(edtf=incoming.strip()).plain(), SourceDate(edtf=stored).plain()
    return (coarse is not None and fine is not None and len(str(coarse)) < len(str(fine))
            and str(fine).startswith(str(coarse)))


# The columns a source's fields fill, and what a new source holds before any is given.
COLUMNS = ("type", "title", "container", "publisher", "issued", "issued_literal",
           "issued_start", "issued_end", "url", "url_normalized", "doi", "accessed", "extra",
           "archived_url", "language", "note")
NEW = {**dict.fromkeys(COLUMNS), "type": "article", "title": ""}


def stored_values(values: SourceFields) -> dict[str, Any]:
    """The column values the given fields store, checked and normalised; no database.

    Only what the fields set is returned, so an edit leaves the rest alone; "" clears an
    optional field. `extra` holds the variables to set ("" removes one: `merge_extra` applies
    them) and `authors` the rows of `author_rows`. Every write path calls this: `add`/`edit`
    through `_apply`, an import's batch through `new_values`.
    """
    given = values.given()
    stored: dict[str, Any] = {}
    if "type" in given:
        if given["type"] not in CSL_TYPES:
            raise Invalid("type", given["type"], "not a CSL item type (e.g. article-newspaper, "
                          "report, webpage, article-journal, book, broadcast)")
        stored["type"] = given["type"]
    for name in ("title", "container", "publisher", "archived_url", "note"):
        if name in given:
            stored[name] = given[name].strip() or None
    if "language" in given:
        stored["language"] = _language(given["language"]) if given[
            "language"].strip() else None
    if "title" in given:
        if not given["title"].strip():
            raise Invalid("title", given["title"], "must not be empty")
        stored["title"] = given["title"].strip()
    if "date" in given:
        date = parse_source_date_optional(given["date"], "date")
        stored["issued"] = str(date) if date else None
        stored["issued_start"], stored["issued_end"] = date.span() if date else (None, None)
        if date:
            stored["issued_literal"] = None
    if given.get("date_literal", "").strip() and not (given.get("date") or "").strip():
        stored["issued_literal"] = " ".join(given["date_literal"].split())
        stored["issued"] = stored["issued_start"] = stored["issued_end"] = None
    elif "date_literal" in given and not given["date_literal"].strip():
        stored["issued_literal"] = None
    if "accessed" in given:
        accessed = parse_source_date_optional(given["accessed"], "accessed")
        stored["accessed"] = str(accessed) if accessed else None
    if "url" in given:
        url = given["url"].strip() or None
        stored["url"], stored["url_normalized"] = url, normalize_url(url) if url else None
    if "extra" in given:
        stored["extra"] = _checked_extra(given["extra"])
    if "doi" in given:
        stored["doi"] = normalize_doi(given["doi"]) if given["doi"].strip() else None
    if "authors" in given:
        stored["authors"] = author_rows(given["authors"])
    return stored


def new_values(values: SourceFields) -> dict[str, Any]:
    """Every column of a new source with these fields (no id, key or times), and its
    `authors` rows: what `add` stores, without a database."""
    if not values.title or not values.title.strip():
        raise Invalid("title", values.title or "", "must not be empty")
    stored = stored_values(values)
    return {**NEW, "authors": [], **stored,
            "extra": merge_extra(None, stored["extra"]) if "extra" in stored else None}


def author_rows(names: list[str]) -> list[dict[str, Any]]:
    """The `source_author` rows (without source_id) of these names, in order."""
    rows = []
    for position, name in enumerate(names):
        rows.append({"position": position, **parse_author(name)})
    return rows


def merge_extra(stored: dict[str, Any] | None, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Further CSL variables set variable by variable; an empty value removes that variable."""
    merged = {**(stored or {}), **changes}
    return {k: merged[k] for k in sorted(merged) if merged[k] not in (None, "", [], {})} or None


@functools.lru_cache(maxsize=4096)  # langcodes takes ~0.1 ms; an import repeats a few names
def _language(value: str) -> str:
    return normalize_language(value)


def _apply(session: Session, source: Source, values: SourceFields,
           same_url_check: bool = True) -> None:
    """Store the given fields (`stored_values`), then the checks that need the database."""
    given = values.given()
    for name, value in stored_values(values).items():
        if name == "extra":
            source.extra = merge_extra(source.extra, value)
        elif name == "authors":
            source.authors = [SourceAuthor(**row) for row in value]
        elif name == "doi":
            _refuse_duplicate(session, source, Source.doi, value, "doi", value)
            source.doi = value
        else:
            setattr(source, name, value)
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
        raise Invalid("field", unknown[0], "not a CSL variable (e.g. volume, page, ISSN, "
                      "publisher-place, editor)")
    in_columns = sorted(set(extra) & set(CSL_IN_COLUMNS))
    if in_columns:
        raise Invalid("field", in_columns[0], "kb keeps this one in its own field "
                      "(--title, --author, --date, --url ...)")
    return dict(extra)


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
                title is None or title_key(by_key.title) == title_key(title)):
            matches.append(by_key)
    return matches


def origin_ids(session: Session) -> dict[str, list[int]]:
    """The ids works had where they came from (a Zotero item number or URI, kept in
    custom.id when it could not be their key), read in one query for an import's look-ups."""
    stored = Source.extra["custom"]["id"].as_string()
    found: dict[str, list[int]] = {}
    for source_id, origin in session.execute(
            select(Source.id, stored).where(stored.is_not(None)).order_by(Source.id)):
        found.setdefault(origin, []).append(source_id)
    return found


def _same_work_by_url(session: Session, normalized: str, title: str, issued: str | None,
                      first: SourceAuthor | dict[str, Any] | None) -> list[Source]:
    work = same_work(title, issued, author_key(first))
    return [other for other in session.scalars(
                select(Source).where(Source.url_normalized == normalized).order_by(Source.id))
            if same_work(other.title, other.issued,
                         author_key(other.authors[0] if other.authors else None)) == work]


def same_work(title: str, issued: str | None, first_author: str | None
              ) -> tuple[str, int | None, str | None]:
    """What two sources with one normalised URL must share to be one work: the title (as
    `title_key`), the year and the first author (as `author_key`). Real libraries share
    placeholder URLs between distinct works."""
    return title_key(title), _year(issued), first_author


@functools.lru_cache(maxsize=4096)  # a complex EDTF date goes through the edtf package
def _year(issued: str | None) -> int | None:
    return SourceDate(edtf=issued).year if issued else None


def title_key(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def author_key(author: SourceAuthor | dict[str, Any] | None) -> str | None:
    """A first author as `same_work` compares it: family name, else the whole name."""
    if author is None:
        return None
    if isinstance(author, dict):
        name, family, literal = author["name"], author["family"], author["literal"]
    else:
        name, family, literal = author.name, author.family, author.literal
    return title_key(family or (name[1:-1] if literal else name))


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
    return snapshot_of(record(source))


def snapshot_of(fields: dict[str, Any]) -> dict[str, Any]:
    """A source's `record` as its history stores it (the key last)."""
    return {k: v for k, v in fields.items() if k != "key"} | {"key": fields["key"]}


def changes(before: dict[str, Any], after: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, before and after."""
    names = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in names}, {k: after.get(k) for k in names}


def _revise(session: Session, source: Source, action: str, before: dict[str, Any] | None,
            after: dict[str, Any] | None) -> None:
    session.add(SourceRevision(**revision_row(source.id, source.key, action, before, after,
                                              actor(), utcnow())))


def revision_row(source_id: int, key: str, action: str, before: dict[str, Any] | None,
                 after: dict[str, Any] | None, by: str, at: Any) -> dict[str, Any]:
    """The `source_revision` row of one change (an import inserts its creations in a batch)."""
    return {"source_id": source_id, "source_key": key, "action": action, "actor": by,
            "changed_at": at,
            "before": json.dumps(before, ensure_ascii=False) if before is not None else None,
            "after": json.dumps(after, ensure_ascii=False) if after is not None else None}


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
    record_removal(session, source)
    session.execute(delete(Source).where(Source.id == source_id))
    return Removal(claim_count, changes)


@dataclass
class Removal:
    claims: int
    standing_changes: list[StandingChange]


def record(source: Source) -> dict[str, Any]:
    """The JSON shape of a source (DESIGN's field names)."""
    return record_of({name: getattr(source, name) for name in ("key", *COLUMNS)},
                     [a.name for a in source.authors],
                     source.reports_on.key if source.reports_on else None)


def record_of(row: dict[str, Any], authors: list[str], reports_on: str | None
              ) -> dict[str, Any]:
    """The JSON shape of a source from its stored columns, its authors' names and the key of
    the source it reports on."""
    return {
        "key": row["key"],
        "type": row["type"],
        "title": row["title"],
        "publisher": row["publisher"],
        "container": row["container"],
        "authors": authors,
        "date": row["issued"],
        "date_literal": row["issued_literal"],
        "url": row["url"],
        "doi": row["doi"],
        "accessed": row["accessed"],
        "archived_url": row["archived_url"],
        "language": row["language"],
        "note": row["note"],
        "reports_on": reports_on,
        "extra": row["extra"] or {},
    }
