"""The record every citation format reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.dates import SourceDate


# CSL 1.0.2 item types.
CSL_TYPES = (
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage",
)


@dataclass(frozen=True)
class Name:
    """A person (family, given) or an organisation (literal), never both."""

    family: str | None = None
    given: str | None = None
    literal: str | None = None

    @classmethod
    def parse(cls, text: str) -> Name:
        """kb's own spelling: `{Organisation}`, `Family, Given` or `Given Family`."""
        text = " ".join(text.split())
        if text.startswith("{") and text.endswith("}"):
            return cls(literal=text[1:-1])
        if "," in text:
            family, given = (p.strip() for p in text.split(",", 1))
            return cls(family=family, given=given or None)
        *given_names, last = text.split(" ")
        return cls(family=last, given=" ".join(given_names) or None)

    def as_kb(self) -> str:
        """Back to kb's spelling (what `--author` takes)."""
        if self.literal is not None:
            return "{" + self.literal + "}"
        return f"{self.family}, {self.given}" if self.given else str(self.family)


@dataclass
class Reference:
    """A citable work, as the formats see it (CSL's vocabulary)."""

    key: str
    type: str
    title: str
    authors: list[Name] = field(default_factory=list)
    container: str | None = None
    publisher: str | None = None
    issued: SourceDate | None = None
    url: str | None = None
    doi: str | None = None
    accessed: SourceDate | None = None
    language: str | None = None
    note: str | None = None
    # Every other CSL variable by its CSL name (volume, page, ISSN, publisher-place, editor ...);
    # names as CSL name objects, dates as CSL date objects. Further URLs: custom.urls.
    extra: dict[str, Any] = field(default_factory=dict)
    # False when the file did not say (no CSL type, a bare @misc, RIS GEN): an overwrite then
    # keeps the type already stored.
    type_known: bool = True
    # Where in its file the record stands ("entry knuth:ct", "item 3", "record 2").
    origin: str = ""

    @property
    def urls(self) -> list[str]:
        """Every URL of the work, the main one first."""
        more = (self.extra.get("custom") or {}).get("urls") or []
        return [u for u in [self.url, *more] if u]


# CSL 1.0.2 variables (the input schema, csl-data.json), by kind.
CSL_NAME_VARIABLES = (
    "author", "chair", "collection-editor", "compiler", "composer", "container-author",
    "contributor", "curator", "director", "editor", "editorial-director", "executive-producer",
    "guest", "host", "interviewer", "illustrator", "narrator", "organizer", "original-author",
    "performer", "producer", "recipient", "reviewed-author", "script-writer", "series-creator",
    "translator",
)
CSL_DATE_VARIABLES = ("accessed", "available-date", "event-date", "issued", "original-date",
                      "submitted")
CSL_NUMBER_VARIABLES = (
    "chapter-number", "citation-number", "collection-number", "edition",
    "first-reference-note-number", "issue", "locator", "number", "number-of-pages",
    "number-of-volumes", "page", "page-first", "part", "printing", "supplement", "volume",
)
CSL_TEXT_VARIABLES = (
    "citation-key", "language", "abstract", "annote", "archive", "archive_collection",
    "archive_location", "archive-place", "authority", "call-number", "citation-label",
    "collection-title", "container-title", "container-title-short", "dimensions", "division",
    "DOI", "event", "event-title", "event-place", "genre", "ISBN", "ISSN", "jurisdiction",
    "keyword", "medium", "note", "original-publisher", "original-publisher-place",
    "original-title", "part-title", "PMCID", "PMID", "publisher", "publisher-place",
    "references", "reviewed-genre", "reviewed-title", "scale", "section", "source", "status",
    "title", "title-short", "URL", "version", "volume-title", "volume-title-short",
    "year-suffix",
)
# What kb keeps in its own columns; every other variable lives in `extra`.
CSL_IN_COLUMNS = ("id", "type", "title", "author", "container-title", "publisher", "issued",
                  "URL", "DOI", "accessed", "language", "annote")
CSL_VARIABLES = frozenset((*CSL_NAME_VARIABLES, *CSL_DATE_VARIABLES, *CSL_NUMBER_VARIABLES,
                           *CSL_TEXT_VARIABLES, "categories", "custom"))
# Zotero's older spellings.
CSL_ALIASES = {"shortTitle": "title-short", "journalAbbreviation": "container-title-short"}


class FormatError(ValueError):
    """A file that cannot be read; the message names the line or record."""


class Unmapped:
    """Fields a file carries that kb has no place for: named in one warning per field."""

    def __init__(self) -> None:
        self.where: dict[str, list[str]] = {}

    def add(self, field: str, where: str) -> None:
        self.where.setdefault(field, []).append(where)

    def warnings(self, kind: str = "field") -> list[str]:
        out = []
        for name, places in sorted(self.where.items()):
            shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more"
                                             if len(places) > 3 else "")
            out.append(f"{kind} {name!r} has no place in kb and was not kept ({shown})")
        return out


@dataclass
class Loaded:
    """A file read: its references, the records kb cannot take (with why), and warnings."""

    references: list[Reference] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unmapped: Unmapped = field(default_factory=Unmapped)

    def all_warnings(self, kind: str = "field") -> list[str]:
        return [*self.warnings, *self.unmapped.warnings(kind)]


def decode(data: bytes) -> str:
    """A file's bytes as text (UTF-8, a byte-order mark dropped), or why not and where."""
    nul = data.find(b"\x00")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        raise FormatError(f"not a text file (a NUL byte at byte {nul}, line {line})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormatError(f"not UTF-8 text (byte {exc.start}, line {line}: "
                          f"{data[exc.start:exc.start + 1]!r}); convert it to UTF-8 first, "
                          "e.g. iconv -f latin1 -t utf-8") from None
