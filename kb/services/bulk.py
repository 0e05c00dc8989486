"""Bulk claims in and out: JSON Lines and CSV, streamed, in one transaction.

Import reads one line at a time, resolves each distinct source, country, region, theme and
actor once, and inserts claims and their links in batches through SQLAlchemy Core (the ORM's
unit of work is ~8x slower for this). Ids are assigned here, under the write lock the import
holds, so no round trip is needed to learn them. A bad record raises, naming its line, and the
caller's transaction rolls back: the database is left as it was.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, text

from kb.dates import parse_optional
from kb.errors import Invalid, KBError
from kb.models import (
    RELATIONS,
    Claim,
    ClaimActor,
    ClaimCountry,
    ClaimRegion,
    ClaimRevision,
    ClaimTheme,
    Evidence,
    utcnow,
)
from kb.services import sources, taxonomy
from kb.services.sources import SourceFields
from kb.text import NUL, refuse_nul

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sqlalchemy.orm import Session

BATCH = 5000
CSV_FIELDS = ["source", "text", "quote", "locator", "date", "countries", "themes", "actors"]
SOURCE_FIELDS = ("type", "title", "container", "publisher", "authors", "date", "url", "doi",
                 "accessed", "archived_url", "language", "note")


class BadRecord(KBError):
    """A line that cannot be imported; the whole import is refused."""


@dataclass
class Resolver:
    """Each distinct value is looked up (or created) once per import."""

    session: Session
    sources: dict[str, int] = field(default_factory=dict)
    places: dict[str, tuple[list[str], list[int]]] = field(default_factory=dict)
    themes: dict[str, int] = field(default_factory=dict)
    actors: dict[str, int] = field(default_factory=dict)
    reports_on: dict[str, str] = field(default_factory=dict)

    def source(self, key: str) -> int:
        if key not in self.sources:
            self.sources[key] = sources.get(self.session, key).id
        return self.sources[key]

    def place(self, name: str) -> tuple[list[str], list[int]]:
        if name not in self.places:
            found = taxonomy.resolve_places(self.session, [name])
            self.places[name] = ([c.code for c in found.countries],
                                 [r.id for r in found.regions])
        return self.places[name]

    def theme(self, path: str) -> int:
        if path not in self.themes:
            self.themes[path] = taxonomy.themes(self.session, [path])[0].id
        return self.themes[path]

    def actor(self, name: str) -> int:
        if name not in self.actors:
            self.actors[name] = taxonomy.actors(self.session, [name])[0].id
        return self.actors[name]


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


def _as_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise Invalid(name, value, "expected a list of strings")


def records_from_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadRecord(f"line {number}: not JSON ({exc.msg}); nothing was imported"
                            ) from None
        if not isinstance(record, dict):
            raise BadRecord(f"line {number}: expected a JSON object; nothing was imported")
        if NUL in line or "\\u0000" in line:  # cheap test first; most lines pass it
            _refuse_nul(record, number)
        yield number, record


def records_from_csv(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(lines)
    missing = {"source", "text"} - set(reader.fieldnames or [])
    if missing:
        raise BadRecord(f"line 1: the CSV header lacks {', '.join(sorted(missing))}; "
                        "nothing was imported")
    for row in reader:
        record = {k: (v if v != "" else None) for k, v in row.items() if k}
        _refuse_nul(record, reader.line_num)
        yield reader.line_num, record


def _refuse_nul(record: dict[str, Any], number: int) -> None:
    try:
        refuse_nul(record, "")
    except Invalid as exc:
        raise BadRecord(f"line {number}: {exc}; nothing was imported") from None


def import_claims(session: Session, records: Iterable[tuple[int, dict[str, Any]]],
                  progress: Callable[[int], None] | None = None) -> ImportSummary:
    summary = ImportSummary()
    resolve = Resolver(session)
    is_sqlite = session.get_bind().dialect.name == "sqlite"
    trigger_sql = None
    if is_sqlite:
        # FTS5 kept by a per-row trigger triples the cost of a bulk load; the import holds the
        # write lock, so the trigger steps aside and the index is filled once at the end.
        trigger_sql = session.scalar(text(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'claim_fts_insert'"))
        if trigger_sql:
            session.execute(text("DROP TRIGGER claim_fts_insert"))
    next_id = (session.scalar(select(func.max(Claim.id))) or 0) + 1
    first_id = next_id
    id_map = IdMap()
    pending_evidence: list[tuple[int, int, dict[str, Any]]] = []
    batch: dict[str, list[dict[str, Any]]] = {t: [] for t in ("claim", "country", "region",
                                                               "theme", "actor", "revision")}
    now = utcnow()

    def flush() -> None:
        for name, table in (("claim", Claim), ("country", ClaimCountry),
                            ("region", ClaimRegion), ("theme", ClaimTheme),
                            ("actor", ClaimActor), ("revision", ClaimRevision)):
            if batch[name]:
                session.execute(insert(table), batch[name])
                batch[name].clear()
        # Evidence whose claims are known goes in with its batch; only links to claims later
        # in the file wait for the end, so memory stays flat for a file in claim order.
        ready = [item for item in pending_evidence if _target_known(item[2], id_map)]
        if ready:
            summary.evidence += _import_evidence(session, ready, id_map, resolve)
            pending_evidence[:] = [i for i in pending_evidence if not _target_known(i[2], id_map)]

    for number, record in records:
        try:
            if "region_record" in record and not record.get("text"):
                region = record["region_record"]
                if not isinstance(region, dict) or not region.get("name"):
                    raise Invalid("region_record", region, "needs a name and countries")
                if taxonomy.find_region(session, region["name"]) is None:
                    taxonomy.add_region(session, region["name"],
                                        _as_list(region.get("countries"), "countries"),
                                        region.get("note"))
                continue
            if "source_record" in record and not record.get("text"):
                summary.sources += _import_source(session, record["source_record"], resolve)
                continue
            claim_id = next_id
            row = _claim_row(record, resolve, claim_id, now)
            codes: list[str] = []
            region_ids: list[int] = []
            for name in _as_list(record.get("countries"), "countries") + _as_list(
                    record.get("regions"), "regions"):
                found_codes, found_regions = resolve.place(name)
                codes += [c for c in found_codes if c not in codes]
                region_ids += [r for r in found_regions if r not in region_ids]
            theme_ids = sorted({resolve.theme(t) for t in _as_list(record.get("themes"),
                                                                     "themes")})
            actor_ids = sorted({resolve.actor(a) for a in _as_list(record.get("actors"),
                                                                     "actors")})
        except KBError as exc:
            raise BadRecord(f"line {number}: {exc}; nothing was imported") from None
        next_id += 1
        if "id" in record:
            id_map.add(record["id"], claim_id)
        batch["claim"].append(row)
        batch["country"] += [{"country_code": c, "claim_id": claim_id} for c in codes]
        batch["region"] += [{"region_id": r, "claim_id": claim_id} for r in region_ids]
        batch["theme"] += [{"theme_id": t, "claim_id": claim_id,
                            "date_start": row["date_start"]} for t in theme_ids]
        batch["actor"] += [{"actor_id": a, "claim_id": claim_id} for a in actor_ids]
        batch["revision"].append({"claim_id": claim_id, "action": "imported", "changed_at": now,
                                  "snapshot": json.dumps({k: record.get(k) for k in (
                                      "source", "text", "quote", "locator", "date", "countries",
                                      "themes", "actors")}, ensure_ascii=False)})
        for link in record.get("evidence") or []:
            pending_evidence.append((number, claim_id, link))
        summary.claims += 1
        if summary.claims % BATCH == 0:
            flush()
            if progress:
                progress(summary.claims)
    flush()
    for key, other in resolve.reports_on.items():
        try:
            sources.edit(session, key, SourceFields(reports_on=other))
        except KBError as exc:
            raise BadRecord(f"source {key}: {exc}; nothing was imported") from None
    summary.evidence += _import_evidence(session, pending_evidence, id_map, resolve)
    if trigger_sql:
        session.execute(text(
            "INSERT INTO claim_fts (rowid, text, quote, title) SELECT c.id, c.text, "
            "coalesce(c.quote, ''), s.title FROM claim c JOIN source s ON s.id = c.source_id "
            "WHERE c.id >= :first"), {"first": first_id})
        session.execute(text(trigger_sql))
        session.execute(text("PRAGMA optimize"))
    if not is_sqlite:  # ids were given explicitly: move the sequence past them
        session.execute(text("SELECT setval(pg_get_serial_sequence('claim', 'id'), "
                             "(SELECT max(id) FROM claim))"))
    return summary


def _target_known(link: Any, id_map: IdMap) -> bool:
    return not isinstance(link, dict) or link.get("claim") is None or link["claim"] in id_map


def _claim_row(record: dict[str, Any], resolve: Resolver, claim_id: int, now: Any
               ) -> dict[str, Any]:
    key = record.get("source")
    if not isinstance(key, str) or not key:
        raise Invalid("source", key, "every claim needs the key of an existing source")
    source_id = resolve.source(key)
    text_value = " ".join(str(record.get("text") or "").split())
    if not text_value:
        raise Invalid("text", record.get("text") or "", "a claim needs its statement text")
    date = parse_optional(record.get("date"), "date")
    return {"id": claim_id, "source_id": source_id, "text": text_value,
            "quote": record.get("quote") or None, "locator": record.get("locator") or None,
            "date": str(date) if date else None, "date_start": date.start if date else None,
            "date_end": date.end if date else None, "created_at": now, "updated_at": now}


def _import_source(session: Session, record: Any, resolve: Resolver) -> int:
    if not isinstance(record, dict) or not record.get("key"):
        raise Invalid("source_record", record, "needs at least a key and a title")
    existing = sources.find_duplicate(session, record["key"], record.get("doi"),
                                      record.get("url"))
    if existing is not None:
        resolve.sources[record["key"]] = existing.id
        return 0
    values = SourceFields(**{k: record.get(k) for k in SOURCE_FIELDS if record.get(k)})
    source = sources.add(session, values, key=record["key"])
    resolve.sources[source.key] = source.id
    if record.get("reports_on"):  # linked at the end: the other source may come later
        resolve.reports_on[source.key] = record["reports_on"]
    return 1


def _import_evidence(session: Session, pending: list[tuple[int, int, dict[str, Any]]],
                     id_map: IdMap, resolve: Resolver) -> int:
    rows = []
    for number, claim_id, link in pending:
        relation = link.get("relation")
        if relation not in RELATIONS:
            raise BadRecord(f"line {number}: invalid relation {relation!r}; nothing was "
                            "imported")
        target_claim = link.get("claim")
        if target_claim is not None and target_claim not in id_map:
            raise BadRecord(f"line {number}: evidence claim {target_claim} is not in the file; "
                            "nothing was imported")
        try:
            source_id = resolve.source(link["source"]) if link.get("source") else None
        except KBError as exc:
            raise BadRecord(f"line {number}: {exc}; nothing was imported") from None
        if (source_id is None) == (target_claim is None):
            raise BadRecord(f"line {number}: evidence needs exactly one of source or claim; "
                            "nothing was imported")
        rows.append({"claim_id": claim_id, "relation": relation, "source_id": source_id,
                     "evidence_claim_id": id_map.get(target_claim), "quote": link.get("quote"),
                     "locator": link.get("locator"), "note": link.get("note"),
                     "created_at": utcnow()})
    for start in range(0, len(rows), BATCH):
        session.execute(insert(Evidence), rows[start:start + BATCH])
    return len(rows)


# Export ---------------------------------------------------------------------------------------


def export_lines(session: Session, claim_ids: list[int], fmt: str, every_source: bool = False
                 ) -> Iterator[str]:
    """JSON Lines (sources first, then claims with their evidence) or CSV, chunk by chunk."""
    from kb.services.claims import record
    from kb.services.query import load
    from kb.services.status import statuses

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, lineterminator="\n", extrasaction="ignore")
    if fmt == "csv":
        writer.writeheader()
        yield buffer.getvalue()
    else:
        needed = {row for row, in session.execute(
            select(Claim.source_id).where(Claim.id.in_(claim_ids)).distinct())} if claim_ids \
            else set()
        needed |= {row for row, in session.execute(select(Evidence.source_id).where(
            Evidence.claim_id.in_(claim_ids), Evidence.source_id.is_not(None))) if row} \
            if claim_ids else set()
        for region in taxonomy.list_regions(session):
            yield json.dumps({"region_record": {k: region[k] for k in ("name", "countries",
                                                                        "note")}},
                             ensure_ascii=False) + "\n"
        for source in sources.list_all(session):
            if every_source or source.id in needed:
                yield json.dumps({"source_record": sources.record(source)},
                                 ensure_ascii=False) + "\n"
    for start in range(0, len(claim_ids), 1000):
        chunk = claim_ids[start:start + 1000]
        found = load(session, select(Claim).where(Claim.id.in_(chunk)).order_by(Claim.id)
                     .execution_options(populate_existing=True))
        standing = statuses(session, chunk)
        for claim in found:
            row = record(claim, standing[claim.id])
            if fmt == "csv":
                buffer.seek(0)
                buffer.truncate()
                row["countries"] = row["countries"] + row["regions"]
                writer.writerow({k: ";".join(v) if isinstance(v, list) else v
                                 for k, v in row.items()})
                yield buffer.getvalue()
                continue
            row["evidence"] = [{"relation": e.relation,
                                "source": e.source.key if e.source else None,
                                "claim": e.evidence_claim_id, "quote": e.quote,
                                "locator": e.locator, "note": e.note} for e in claim.evidence]
            yield json.dumps(row, ensure_ascii=False) + "\n"
        session.expunge_all()
