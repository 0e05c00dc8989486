"""Citations out (BibTeX, BibLaTeX, CSL-JSON, RIS, formatted) and sources in (imports)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kb.dates import SourceDate
from kb.errors import Invalid, KBError
from kb.formats import bibtex, csl_json, ris
from kb.formats.reference import CSL_TYPES, FormatError, Loaded, Name, Reference, decode
from kb.models import Claim, Source
from kb.services import sources
from kb.services.query import ClaimFilter, select_claims
from kb.services.sources import SourceFields
from kb.text import refuse_unkeepable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CITATION_FORMATS = ("bibtex", "biblatex", "csl-json", "ris", "text", "html")
IMPORT_FORMATS = {".bib": "bibtex", ".bibtex": "bibtex", ".json": "csl-json",
                  ".csl.json": "csl-json", ".ris": "ris", ".jsonl": "jsonl", ".ndjson": "jsonl",
                  ".csv": "csv"}


def reference(source: Source) -> Reference:
    return Reference(
        key=source.key, type=source.type, title=source.title,
        authors=[Name(literal=a.name[1:-1]) if a.literal else Name(family=a.family, given=a.given)
                 for a in source.authors],
        container=source.container, publisher=source.publisher,
        issued=SourceDate(edtf=source.issued) if source.issued else
        SourceDate(literal=source.issued_literal) if source.issued_literal else None,
        url=source.url, doi=source.doi,
        accessed=SourceDate(edtf=source.accessed) if source.accessed else None,
        language=source.language, note=source.note, extra=dict(source.extra or {}),
    )


def sources_for(session: Session, where: ClaimFilter | None) -> list[Source]:
    """The distinct sources behind the matching claims; every source without filters."""
    if where is None or where == ClaimFilter():
        return sources.list_all(session)
    if where.source and replace(where, source=None) == ClaimFilter():
        # `--source KEY` alone names the source: its citation does not wait for its claims.
        return [sources.get(session, where.source)]
    behind = select_claims(session, where).with_only_columns(Claim.source_id)
    return list(session.scalars(
        select(Source).where(Source.id.in_(behind)).order_by(Source.key)))


def render(refs: list[Reference], fmt: str, style: str = "apa") -> str:
    if fmt == "bibtex":
        return bibtex.dump(refs)
    if fmt == "biblatex":
        return bibtex.dump(refs, biblatex=True)
    if fmt == "csl-json":
        return csl_json.dump(refs)
    if fmt == "ris":
        return ris.dump(refs)
    if fmt in ("text", "html"):
        from kb.formats import styles

        try:
            path = styles.style_path(style)
        except LookupError as exc:
            raise Invalid("style", style, str(exc)) from None
        try:
            return styles.render([csl_json.to_item(r) for r in refs], path, html=fmt == "html")
        except styles.RenderError as exc:
            raise KBError(str(exc)) from None
    raise Invalid("format", fmt, f"expected one of {', '.join(CITATION_FORMATS)}")


def export(session: Session, where: ClaimFilter | None, fmt: str, style: str = "apa") -> str:
    return render([reference(s) for s in sources_for(session, where)], fmt, style)


# Import ---------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did: every record is added, updated, unchanged, skipped or left out."""

    added: list[str] = field(default_factory=list)
    updated: dict[str, list[tuple[str, Any, Any]]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # duplicates, without --overwrite
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (record, why)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"added {len(self.added)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}, skipped {len(self.skipped)} (already here), "
                f"left out {len(self.left_out)} (invalid); {len(self.warnings)} warning(s)")


def detect_format(filename: str, given: str | None) -> str:
    if given:
        return given
    lowered = filename.lower()
    for suffix, fmt in sorted(IMPORT_FORMATS.items(), key=lambda kv: -len(kv[0])):
        if lowered.endswith(suffix):
            return fmt
    raise Invalid("format", filename, "cannot tell the format from the extension; "
                  "give --format bibtex|csl-json|ris|jsonl|csv")


WARNING_KIND = {"bibtex": "BibLaTeX field", "biblatex": "BibLaTeX field",
                "csl-json": "CSL-JSON key", "ris": "RIS tag"}


