"""Bulk claims in and out: claim files (kb.formats.claim_files), streamed, in one transaction.

Import: a claim is made by the same rule and rows as `kb claim add` (`claims.normalize`,
`claims.rows`), evidence by `evidence.normalize`, sources by `sources.new_values` and
`sources.revision_row` (what `sources.add` stores); the import only batches. Per batch of lines
it looks up the inline sources with a few IN queries, adds the new ones with their "create"
history, then inserts the claims and their links with Core executemany. Claim ids are assigned
here, under the write lock the import holds, so no round trip is needed to learn them. A bad
line raises, naming it, and the caller's transaction rolls back: the database is as it was.

Export: the same rows path as listings (`query.records`), a batch of claims at a time. A
filtered JSON Lines export also carries every claim its evidence cites or that supersedes one
of them (and theirs, until none is missing), so the file imports back whole into an empty
database; and what a listing leaves out and an import keeps (who made each claim, when and by
whom it was superseded, the notices about its sources: kb.formats.jsonl).
"""

from __future__ import annotations

import bisect
import functools
import json
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import aliased

from kb.dates import parse_source_date_optional
from kb.errors import Invalid, KBError
from kb.formats.claim_files import BadRecord, Line
from kb.identifiers import normalize_doi, normalize_url
from kb.models import Claim, Evidence, Source, SourceAuthor, SourceRevision, utcnow
from kb.services import claims, evidence, fulltext, loading, provenance, sources, taxonomy
from kb.services.claims import ClaimFields, Resolver
from kb.services.sources import SourceFields
from kb.services.sources import actor as current_actor

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sqlalchemy.orm import Session

    from kb.formats.jsonl import Kept

BATCH = 5000
SOURCE_KEYS = ("key", *(f.name for f in fields(SourceFields)))


class IdMap:
    """Old claim ids (from the file) to new ones, stored as runs.

    An export numbers claims in ascending order, so a million claims usually make one run:
    the map stays a few bytes where a dict would hold a hundred megabytes.
    """

    def __init__(self) -> None:
        self.starts: list[int] = []  # first old id of each run, ascending
        self.runs: list[tuple[int, int]] = []  # (new id of the run's first claim, length)
        self.other: dict[Any, int] = {}  # ids that fit no run (not integers, or out of order)

    def add(self, old: Any, new: int) -> None:
        if isinstance(old, int) and not isinstance(old, bool):
            if self.starts:
                first_new, length = self.runs[-1]
                if old == self.starts[-1] + length and new == first_new + length:
                    self.runs[-1] = (first_new, length + 1)
                    return
            if not self.starts or old > self.starts[-1] + self.runs[-1][1] - 1:
                self.starts.append(old)
                self.runs.append((new, 1))
                return
        self.other[old] = new

    def get(self, old: Any) -> int | None:
        if old in self.other:
            return self.other[old]
        if isinstance(old, int) and self.starts:
            index = bisect.bisect_right(self.starts, old) - 1
            if index >= 0:
                first_new, length = self.runs[index]
                if old < self.starts[index] + length:
                    return first_new + old - self.starts[index]
        return None

    def __contains__(self, old: Any) -> bool:
        return self.get(old) is not None


@dataclass
class ImportSummary:
    claims: int = 0
    sources: int = 0
    evidence: int = 0
    withdrawn: int = 0  # claims retracted or superseded, as the file said
    notices: int = 0  # notices about sources (retractions, expressions of concern ...)


