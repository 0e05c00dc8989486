"""A citation library in, batched: the rules of `sources.add` for a whole chunk of records.

Measured on a generated 1,000-entry BibTeX library (bench/library.py), the record-by-record
path spent ~75% of its time in about five SELECTs and two ORM flushes per record (duplicate
checks, key checks, the insert, the history row). Here a chunk of records is checked with a
few `IN` queries (keys, DOIs, normalised URLs) and the new works go in with three
executemany INSERTs (source, source_author, source_revision).

Only records that provably touch nothing are taken this way: a record whose DOI, normalised
URL or key is already stored, or repeats one of an earlier record of the same chunk, or whose
id is a stored work's original id, goes through the record-by-record path
(`citations._import_one`) after the chunk's new works are in, so every duplicate rule keeps one
implementation. So does a record kb would refuse, so that the refusal reads the same.
"""

from __future__ import annotations

import itertools
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import insert, select, text

from kb.errors import Invalid
from kb.models import Source, SourceAuthor, SourceRevision, utcnow
from kb.services import sources

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sqlalchemy import Table
    from sqlalchemy.orm import Session

    from kb.services.sources import SourceFields

CHUNK = 500  # records per round of look-ups: well under SQLite's 32,766 bound parameters


@dataclass
class NewSource:
    """A record ready to insert: the source row, its author rows, its original key."""

    row: dict[str, Any]
    authors: list[dict[str, Any]]
    origin: str  # the key the record had in its file ("" when none)


def new_row(values: SourceFields) -> NewSource:
    """The stored values of a new source, as `sources.add(..., distinct=True)` stores them
    (the one source rule, `sources.new_values`); Invalid for what it refuses."""
    row = sources.new_values(values)
    authors = row.pop("authors")
    return NewSource(row, authors, "")


def key_stem(row: dict[str, Any], authors: list[dict[str, Any]]) -> str:
    """What `sources.make_key` starts from, for a row not yet stored."""
    first = authors[0] if authors else None
    shown = (first["name"][1:-1] if first["literal"] else first["name"]) if first else ""
    return sources.key_stem(row["title"], row["issued"], row["container"], row["publisher"],
                            (first["family"], shown) if first else None)


def _stored(session: Session, column: Any, values: Iterable[str | None]) -> set[str]:
    wanted = sorted({v for v in values if v})
    return set(session.scalars(select(column).where(column.in_(wanted)))) if wanted else set()


@dataclass
class Plan:
    fast: list[NewSource]
    slow: list[int]  # positions in the chunk, for the record-by-record path


def plan(session: Session, chunk: list[tuple[str, SourceFields]],
         origins: dict[str, list[int]] | None) -> Plan:
    """Which records of a chunk are new works that collide with nothing, and their rows.

    `chunk` holds (the record's key in its file, its fields); `origins` the stored works'
    original ids when some record's key cannot be a kb key (sources.origin_ids).
    """
    prepared: list[NewSource | None] = []
    for origin, values in chunk:
        try:
            new = new_row(values)
        except Invalid:
            prepared.append(None)
            continue
        new.origin = origin
        prepared.append(new)
    ready = [p for p in prepared if p is not None]
    keys = _stored(session, Source.key, (p.origin for p in ready))
    dois = _stored(session, Source.doi, (p.row["doi"] for p in ready))
    urls = _stored(session, Source.url_normalized, (p.row["url_normalized"] for p in ready))
    seen_keys: set[str] = set()
    seen_dois: set[str] = set()
    seen_urls: set[str] = set()
    fast: list[NewSource] = []
    slow: list[int] = []
    for position, maybe in enumerate(prepared):
        if maybe is None:
            slow.append(position)
            continue
        new = maybe
        doi, url, origin = new.row["doi"], new.row["url_normalized"], new.origin
        valid = bool(origin) and _valid_key(origin)
        if (doi and (doi in dois or doi in seen_dois)) or (
                url and (url in urls or url in seen_urls)) or (
                origin and (origin in keys or origin in seen_keys)) or (
                origin and not valid and origins is not None and origin in origins):
            slow.append(position)
        else:
            fast.append(new)
        # A later record repeating any of these goes the careful way, whichever way this went.
        if doi:
            seen_dois.add(doi)
        if url:
            seen_urls.add(url)
        if origin:
            seen_keys.add(origin)
    return Plan(fast, slow)


