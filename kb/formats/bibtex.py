"""BibTeX (for `bibtex` and `plain.bst`) and BibLaTeX (for biber), written and read.

Each CSL type maps to the entry type that fits it; when a work lacks what that entry type
requires (an author, a journal, an institution), it is written as `@misc`, which requires
nothing, so neither bibtex nor biber warns. `entrysubtype` keeps the CSL type wherever the
entry type alone would lose it, so an export reads back as the same sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.dates import PartialDate, parse_date
from kb.errors import Invalid
from kb.formats.reference import CSL_TYPES, FormatError, Name, Reference

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class EntryType:
    name: str
    container: str | None  # the field that holds the container title
    publisher: str | None  # the field that holds the publisher
    requires: tuple[str, ...]  # kb fields that must be present: author, container, publisher


BIBLATEX = {
    "article-journal": EntryType("article", "journaltitle", None, ("author", "container")),
    "article-magazine": EntryType("article", "journaltitle", None, ("author", "container")),
    "article-newspaper": EntryType("article", "journaltitle", None, ("author", "container")),
    "book": EntryType("book", None, "publisher", ("author",)),
    "chapter": EntryType("inbook", "booktitle", "publisher", ("author", "container")),
    "paper-conference": EntryType("inproceedings", "booktitle", "publisher",
                                  ("author", "container")),
    "report": EntryType("report", None, "institution", ("author", "publisher")),
    "thesis": EntryType("thesis", None, "institution", ("author", "publisher")),
    "webpage": EntryType("online", "titleaddon", "organization", ("url",)),
    "post-weblog": EntryType("online", "titleaddon", "organization", ("url",)),
    "post": EntryType("online", "titleaddon", "organization", ("url",)),
    "dataset": EntryType("dataset", None, "publisher", ()),
    "software": EntryType("software", "howpublished", "organization", ()),
}
BIBLATEX_MISC = EntryType("misc", "howpublished", "organization", ())

BIBTEX = {
    "article-journal": EntryType("article", "journal", None, ("author", "container", "year")),
    "article-magazine": EntryType("article", "journal", None, ("author", "container", "year")),
    "article-newspaper": EntryType("article", "journal", None, ("author", "container", "year")),
    "book": EntryType("book", None, "publisher", ("author", "publisher", "year")),
    "chapter": EntryType("incollection", "booktitle", "publisher",
                         ("author", "container", "publisher", "year")),
    "paper-conference": EntryType("inproceedings", "booktitle", "publisher",
                                  ("author", "container", "year")),
    "report": EntryType("techreport", None, "institution", ("author", "publisher", "year")),
    "thesis": EntryType("phdthesis", None, "school", ("author", "publisher", "year")),
}
BIBTEX_MISC = EntryType("misc", "howpublished", "organization", ())

# Reading: the CSL type an entry type stands for when no entrysubtype says otherwise.
DEFAULT_CSL = {
    "article": "article-journal", "book": "book", "inbook": "chapter",
    "incollection": "chapter", "inproceedings": "paper-conference",
    "conference": "paper-conference", "report": "report", "techreport": "report",
    "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis", "online": "webpage",
    "www": "webpage", "dataset": "dataset", "software": "software", "manual": "report",
    "patent": "patent", "periodical": "periodical", "collection": "book",
    "mvbook": "book", "proceedings": "book", "unpublished": "manuscript", "booklet": "pamphlet",
    "misc": "document",
}
SUBTYPES = {"newspaper": "article-newspaper", "magazine": "article-magazine"}
SUBTYPE_OF = {v: k for k, v in SUBTYPES.items()}
SKIPPED_TYPES = {"set", "xdata"}  # biblatex containers of other entries, not works

_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
             "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
             "^": r"\textasciicircum{}"}
_SPECIAL_RE = re.compile(r"[\\{}&%$#_~^]")


def escape(text: str) -> str:
    """LaTeX specials escaped; never used on `url` or `doi`, which are verbatim."""
    return _SPECIAL_RE.sub(lambda m: _SPECIALS[m.group()], text)


def _name(name: Name) -> str:
    if name.literal is not None:
        return "{" + escape(name.literal) + "}"  # braced: never split into given and family
    family = escape(name.family or "")
    family = "{" + family + "}" if " " in family else family
    return f"{family}, {escape(name.given)}" if name.given else family


def _present(ref: Reference, need: str) -> bool:
    return bool({"author": ref.authors, "container": ref.container, "publisher": ref.publisher,
                 "url": ref.url or ref.doi, "year": ref.issued}[need])


def _entry(ref: Reference, biblatex: bool) -> str:
    table, misc = (BIBLATEX, BIBLATEX_MISC) if biblatex else (BIBTEX, BIBTEX_MISC)
    kind = table.get(ref.type, misc)
    if not all(_present(ref, need) for need in kind.requires):
        kind = misc
    fields: list[tuple[str, str]] = []

    def add(name: str, value: str | None, raw: bool = False) -> None:
        if value:
            fields.append((name, value if raw else "{" + value + "}"))

    add("author", " and ".join(_name(n) for n in ref.authors))
    # Double braces keep plain.bst from lower-casing the title; biblatex needs no such guard.
    add("title", "{" + escape(ref.title) + "}" if not biblatex else escape(ref.title))
    if kind.container and ref.container:
        add(kind.container, escape(ref.container))
    if kind.publisher and ref.publisher:
        add(kind.publisher, escape(ref.publisher))
    if kind.name in ("report", "thesis") and biblatex:
        add("type", "report" if kind.name == "report" else "phdthesis")
    if not ref.authors and not biblatex:
        # plain.bst sorts and labels by author; with none it needs `key`.
        add("key", escape(ref.publisher or ref.container or ref.title))
    if ref.issued:
        if biblatex:
            add("date", str(ref.issued))
        else:
            add("year", str(ref.issued.year))
            if ref.issued.month:
                add("month", MONTHS[ref.issued.month - 1], raw=True)
            add("date", str(ref.issued))  # ignored by plain.bst; keeps the day for kb
    add("url", ref.url)
    add("doi", ref.doi)
    add("urldate", str(ref.accessed) if ref.accessed else None)
    add("langid", ref.language)
    add("annotation" if biblatex else "annote", escape(ref.note) if ref.note else None)
    if DEFAULT_CSL.get(kind.name) != ref.type:
        add("entrysubtype", SUBTYPE_OF.get(ref.type, ref.type))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{kind.name}{{{ref.key},\n{body},\n}}\n"


def dump(refs: list[Reference], biblatex: bool = False) -> str:
    return "\n".join(_entry(ref, biblatex) for ref in refs)


# Reading -------------------------------------------------------------------------------------


def _decode(text: str) -> str:
    """LaTeX to Unicode (accents, escaped specials), braces dropped, NFC."""
    import unicodedata

    from pylatexenc.latex2text import LatexNodes2Text

    # pylatexenc reads ~ as a space and ^ as a modifier letter; keep the characters we escaped.
    for macro, placeholder in _KEEP.items():
        text = text.replace(macro, placeholder)
    plain = LatexNodes2Text(math_mode="verbatim", keep_braced_groups=False).latex_to_text(text)
    for macro, placeholder in _KEEP.items():
        plain = plain.replace(placeholder, _SPECIALS_BACK[macro])
    return unicodedata.normalize("NFC", " ".join(plain.split()))


_KEEP = {r"\textasciitilde{}": "\ue000", r"\textasciicircum{}": "\ue001"}
_SPECIALS_BACK = {r"\textasciitilde{}": "~", r"\textasciicircum{}": "^"}


def _names_from(value: str) -> list[Name]:
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    names = []
    for person in split_multiple_persons_names(value):
        person = person.strip()
        if person.startswith("{") and person.endswith("}") and _balanced(person[1:-1]):
            names.append(Name(literal=_decode(person[1:-1])))
            continue
        parts = parse_single_name_into_parts(person)
        family = " ".join(parts.von + parts.last)
        given = " ".join(parts.first + parts.jr)
        names.append(Name(family=_decode(family) or None, given=_decode(given) or None))
    return names


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _date_from(fields: dict[str, str], key: str) -> PartialDate | None:
    raw = fields.get("date")
    try:
        if raw:
            return parse_date(raw.split("/")[0].strip(), "date")  # a range starts the span
        year = fields.get("year")
        if not year:
            return None
        month = fields.get("month", "").strip().lower()[:3]
        number = MONTHS.index(month) + 1 if month in MONTHS else (
            int(month) if month.isdigit() else None)
        return parse_date(f"{year.strip()}-{number:02d}" if number else year.strip(), "date")
    except Invalid as exc:
        raise FormatError(f"entry {key}: {exc}") from None


def load(text: str) -> tuple[list[Reference], list[str]]:
    """The references in a .bib file, and warnings for entries that are not works."""
    import bibtexparser

    library = bibtexparser.parse_string(text)  # resolves @string macros, strips braces
    if library.failed_blocks:
        block = library.failed_blocks[0]
        first_line = (block.raw or "").strip().splitlines()[0][:60] if block.raw else ""
        reason = ("duplicate key " + repr(getattr(block, "key", "")))\
            if type(block).__name__ == "DuplicateBlockKeyBlock" else "cannot be parsed"
        raise FormatError(f"line {(block.start_line or 0) + 1}: {reason}: {first_line}")
    by_key = {e.key: e for e in library.entries}
    refs: list[Reference] = []
    warnings: list[str] = []
    for entry in library.entries:
        kind = entry.entry_type.lower()
        if kind in SKIPPED_TYPES:
            warnings.append(f"entry {entry.key}: @{kind} groups other entries; skipped")
            continue
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        parent = by_key.get(fields.get("crossref", ""))
        if parent is not None:  # biblatex crossref: the child inherits what it lacks
            inherited = {f.key.lower(): str(f.value) for f in parent.fields}
            if "title" in inherited and "booktitle" not in fields:
                fields["booktitle"] = inherited["title"]
            for name in ("publisher", "date", "year", "month", "location", "institution"):
                if name in inherited and name not in fields:
                    fields[name] = inherited[name]
        title = fields.get("title")
        if not title or not _decode(title):
            raise FormatError(f"entry {entry.key} (line {(entry.start_line or 0) + 1}): no title")
        subtype = fields.get("entrysubtype", "").strip()
        csl_type = SUBTYPES.get(subtype) or (subtype if subtype in CSL_TYPES else None) \
            or DEFAULT_CSL.get(kind, "document")
        container = next((fields[f] for f in ("journaltitle", "journal", "booktitle",
                                               "titleaddon", "howpublished") if f in fields), None)
        publisher = next((fields[f] for f in ("publisher", "institution", "school",
                                               "organization") if f in fields), None)
        authors = fields.get("author") or fields.get("editor") or ""
        refs.append(Reference(
            key=entry.key, type=csl_type, title=_decode(title),
            authors=_names_from(authors) if authors.strip() else [],
            container=_decode(container) if container else None,
            publisher=_decode(publisher) if publisher else None,
            issued=_date_from(fields, entry.key),
            url=fields.get("url", "").strip() or None,
            doi=fields.get("doi", "").strip() or None,
            accessed=_date_from({"date": fields["urldate"]}, entry.key)
            if fields.get("urldate") else None,
            language=(fields.get("langid") or fields.get("language") or "").strip() or None,
            note=_decode(fields.get("annotation") or fields.get("annote") or "") or None,
        ))
    return refs, warnings

