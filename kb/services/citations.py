"""Citations out (BibTeX, BibLaTeX, CSL-JSON, RIS, formatted) and sources in (imports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from kb.dates import parse_optional
from kb.errors import Invalid, KBError
from kb.formats import bibtex, csl_json, ris
from kb.formats.reference import CSL_TYPES, FormatError, Name, Reference
from kb.models import Claim, Source
from kb.services import sources
from kb.services.query import ClaimFilter, select_claims
from kb.services.sources import SourceFields
from kb.text import refuse_nul

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
        issued=parse_optional(source.issued), url=source.url, doi=source.doi,
        accessed=parse_optional(source.accessed), language=source.language, note=source.note,
    )


def sources_for(session: Session, where: ClaimFilter | None) -> list[Source]:
    """The distinct sources behind the matching claims; every source without filters."""
    if where is None or where == ClaimFilter():
        return sources.list_all(session)
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
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def detect_format(filename: str, given: str | None) -> str:
    if given:
        return given
    lowered = filename.lower()
    for suffix, fmt in sorted(IMPORT_FORMATS.items(), key=lambda kv: -len(kv[0])):
        if lowered.endswith(suffix):
            return fmt
    raise Invalid("format", filename, "cannot tell the format from the extension; "
                  "give --format bibtex|csl-json|ris|jsonl|csv")


def parse(text: str, fmt: str) -> tuple[list[Reference], list[str]]:
    try:
        if fmt in ("bibtex", "biblatex"):
            refs, warnings = bibtex.load(text)
        elif fmt == "csl-json":
            refs, warnings = csl_json.load(text), []
        elif fmt == "ris":
            refs, warnings = ris.load(text), []
        else:
            raise Invalid("format", fmt, "expected bibtex, csl-json or ris")
    except FormatError as exc:
        raise KBError(f"cannot import: {exc}; nothing was imported") from None
    for ref in refs:
        try:
            refuse_nul(ref, "")
        except Invalid as exc:
            raise KBError(f"cannot import: entry {ref.key}: {exc}; nothing was imported"
                          ) from None
    return refs, warnings


def fields_of(ref: Reference) -> SourceFields:
    return SourceFields(
        title=ref.title, type=ref.type if ref.type in CSL_TYPES else "document",
        container=ref.container, publisher=ref.publisher,
        authors=[n.as_kb() for n in ref.authors], date=str(ref.issued) if ref.issued else None,
        url=ref.url, doi=ref.doi, accessed=str(ref.accessed) if ref.accessed else None,
        language=ref.language, note=ref.note,
    )


def import_references(session: Session, refs: list[Reference], overwrite: bool = False
                      ) -> ImportReport:
    """Add each reference as a source; a duplicate (DOI, URL or key) is skipped or replaced.

    A reference kb cannot store (a malformed DOI or URL) refuses the whole import: the caller's
    transaction rolls back and nothing is imported.
    """
    report = ImportReport()
    for number, ref in enumerate(refs, start=1):
        label = ref.key or f"record {number}"
        values = fields_of(ref)
        try:
            existing = sources.find_duplicate(session, ref.key or None, values.doi, values.url)
            if existing is not None and not overwrite:
                report.skipped.append(label)
                report.warnings.append(f"{label}: already here as {existing.key}; skipped "
                                       "(--overwrite replaces it)")
                continue
            if existing is not None:
                sources.edit(session, existing.key, values)
                report.added.append(existing.key)
                continue
            key = ref.key if ref.key and _usable_key(session, ref.key) else None
            report.added.append(sources.add(session, values, key=key).key)
        except KBError as exc:
            raise KBError(f"cannot import {label}: {exc}; nothing was imported") from None
    return report


def _usable_key(session: Session, key: str) -> bool:
    try:
        sources.validate_key(key)
    except Invalid:
        return False
    # Zotero numbers its items; a number makes a poor citation key, so kb makes one.
    return not key.isdigit() and session.scalar(select(Source.id).where(Source.key == key)) is None