def parse(data: bytes | str, fmt: str, name: str = "the file") -> Loaded:
    """A citation file read whole; a file kb cannot decode or parse is refused naming where."""
    try:
        text = decode(data) if isinstance(data, bytes) else data
        if fmt in ("bibtex", "biblatex"):
            loaded = bibtex.load(text)
        elif fmt == "csl-json":
            loaded = csl_json.load(text)
        elif fmt == "ris":
            loaded = ris.load(text)
        else:
            raise Invalid("format", fmt, "expected bibtex, csl-json or ris")
    except FormatError as exc:
        raise KBError(f"cannot import {name}: {exc}; nothing was imported") from None
    loaded.warnings = loaded.all_warnings(WARNING_KIND[fmt])
    loaded.unmapped.where.clear()
    # A NUL can only come from the file's text: looking for it record by record cost 25% of a
    # BibTeX import, so only a file that holds one is searched for where.
    has_nul = "\x00" in text or "\\u0000" in text  # a NUL escaped in JSON too
    for number, ref in enumerate(loaded.references, start=1):
        ref.origin = ref.origin or (f"entry {ref.key}" if fmt in ("bibtex", "biblatex")
                                    else ref.key or f"record {number}")
        if not has_nul:
            continue
        try:
            refuse_unkeepable(ref, "")
        except Invalid as exc:
            raise KBError(f"cannot import {name}: {ref.origin}: {exc}; nothing was imported"
                          ) from None
    return loaded


def fields_of(ref: Reference) -> SourceFields:
    issued = ref.issued
    return SourceFields(
        title=ref.title,
        type=(ref.type if ref.type in CSL_TYPES else "document") if ref.type_known else None,
        container=ref.container, publisher=ref.publisher,
        authors=[n.as_kb() for n in ref.authors],
        date=issued.edtf if issued and issued.edtf else None,
        date_literal=issued.literal if issued and issued.literal else None,
        url=ref.url, doi=ref.doi,
        accessed=str(ref.accessed) if ref.accessed and ref.accessed.edtf else None,
        language=ref.language, note=ref.note, extra=ref.extra or None,
    )


def import_references(session: Session, loaded: Loaded, overwrite: bool = False,
                      skip_invalid: bool = False) -> ImportReport:
    """Add each reference as a source; a duplicate (DOI; URL with title, year and first
    author; key with title) is skipped, or with `overwrite` filled in from the record.

    A record kb cannot take (no title, a malformed DOI or URL) refuses the whole import, naming
    it: the caller's transaction rolls back. With `skip_invalid` it is left out, with why, and
    the rest goes in.
    """
    report = ImportReport(warnings=list(loaded.warnings))
    if loaded.invalid and not skip_invalid:
        why = loaded.invalid[0][1]
        more = len(loaded.invalid) - 1
        raise KBError(f"cannot import: {why}"
                      + (f" (and {more} more record(s) kb cannot take)" if more else "")
                      + "; nothing was imported (--skip-invalid imports the rest)")
    report.left_out += loaded.invalid
    state = _ImportState()
    from kb.services import library

    if any(ref.key and not _valid_key(ref.key) for ref in loaded.references):
        _origins(session, state)
    for start in range(0, len(loaded.references), library.CHUNK):
        chunk = loaded.references[start:start + library.CHUNK]
        prepared = []
        for ref in chunk:
            values = fields_of(ref)
            values.type = ref.type if ref.type in CSL_TYPES else "document"
            prepared.append((ref, values))
        # The records that collide with nothing go in together; the rest one by one, after.
        plan = library.plan(session, [(ref.key, values) for ref, values in prepared],
                            state.origins)
        for source_id, key, origin in library.insert_new(session, plan.fast):
            state.from_this_file[source_id] = origin
            if origin != key and origin and state.origins is not None:
                state.origins.setdefault(origin, []).append(source_id)
            report.added.append(key)
        for position in plan.slow:
            _import_checked(session, *prepared[position], overwrite, skip_invalid, report,
                            state)
    return report


def _import_checked(session: Session, ref: Reference, values: SourceFields, overwrite: bool,
                    skip_invalid: bool, report: ImportReport, state: _ImportState) -> None:
    """One record by the record-by-record rules; a refusal ends the import or leaves it out."""
    label = _label(ref)
    try:
        if skip_invalid:  # a savepoint each, so that a refused record leaves no trace
            with session.begin_nested():
                _import_one(session, ref, values, overwrite, report, state)
        else:  # the first refusal rolls the whole import back
            _import_one(session, ref, values, overwrite, report, state)
    except KBError as exc:
        if not skip_invalid:
            raise KBError(f"cannot import {label}: {exc}; nothing was imported "
                          "(--skip-invalid imports the rest)") from None
        report.left_out.append((label, f"{label}: {exc}"))