def import_claims(session: Session, lines: Iterable[Line],
                  progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Import the lines of a claim file, all or nothing."""
    importer = Importer(session)
    # The tables foreign keys point into, analysed as they grow (issue 11: a plan cached for a
    # small table scanned it once per claim).
    statistics = loading.Statistics(session, ("claim", "source", "actor", "theme"))
    with fulltext.index_paused(session):
        for line in lines:
            importer.take(line)
            if importer.pending >= BATCH:
                importer.flush()
                statistics.grown({"claim": importer.summary.claims,
                                  "source": importer.summary.sources,
                                  "actor": len(importer.resolve.actors),
                                  "theme": len(importer.resolve.themes)})
                if progress:
                    progress(importer.summary.claims)
        importer.finish()
    fulltext.follow_ids(session, "claim")
    return importer.summary


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise Invalid(name, value, "expected text")


def _as_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise Invalid(name, value, "expected a list of strings")


@dataclass
class Importer:
    """One import: lines are taken, then flushed in batches (sources, claims, evidence)."""

    session: Session
    summary: ImportSummary = field(default_factory=ImportSummary)
    resolve: Resolver = field(init=False)
    next_id: int = field(init=False)
    ids: IdMap = field(default_factory=IdMap)
    now: Any = field(default_factory=utcnow)
    # Waiting for the next flush: inline sources, claims, and evidence whose claim may come
    # later in the file (kept to the end only then, so memory stays flat in claim order).
    sources: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    claims: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    evidence: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    # Inline sources already placed, by their identities (see `_identities`).
    placed: dict[tuple[Any, ...], int] = field(default_factory=dict)
    issued: dict[int, str | None] = field(default_factory=dict)
    next_source_id: int | None = None
    reports_on: dict[str, str] = field(default_factory=dict)
    # The source of each inline record waiting in this batch, by line number.
    line_source: dict[int, int] = field(default_factory=dict)
    actor: str = field(default_factory=current_actor)
    # What JSON Lines claim lines keep of their history (kb.formats.jsonl.Kept), by new claim
    # id: times until their batch is flushed, retractions and supersessions until the end
    # (a claim may be superseded by one later in the file); notices until the end too.
    kept: dict[int, Kept] = field(default_factory=dict)
    withdrawn: list[tuple[int, int, Kept]] = field(default_factory=list)
    notices: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.resolve = Resolver(self.session)
        self.next_id = fulltext.last_id(self.session, "claim") + 1

    @property
    def pending(self) -> int:
        return len(self.claims)

    def take(self, line: Line) -> None:
        with _naming(line.number):
            if line.kind == "region":
                self._region(line.data["region_record"])
            elif line.kind == "source":
                self.sources.append((line.number, self._source_record(line.data["source_record"])))
            elif line.kind == "notice":
                self.notices.append((line.number, line.data["notice_record"]))
            else:
                self._claim(line)

    def _region(self, region: Any) -> None:
        if not isinstance(region, dict) or not region.get("name"):
            raise Invalid("region_record", region, "needs a name and countries")
        if taxonomy.find_region(self.session, region["name"]) is None:
            taxonomy.add_region(self.session, region["name"],
                                _as_list(region.get("countries"), "countries") or [],
                                _text(region.get("note"), "note"))

    @staticmethod
    def _source_record(record: Any) -> dict[str, Any]:
        if not isinstance(record, dict):
            raise Invalid("source_record", record, "expected a source object")
        problem = _unknown_source_keys(record)
        if problem:
            raise KBError(f"source_record: {problem}")
        if not record.get("title"):
            raise Invalid("source_record", record.get("key") or record,
                          "a source needs its title")
        for name, value in record.items():
            if name == "authors":
                if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
                    raise Invalid("authors", value, "expected a list of names")
            elif name == "extra":  # the other CSL variables, by CSL name
                if value is not None and not isinstance(value, dict):
                    raise Invalid("extra", value, "expected an object of CSL variables")
            else:
                _text(value, name)
        return record

    def _claim(self, line: Line) -> None:
        data = line.data
        inline = data.get("source_record")
        key = data.get("source")
        if inline is not None:
            inline = self._source_record(inline)
            if key is not None and inline.get("key") not in (None, key):
                raise Invalid("source", key, f"names another source than its source_record "
                              f"({inline.get('key')!r})")
            self.sources.append((line.number, inline))
        elif not isinstance(key, str) or not key:
            raise Invalid("source", key, "every claim needs the key of an existing source "
                          "or its source_record")
        claim_id = self.next_id
        self.next_id += 1
        if data.get("id") is not None:
            self.ids.add(data["id"], claim_id)
        self.claims.append((line.number, claim_id, data))
        if line.kept is not None:
            self.kept[claim_id] = line.kept
            if line.kept.withdrawn:
                self.withdrawn.append((line.number, claim_id, line.kept))
        links = data.get("evidence") or []
        if not isinstance(links, list):
            raise Invalid("evidence", links, "expected a list of evidence objects")
        for link in links:
            self.evidence.append((line.number, claim_id, link))

    def flush(self) -> None:
        self._place_sources()
        batch: dict[str, list[dict[str, Any]]] = {name: [] for name in claims.TABLES}
        for number, claim_id, data in self.claims:
            with _naming(number):
                source_id, issued = self._source_of(number, data)
                values = ClaimFields(
                    text=_text(data.get("text"), "text") or "",
                    quote=_text(data.get("quote"), "quote"),
                    locator=_text(data.get("locator"), "locator"),
                    date=_text(data.get("date"), "date"),
                    countries=(_as_list(data.get("countries"), "countries") or [])
                    + (_as_list(data.get("regions"), "regions") or []),
                    themes=_as_list(data.get("themes"), "themes"),
                    actors=_as_list(data.get("actors"), "actors"),
                    stance=_text(data.get("stance"), "stance"),
                    attributed_to=_text(data.get("attributed_to"), "attributed_to"))
                built = claims.rows(claim_id, source_id, claims.normalize(values, issued),
                                    self.resolve, self.now)
                if claim_id in self.kept:
                    _keep_times(built["claim"][0], self.kept.pop(claim_id))
            for name, found in built.items():
                batch[name] += found
        claims.insert_rows(self.session, batch)
        self.summary.claims += len(self.claims)
        self.claims.clear()
        self.line_source.clear()
        ready = [item for item in self.evidence if self._target_known(item[2])]
        if ready:
            self._insert_evidence(ready)
            self.evidence = [item for item in self.evidence if not self._target_known(item[2])]

    def finish(self) -> None:
        self.flush()
        for key, other in self.reports_on.items():
            try:
                sources.edit(self.session, key, SourceFields(reports_on=other))
            except KBError as exc:
                raise KBError(f"source {key}: {exc}; nothing was imported") from None
        self._insert_evidence(self.evidence)
        self._restore_withdrawals()
        self._restore_notices()
        if self.summary.claims:  # claims keep who made them: the log says who brought them
            provenance.log(self.session, "claim", None, "imported", None,
                           {"claims": self.summary.claims, "withdrawn": self.summary.withdrawn,
                            "notices": self.summary.notices})
        if self.next_source_id is not None:
            fulltext.follow_ids(self.session, "source")

    # What JSON Lines keeps: retractions, supersessions, notices -----------------------------

    def _restore_withdrawals(self) -> None:
        rows = []
        for number, claim_id, kept in self.withdrawn:
            with _naming(number):
                by = None
                if kept.superseded_by is not None:
                    by = self.ids.get(kept.superseded_by)
                    if by is None:
                        raise KBError(f"superseded_by claim {kept.superseded_by} is not in "
                                      "the file")
                    if by == claim_id:
                        raise Invalid("superseded_by", kept.superseded_by,
                                      "a claim cannot supersede itself")
            rows.append({"claim_id": claim_id, "reason": kept.reason,
                         "retracted_at": (kept.retracted_at or self.now) if kept.reason
                         else None,
                         "superseded_by_id": by,
                         "superseded_at": (kept.superseded_at or self.now) if by else None,
                         "actor": kept.actor or self.actor})
        provenance.restore_withdrawals(self.session, rows)
        self.summary.withdrawn += len(rows)

    def _restore_notices(self) -> None:
        found = []
        for number, record in self.notices:
            with _naming(number):
                found.append((self.resolve.source(record["source"])[0], record))
                # Checked here, so that a bad value names its line.
                provenance.notice_values(record["kind"], record.get("reason"),
                                         record.get("notice_doi"), record.get("date"))
        self.summary.notices += provenance.restore_notices(self.session, found, self.now,
                                                           self.actor)

    # Sources ------------------------------------------------------------------------------

    def _source_of(self, number: int, data: dict[str, Any]) -> tuple[int, str | None]:
        if data.get("source_record") is not None:
            source_id = self.line_source[number]
            return source_id, self.issued[source_id]
        return self.resolve.source(data["source"])

    def _placed(self, identities: list[tuple[Any, ...]]) -> int | None:
        for identity in identities:
            if identity in self.placed:
                return self.placed[identity]
        return None

    def _place_sources(self) -> None:
        """Each inline source: the source already here or earlier in the file (the same
        work by `sources.find_duplicates`' rule, see `_identities`), else a new one.

        The look-ups are IN queries per batch (by DOI, by normalised URL with the rest of the
        work compared here, by key); the new sources, their authors and their "create"
        revisions are three executemany statements (one by one through the ORM they took
        2 ms each)."""
        todo = []
        placed = self.placed
        for number, record in self.sources:  # every line: a try is free, `_naming` ~1 us
            try:
                identities = _identities(record)
            except KBError as exc:
                raise BadRecord(number, str(exc)) from None
            found = next((placed[i] for i in identities if i in placed), None)
            if found is None:
                todo.append((number, record, identities))
            else:
                self.line_source[number] = found
        self.sources.clear()
        if not todo:
            return
        self._look_up([identity for _, _, identities in todo for identity in identities])
        new: list[dict[str, Any]] = []
        authors: list[dict[str, Any]] = []
        revisions: list[dict[str, Any]] = []
        slow = []
        for number, record, identities in todo:
            with _naming(number):
                found = self._placed(identities)
                if found is None and not record.get("key"):
                    slow.append((number, record, identities))  # kb makes its key from the database
                    continue
                if found is None:
                    found = self._next_source_id()
                    row, names, revision = source_rows(record, found, self.now, self.actor)
                    new.append(row)
                    authors += names
                    revisions.append(revision)
                    self._register(row["key"], found, row["issued"], record)
                for identity in identities:
                    self.placed.setdefault(identity, found)
                self.line_source[number] = found
                if record.get("key"):
                    self.resolve.sources.setdefault(record["key"], (found, self.issued[found]))
        if new:
            self.session.execute(insert(claims.table(Source)), new)
            if authors:
                self.session.execute(insert(claims.table(SourceAuthor)), authors)
            self.session.execute(insert(claims.table(SourceRevision)), revisions)
        if slow and self.next_source_id is not None:
            # The service's ids come from the server's sequence (PostgreSQL): past ours.
            fulltext.follow_ids(self.session, "source")
        for number, record, identities in slow:
            with _naming(number):
                found = self._placed(identities) or self._add_source(record)
                for identity in identities:
                    self.placed.setdefault(identity, found)
                self.line_source[number] = found
        if slow:
            self.next_source_id = None  # after the service's, whatever ids it took

    def _look_up(self, identities: list[tuple[Any, ...]]) -> None:
        """The stored sources these identities name, into `placed`."""
        wanted: dict[str, set[str]] = {"doi": set(), "url": set(), "key": set()}
        for kind, value, *_ in identities:
            if kind in wanted:
                wanted[kind].add(value)
        first = aliased(SourceAuthor)
        query = (select(Source.id, Source.key, Source.issued, Source.doi, Source.url_normalized,
                        Source.title, first.name, first.family, first.literal)
                 .outerjoin(first, (first.source_id == Source.id) & (first.position == 0)))
        columns: dict[str, Any] = {"doi": Source.doi, "url": Source.url_normalized,
                                   "key": Source.key}
        identity: tuple[Any, ...]
        for name, column in columns.items():
            values = sorted(wanted[name])
            for start in range(0, len(values), 900):
                for row in self.session.execute(query.where(
                        column.in_(values[start:start + 900])).order_by(Source.id)):
                    if name == "doi":
                        identity = ("doi", row.doi)
                    elif name == "key":
                        identity = ("key", row.key)
                    else:
                        author = None if row.name is None else {
                            "name": row.name, "family": row.family, "literal": row.literal}
                        identity = ("url", row.url_normalized, *sources.same_work(
                            row.title, row.issued, sources.author_key(author)))
                    self.placed.setdefault(identity, row.id)  # the oldest, as the service
                    self.issued[row.id] = row.issued
                    self.resolve.sources[row.key] = (row.id, row.issued)

    def _next_source_id(self) -> int:
        if self.next_source_id is None:
            self.next_source_id = fulltext.last_id(self.session, "source") + 1
        self.next_source_id += 1
        return self.next_source_id - 1

    def _register(self, key: str, source_id: int, issued: str | None,
                  record: dict[str, Any]) -> None:
        self.resolve.sources[key] = (source_id, issued)
        self.issued[source_id] = issued
        self.placed[("key", key)] = source_id
        if record.get("reports_on"):  # linked at the end: the other source may come later
            self.reports_on[key] = record["reports_on"]
        self.summary.sources += 1

    def _add_source(self, record: dict[str, Any]) -> int:
        with self.session.no_autoflush:
            source = sources.add(self.session, _fields(record), key=record.get("key") or None)
        self._register(source.key, source.id, source.issued, record)
        return source.id

    # Evidence -----------------------------------------------------------------------------

    def _target_known(self, link: Any) -> bool:
        return not isinstance(link, dict) or link.get("claim") is None or link["claim"] in self.ids

    def _insert_evidence(self, pending: list[tuple[int, int, dict[str, Any]]]) -> None:
        rows = []
        seen: set[tuple[int, str, int | None, int | None]] = set()
        for number, claim_id, link in pending:
            with _naming(number):
                if not isinstance(link, dict):
                    raise Invalid("evidence", link, "expected an evidence object")
                values = evidence.normalize(link.get("relation"), _text(link.get("quote"), "quote"),
                                            _text(link.get("locator"), "locator"),
                                            _text(link.get("note"), "note"))
                values["strength"] = provenance.strength(_text(link.get("strength"),
                                                               "strength"))
                target_claim = link.get("claim")
                key = _text(link.get("source"), "source")
                if (key is None) == (target_claim is None):
                    raise KBError("evidence is either a source or another claim: give one "
                                  "of source or claim")
                if target_claim is not None and target_claim not in self.ids:
                    raise KBError(f"evidence claim {target_claim} is not in the file")
                source_id = self.resolve.source(key)[0] if key is not None else None
                new_target = self.ids.get(target_claim)
                identity = (claim_id, values["relation"], source_id, new_target)
                if identity in seen:
                    what = f"source {key!r}" if key is not None else f"claim {target_claim}"
                    raise KBError(f"{what} {values['relation']} this claim twice")
                seen.add(identity)
            rows.append({**values, "claim_id": claim_id, "source_id": source_id,
                         "evidence_claim_id": new_target, "created_at": self.now})
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(Evidence), rows[start:start + BATCH])
        if rows:  # one line for the batch: who imported how many links (claims keep created_by)
            provenance.log(self.session, "evidence", None, "imported", None,
                           {"links": len(rows)})
        self.summary.evidence += len(rows)


def _keep_times(row: dict[str, Any], kept: Kept) -> None:
    """A claim row made as the file says it was: when, and by whom (kb.formats.jsonl.Kept)."""
    if kept.created is not None:
        row["created_at"] = row["updated_at"] = kept.created
        row["created_by"] = None  # made then by someone the file does not name: unknown
    if kept.created_by is not None:
        row["created_by"] = kept.created_by
    if kept.updated is not None:
        row["updated_at"] = kept.updated


def _fields(record: dict[str, Any]) -> SourceFields:
    """A source record's fields (reports_on is linked at the end; an empty one is not given)."""
    return SourceFields(**{k: record[k] for k in SOURCE_KEYS
                           if k not in ("key", "reports_on") and record.get(k)})


def source_rows(record: dict[str, Any], source_id: int, now: Any, by: str
                ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The rows `sources.add` stores for a new source with these fields and a key: the source,
    its authors and its "create" revision, by the same pure functions (`sources.new_values`,
    `sources.revision_row`), without a query: the batch's look-ups were done before. Pinned
    to `sources.add` by tests/test_write_path.py (an inline source equals the one
    `kb source add` makes, history included)."""
    values = sources.new_values(_fields(record))
    names = values.pop("authors")
    row = {**values, "id": source_id, "key": sources.validate_key(record["key"]),
           "reports_on_id": None, "created_at": now, "updated_at": now}
    after = sources.snapshot_of(sources.record_of(row, [a["name"] for a in names], None))
    revision = sources.revision_row(source_id, row["key"], "create", None, after, by, now)
    return row, [{**a, "source_id": source_id} for a in names], revision


def _identities(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    """How an import recognises a source it already has, in `sources.find_duplicates`' order:
    the DOI; else the normalised URL with the same title, year and first author
    (`sources.same_work`); else the key (the line names a source kb holds)."""
    get = record.get
    authors = get("authors")
    # No DOI, URL or key: the same record on another line of the file is the same source.
    return _identities_of(get("doi"), get("url"), get("key"), get("title"), get("date"),
                          authors[0] if authors else None) or [
        ("record", json.dumps(record, sort_keys=True))]


@functools.lru_cache(maxsize=65536)  # a source's lines repeat its record: normalise it once
def _identities_of(doi: Any, url: Any, key: Any, title: Any, date: Any, first: Any
                   ) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if doi and (doi := _text(doi, "doi") or "").strip():
        found.append(("doi", normalize_doi(doi)))
    if url and (url := _text(url, "url") or "").strip() and title:
        issued = parse_source_date_optional(_text(date, "date"), "date")
        author = sources.author_rows([first])[0] if first else None
        found.append(("url", normalize_url(url.strip()), *sources.same_work(
            title.strip(), str(issued) if issued else None, sources.author_key(author))))
    if key:
        found.append(("key", _text(key, "key") or ""))
    return found


def _unknown_source_keys(record: dict[str, Any]) -> str | None:
    from kb.formats.claim_files import unknown

    return unknown(record, SOURCE_KEYS, "key")


class _naming:
    """Turns a refusal inside into `line N: ...; nothing was imported`."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, _tb: Any) -> None:
        if isinstance(exc, KBError) and not isinstance(exc, BadRecord):
            raise BadRecord(self.number, str(exc)) from None


# Export ---------------------------------------------------------------------------------------


def closure(session: Session, claim_ids: list[int]) -> list[int]:
    """The claims, every claim their evidence cites and every claim superseding one of them,
    transitively, in id order."""
    from kb.models import ClaimRetraction

    found = set(claim_ids)
    frontier = list(found)
    while frontier:
        cited: set[int] = set()
        for start in range(0, len(frontier), 900):
            chunk = frontier[start:start + 900]
            cited.update(session.scalars(select(Evidence.evidence_claim_id).where(
                Evidence.claim_id.in_(chunk), Evidence.evidence_claim_id.is_not(None))))
            cited.update(i for i in session.scalars(select(ClaimRetraction.superseded_by_id)
                                                    .where(ClaimRetraction.claim_id.in_(chunk)))
                         if i is not None)
        frontier = sorted(cited - found)
        found.update(frontier)
    return sorted(found)


def export_lines(session: Session, claim_ids: list[int], fmt: str, every_source: bool = False,
                 raw: bool = False) -> Iterator[str]:
    """JSON Lines (regions, sources, then claims with their evidence and every claim that
    evidence cites) or CSV (the claims alone), chunk by chunk."""
    from kb.formats import csv_claims, jsonl
    from kb.services.query import records

    if fmt == "csv":
        writer = csv_claims.Writer(raw)
        yield writer.header()
    else:
        claim_ids = closure(session, claim_ids)
        for region in taxonomy.list_regions(session):
            yield jsonl.dumps({"region_record": {k: region[k] for k in ("name", "countries",
                                                                        "note")}})
        written = _sources_for(session, claim_ids, every_source)
        for source in written:
            yield jsonl.dumps({"source_record": sources.record(source)})
        for notice in provenance.notice_records(session, [s.id for s in written]):
            yield jsonl.dumps({"notice_record": notice})
    for start in range(0, len(claim_ids), 1000):
        chunk = claim_ids[start:start + 1000]
        rows = records(session, select(Claim).where(Claim.id.in_(chunk)).order_by(Claim.id))
        if fmt == "csv":
            for row in rows:
                yield writer.row(row)
            continue
        links = _evidence(session, chunk)
        kept = provenance.kept_fields(session, chunk)
        for row in rows:
            row["evidence"] = links.get(row["id"], [])
            row.update(kept[row["id"]])
            yield jsonl.dumps(row)


def _sources_for(session: Session, claim_ids: list[int], every_source: bool) -> list[Source]:
    if every_source:
        return sources.list_all(session)
    needed: set[int] = set()
    for start in range(0, len(claim_ids), 900):
        chunk = claim_ids[start:start + 900]
        needed.update(session.scalars(select(Claim.source_id).where(Claim.id.in_(chunk))))
        needed.update(i for i in session.scalars(select(Evidence.source_id).where(
            Evidence.claim_id.in_(chunk), Evidence.source_id.is_not(None))) if i is not None)
    every = sources.list_all(session)
    reports_on = {s.id: s.reports_on_id for s in every}
    for source_id in list(needed):  # and the sources they report on, which the file names
        while reports_on.get(source_id) is not None and reports_on[source_id] not in needed:
            source_id = reports_on[source_id]  # type: ignore[assignment]
            needed.add(source_id)
    return [s for s in every if s.id in needed]


def _evidence(session: Session, claim_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The evidence of these claims in one Core query, each claim's in id order."""
    found: dict[int, list[dict[str, Any]]] = {}
    for row in session.execute(
            select(Evidence.claim_id, Evidence.relation, Source.key, Evidence.evidence_claim_id,
                   Evidence.quote, Evidence.locator, Evidence.note, Evidence.strength)
            .outerjoin(Source, Source.id == Evidence.source_id)
            .where(Evidence.claim_id.in_(claim_ids)).order_by(Evidence.id)):
        found.setdefault(row.claim_id, []).append({
            "relation": row.relation, "source": row.key, "claim": row.evidence_claim_id,
            "quote": row.quote, "locator": row.locator, "note": row.note,
            "strength": row.strength})
    return found