def _valid_key(key: str) -> bool:
    try:
        sources.validate_key(key)
    except Invalid:
        return False
    return not key.isdigit()  # as citations._valid_key: kb makes a key for a Zotero number


def insert_new(session: Session, new: list[NewSource]) -> list[tuple[int, str, str]]:
    """Insert the works (keys made as `sources.make_key` makes them), their authors and their
    "create" history; (id, key, original key) of each, in order."""
    if not new:
        return []
    for item in new:
        if item.origin and _valid_key(item.origin):
            item.row["key"] = item.origin
        else:
            item.row["key"] = None
            if item.origin:  # the id it had where it came from, to find it again
                extra = dict(item.row["extra"] or {})
                extra["custom"] = {**dict(extra.get("custom") or {}), "id": item.origin}
                item.row["extra"] = {k: extra[k] for k in sorted(extra)}
    _make_keys(session, [item for item in new if item.row["key"] is None],
               {item.row["key"] for item in new if item.row["key"]})
    now = utcnow()
    rows = [item.row | {"created_at": now, "updated_at": now} for item in new]
    # Plain executemany, then the ids by key: RETURNING in parameter order made SQLAlchemy
    # send the rows one statement each (2.5 s of a 1,000-entry import).
    with _index_paused(session) as indexed:
        session.execute(insert(_table(Source)), rows)
        by_key = {key: source_id for key, source_id in session.execute(
            select(Source.key, Source.id).where(Source.key.in_([row["key"] for row in rows])))}
        ids = [by_key[row["key"]] for row in rows]
        authors = [a | {"source_id": source_id}
                   for source_id, item in zip(ids, new, strict=True) for a in item.authors]
        if authors:
            session.execute(insert(_table(SourceAuthor)), authors)
        indexed.extend(ids)
    who = sources.actor()
    session.execute(insert(_table(SourceRevision)), [
        sources.revision_row(source_id, item.row["key"], "create", None, sources.snapshot_of(
            sources.record_of(item.row, [a["name"] for a in item.authors], None)), who, now)
        for source_id, item in zip(ids, new, strict=True)])
    return [(source_id, item.row["key"], item.origin)
            for source_id, item in zip(ids, new, strict=True)]


# The triggers that index a new source and re-index it for each author row (migration 0011).
_INDEX_TRIGGERS = ("source_fts_insert", "source_fts_author_insert")


@contextmanager
def _index_paused(session: Session) -> Iterator[list[int]]:
    """Sources inserted inside (their ids appended to the list yielded) are indexed in one
    statement at the end, not once per source and again per author.

    SQLite only, as `fulltext.index_paused` does for claims: the import holds the write lock,
    so nobody searches a half-filled index, and an error rolls the dropped triggers back with
    everything else. PostgreSQL keeps its triggers.
    """
    ids: list[int] = []
    if session.get_bind().dialect.name != "sqlite":
        yield ids
        return
    triggers = [sql for name in _INDEX_TRIGGERS if (sql := session.scalar(text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": name}))]
    paused = len(triggers) == len(_INDEX_TRIGGERS)
    if paused:
        for name in _INDEX_TRIGGERS:
            session.execute(text(f"DROP TRIGGER {name}"))
    yield ids
    if paused:
        session.execute(text(
            "INSERT INTO source_fts (rowid, title, authors, container, doi) "
            "SELECT * FROM source_fts_text WHERE id IN (SELECT value FROM json_each(:ids))"),
            {"ids": json.dumps(ids)})
        for sql in triggers:
            session.execute(text(sql))


def _table(model: Any) -> Table:
    """The Core table of a model: a Core INSERT skips the ORM's per-row bookkeeping."""
    return cast("Table", model.__table__)


def _make_keys(session: Session, keyless: list[NewSource], taken: set[str]) -> None:
    stems = {id(item): key_stem(item.row, item.authors) for item in keyless}
    stored = _stored(session, Source.key, stems.values())
    suffixes = ["", *"abcdefghijklmnopqrstuvwxyz"]
    for item in keyless:
        stem = stems[id(item)]
        for suffix in itertools.chain(suffixes, map(str, itertools.count(2))):
            key = stem + suffix
            if key in taken or key in stored:
                continue
            if suffix and session.scalar(select(Source.id).where(Source.key == key)):
                stored.add(key)
                continue
            break
        taken.add(key)
        item.row["key"] = key