@dataclass
class _ImportState:
    # Sources this import added, with the id their record had in the file.
    from_this_file: dict[int, str] = field(default_factory=dict)
    # Original ids (custom.id) -> sources, read once when first needed.
    origins: dict[str, list[int]] | None = None


def _import_one(session: Session, ref: Reference, values: SourceFields, overwrite: bool,
                report: ImportReport, state: _ImportState) -> None:
    label = _label(ref)
    existing = _same_work(session, ref, values, state)
    if existing is not None and not overwrite:
        report.skipped.append(label)
        report.warnings.append(f"{label}: already here as {existing.key} ({_why(existing, values)}"
                               "); skipped (--overwrite fills it in from this record)")
        return
    if existing is not None:
        if not ref.type_known:
            values.type = None
        changed = sources.overwrite(session, existing.key, values)
        if changed:
            report.updated[existing.key] = changed
        else:
            report.unchanged.append(existing.key)
        return
    key = ref.key if ref.key and _usable_key(session, ref.key) else None
    if ref.key and key is None:
        # The id the work had where it came from (a Zotero item number or URI), so that the
        # same file imported again finds each of its works again.
        custom = dict((values.extra or {}).get("custom") or {})
        values.extra = {**(values.extra or {}), "custom": {**custom, "id": ref.key}}
    source = sources.add(session, values, key=key, distinct=True)
    state.from_this_file[source.id] = ref.key
    if key is None and ref.key and state.origins is not None:
        state.origins.setdefault(ref.key, []).append(source.id)
    report.added.append(source.key)


def _why(existing: Source, values: SourceFields) -> str:
    from kb.identifiers import normalize_doi, normalize_url

    if values.doi and existing.doi == normalize_doi(values.doi):
        return "same DOI"
    if values.url and existing.url_normalized == normalize_url(values.url):
        return "same URL, title, year and first author"
    return "same key and title"


def _origin_id(source: Source) -> str:
    return str(((source.extra or {}).get("custom") or {}).get("id") or source.key)


def _origins(session: Session, state: _ImportState) -> dict[str, list[int]]:
    if state.origins is None:
        state.origins = sources.origin_ids(session)
    return state.origins


def _same_work(session: Session, ref: Reference, values: SourceFields,
               state: _ImportState) -> Source | None:
    """The stored source this record is, if any (see sources.find_duplicates).

    Within one file, records the file gives distinct ids are distinct works unless their DOI
    says otherwise: Zotero's export of its 34 item types shares one URL, title and year, and
    mostly the authors too, between 34 items. Across files the content decides.
    """
    found = sources.find_duplicates(session, ref.key or None, values.doi, values.url,
                                    title=values.title, date=values.date,
                                    authors=values.authors)
    if ref.key and not _valid_key(ref.key):
        title = sources.title_key(values.title or "")
        found += [other for source_id in _origins(session, state).get(ref.key, [])
                  if (other := session.get(Source, source_id)) is not None
                  and other not in found and sources.title_key(other.title) == title]
    if not found:
        return None
    from kb.identifiers import normalize_doi

    if values.doi and found[0].doi == normalize_doi(values.doi):
        return found[0]  # the DOI decides, within a file too
    if ref.key:
        found = [s for s in found if state.from_this_file.get(s.id, ref.key) == ref.key]
        exact = [s for s in found if _origin_id(s) == ref.key]
        found = exact or found
    return found[0] if found else None


def _label(ref: Reference) -> str:
    if ref.key and ref.key not in ref.origin:
        return f"{ref.origin} ({ref.key})" if ref.origin else ref.key
    return ref.origin or ref.key


def _valid_key(key: str) -> bool:
    try:
        sources.validate_key(key)
    except Invalid:
        return False
    # Zotero numbers its items; a number makes a poor citation key, so kb makes one.
    return not key.isdigit()


def _usable_key(session: Session, key: str) -> bool:
    return _valid_key(key) and session.scalar(
        select(Source.id).where(Source.key == key)) is None
