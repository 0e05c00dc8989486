"""BibTeX (for `bibtex` and `plain.bst`) and BibLaTeX (for biber), written and read.

Each CSL type maps to the entry type that fits it; when a work lacks what that entry type
requires (an author, a journal, an institution), it is written as `@misc`, which requires
nothing, so neither bibtex nor biber warns. `entrysubtype` keeps the CSL type wherever the
entry type alone would lose it, so an export reads back as the same sources.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from kb.dates import SourceDate, parse_source_date
from kb.errors import Invalid
from kb.formats.reference import CSL_TYPES, FormatError, Loaded, Name, Reference
from kb.identifiers import babel_name, normalize_language

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
    "book": EntryType("book", "maintitle", "publisher", ("author",)),
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
    "book": EntryType("book", "maintitle", "publisher", ("author", "publisher", "year")),
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


# BibLaTeX field -> CSL variable; for a variable named by several fields the first is written.
FIELDS = {
    "volume": "volume", "pages": "page", "issn": "ISSN", "isbn": "ISBN",
    "location": "publisher-place", "address": "publisher-place", "edition": "edition",
    "series": "collection-title", "abstract": "abstract", "note": "note",
    "shorttitle": "title-short", "shortjournal": "container-title-short",
    "pagetotal": "number-of-pages", "volumes": "number-of-volumes", "chapter": "chapter-number",
    "version": "version", "keywords": "keyword", "eventtitle": "event-title",
    "venue": "event-place", "origpublisher": "original-publisher",
    "origlocation": "original-publisher-place", "origtitle": "original-title", "part": "part",
    "library": "call-number", "pubstate": "status", "addendum": "references",
}
# plain BibTeX's spelling where it differs.
BIBTEX_SPELLING = {"location": "address"}
NAME_FIELDS = {"editor": "editor", "translator": "translator", "bookauthor": "container-author"}
DATE_FIELDS = {"origdate": "original-date", "eventdate": "event-date"}
EPRINT_TYPES = {"pubmed": "PMID", "pmid": "PMID", "pmcid": "PMCID"}
# The `type` kb writes for a report or thesis when nothing more is known (biblatex needs one).
DEFAULT_TYPE = {"report": "report", "thesis": "phdthesis"}
_ISSUE_TYPES = ("article-journal", "article-magazine", "article-newspaper", "periodical")


def _present(ref: Reference, need: str) -> bool:
    return bool({"author": ref.authors, "container": ref.container, "publisher": ref.publisher,
                 "url": ref.url or ref.doi, "year": ref.issued}[need])


def _csl_names(people: list[dict[str, Any]]) -> str:
    from kb.formats.csl_json import _names

    return " and ".join(_name(n) for n in _names(people))


def _bibtex_year(date: SourceDate) -> str:
    """A year people read (`year` is text to bibtex): 2014--2015, 334 BC, the literal."""
    if date.edtf is None:
        return escape(date.literal or "")
    years = []
    for side in date.edtf.split("/"):
        found = SourceDate(edtf=side).year if side not in ("", "..") else None
        if found is not None:
            years.append(f"{1 - found} BC" if found <= 0 else str(found))
    return "--".join(dict.fromkeys(years))


def _entry(ref: Reference, biblatex: bool) -> str:
    from kb.formats.csl_json import date_from_csl

    table, misc = (BIBLATEX, BIBLATEX_MISC) if biblatex else (BIBTEX, BIBTEX_MISC)
    kind = table.get(ref.type, misc)
    if not all(_present(ref, need) for need in kind.requires):
        kind = misc
    fields: list[tuple[str, str]] = []
    extra = ref.extra

    def add(name: str, value: str | None, raw: bool = False) -> None:
        if value and name not in {f for f, _ in fields}:
            fields.append((name, value if raw else "{" + value + "}"))

    add("author", " and ".join(_name(n) for n in ref.authors))
    # Double braces keep plain.bst from lower-casing the title; biblatex needs no such guard.
    add("title", "{" + escape(ref.title) + "}" if not biblatex else escape(ref.title))
    if kind.container and ref.container:
        add(kind.container, escape(ref.container))
    if kind.publisher and ref.publisher:
        add(kind.publisher, escape(ref.publisher))
    if kind.name in ("report", "thesis") and biblatex:
        add("type", escape(str(extra.get("genre") or DEFAULT_TYPE[kind.name])))
    elif extra.get("genre"):
        add("type", escape(str(extra["genre"])))
    if not ref.authors and not biblatex:
        # plain.bst sorts and labels by author; with none it needs `key`.
        add("key", escape(ref.publisher or ref.container or ref.title))
    if ref.issued:
        plain = ref.issued.plain()
        if biblatex and ref.issued.edtf:
            add("date", str(ref.issued))
        elif biblatex:
            add("year", escape(str(ref.issued)))  # a literal ("13th cent") is no EDTF date
        else:
            add("year", _bibtex_year(ref.issued))
            if plain is not None and plain.month:
                add("month", MONTHS[plain.month - 1], raw=True)
            if ref.issued.edtf:
                add("date", str(ref.issued))  # ignored by plain.bst; keeps the day for kb
    add("url", ref.url)
    add("doi", ref.doi)
    add("urldate", str(ref.accessed) if ref.accessed else None)
    if ref.language:
        add("langid", babel_name(ref.language))
    add("annotation" if biblatex else "annote", escape(ref.note) if ref.note else None)
    if DEFAULT_CSL.get(kind.name) != ref.type:
        add("entrysubtype", SUBTYPE_OF.get(ref.type, ref.type))
    # The other CSL variables, each in the field that carries it.
    if extra.get("issue") and ref.type in _ISSUE_TYPES:
        add("number", escape(str(extra["issue"])))
    elif extra.get("issue"):
        add("issue", escape(str(extra["issue"])))
    if extra.get("number") and ref.type not in _ISSUE_TYPES:
        add("number", escape(str(extra["number"])))
    written = set()
    for name, variable in FIELDS.items():
        if extra.get(variable) not in (None, "") and variable not in written:
            written.add(variable)
            add(BIBTEX_SPELLING.get(name, name) if not biblatex else name,
                escape(str(extra[variable])))
    for name, variable in NAME_FIELDS.items():
        if extra.get(variable):
            add(name, _csl_names(extra[variable]))
    for name, variable in DATE_FIELDS.items():
        if extra.get(variable):
            date = date_from_csl(extra[variable], variable)
            if date is not None and date.edtf:
                add(name, date.edtf)
    origin = (extra.get("custom") or {}).get("id")
    if origin and "," not in str(origin):
        add("ids", str(origin))  # the record's id where it came from: an alias of the key
    for name, variable in EPRINT_TYPES.items():
        if extra.get(variable) and "eprint" not in {f for f, _ in fields}:
            add("eprint", escape(str(extra[variable])))
            add("eprinttype", name)
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{kind.name}{{{ref.key},\n{body},\n}}\n"


def dump(refs: list[Reference], biblatex: bool = False) -> str:
    return "\n".join(_entry(ref, biblatex) for ref in refs)


# Reading -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 16)
def _decode(text: str) -> str:
    """LaTeX to Unicode (accents, escaped specials, dashes, TeX's logos), braces dropped, NFC.

    Cached: a library repeats its names, journals and publishers (biblatex-examples.bib decodes
    ~40% of its strings more than once); bounded, so memory stays flat however long the file.
    """
    if not _LATEX.search(text):  # most fields: nothing for LaTeX to do (and 1 ms saved)
        return unicodedata.normalize("NFC", " ".join(text.split()))
    quick = _decode_common(text)
    if quick is not None:
        return quick
    return _decode_any(text)


# The LaTeX a .bib file mostly holds (accents, escaped specials, dashes, braces), decoded by
# hand: pylatexenc takes ~0.5 ms a string, this ~10 µs; anything else goes to pylatexenc. A
# test holds both to the same output over the real files in tests/data.
_ACCENT_MARKS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
                 "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
                 "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331"}
_LETTERS = {"o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ss": "ß", "ae": "æ", "AE": "Æ",
            "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "i": "\u0131", "j": "\u0237", "dj": "đ",
            "DJ": "Đ", "TeX": "TeX", "LaTeX": "LaTeX", "LaTeXe": "LaTeX2e", "BibTeX": "BibTeX",
            "hyphen": "-", "textendash": "\u2013", "textemdash": "—"}
_SYMBOL_ACCENT = re.compile(
    r"""\\(['`^"~=.])\s*(?:\{\s*([A-Za-z]|\\[ij])\s*\}|([A-Za-z]))""")
_LETTER_ACCENT = re.compile(r"\\([uvHckrdb])(?:\s*\{\s*([A-Za-z]|\\[ij])\s*\}|\s+([A-Za-z]))")
_LETTER_MACRO = re.compile(r"\\(" + "|".join(sorted(_LETTERS, key=len, reverse=True))
                           + r")(?![A-Za-z])(?:\{\}| *)")
_QUOTED = re.compile(r"\\(?:mkbibquote|enquote)\s*\{([^{}\\]*)\}")
_STYLED = re.compile(r"\\(?:emph|textit|textbf|textsc|texttt|textsf|textrm|textsl|textup|"
                     r"textmd|textnormal|mkbibemph|mkbibitalic|mkbibbold|mbox)\s*(?=\{)")
_ESCAPED = re.compile(r"\\([&%$#_])")
_UNSAFE = re.compile(r"(?<!\\)[$%#_^~]|``|''|\\[\\{}]")


def _accent(match: re.Match[str]) -> str:
    base = match.group(2) or match.group(3)
    base = {"\\i": "i", "\\j": "j"}.get(base, base)
    return base + _ACCENT_MARKS[match.group(1)]


def _decode_common(text: str) -> str | None:
    if _UNSAFE.search(text):
        return None

    out = _QUOTED.sub(lambda m: "“" + m.group(1) + "”", text)
    out = _STYLED.sub("", out)  # the braced argument stays, to be unbraced below
    out = _SYMBOL_ACCENT.sub(_accent, out)
    out = _LETTER_ACCENT.sub(_accent, out)
    out = _LETTER_MACRO.sub(lambda m: _LETTERS[m.group(1)], out)
    out = _ESCAPED.sub(lambda m: m.group(1), out).replace("\\ ", " ")
    if "\\" in out or not _balanced(out):
        return None
    out = out.replace("{", "").replace("}", "").replace("---", "—").replace("--", "\u2013")
    return unicodedata.normalize("NFC", " ".join(out.split()))


def _decode_any(text: str) -> str:
    text = re.sub(r"(?<!\\)&", r"\\&", text)  # a bare & is text in a .bib field, not a tab
    # pylatexenc reads ~ as a space and ^ as a modifier letter; keep the characters we escaped.
    for macro, placeholder in _KEEP.items():
        text = text.replace(macro, placeholder)
    converter, walker_context = _converter()
    from pylatexenc.latexwalker import LatexWalker

    # A walker given its context once: latex_to_text() builds pylatexenc's default context
    # anew on every call (2 ms each).
    nodes = LatexWalker(text, latex_context=walker_context, tolerant_parsing=True
                        ).get_latex_nodes()[0]
    plain = converter.nodelist_to_text(nodes)
    for macro, placeholder in _KEEP.items():
        plain = plain.replace(placeholder, _SPECIALS_BACK[macro])
    return unicodedata.normalize("NFC", " ".join(plain.split()))


def _converter() -> tuple[Any, Any]:
    from pylatexenc.latex2text import (
        LatexNodes2Text,
        MacroTextSpec,
        get_default_latex_context_db,
    )
    from pylatexenc.latexwalker import get_default_latex_context_db as walker_context

    global _CONVERTER, _WALKER_CONTEXT
    if _CONVERTER is None:
        from pylatexenc.macrospec import MacroSpec

        _WALKER_CONTEXT = walker_context()
        _WALKER_CONTEXT.add_context_category(
            "kb", macros=[MacroSpec("mkbibquote", "{"), MacroSpec("enquote", "{")],
            prepend=True)
        context = get_default_latex_context_db()
        # pylatexenc drops \texttt{...} whole; a title's "\texttt{eprint}" is text to keep.
        # TeX's logos and biblatex's own macros, as pandoc reads them; a control word takes
        # the spaces after it, so `The \TeX book` is "The TeXbook" (as pandoc has it).
        macros = [MacroTextSpec("texttt", discard=False),
                  MacroTextSpec("mkbibquote", simplify_repl="“%s”"),
                  MacroTextSpec("enquote", simplify_repl="“%s”"),
                  *(MacroTextSpec(name, simplify_repl=text) for name, text in _LETTERS.items()
                    if len(name) > 2)]
        context.add_context_category("kb", macros=macros, prepend=True)
        _CONVERTER = LatexNodes2Text(latex_context=context, math_mode="verbatim",
                                     keep_braced_groups=False)
    return _CONVERTER, _WALKER_CONTEXT


_CONVERTER: Any = None
_WALKER_CONTEXT: Any = None
_LATEX = re.compile(r"[\\{}$~%&#_^`'\"-]|--")
_KEEP = {r"\textasciitilde{}": "\ue000", r"\textasciicircum{}": "\ue001"}
_SPECIALS_BACK = {r"\textasciitilde{}": "~", r"\textasciicircum{}": "^"}


def _names_from(value: str) -> list[Name]:
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    # Accents first: the name splitter reads the ~ of `Nu\~{n}ez` as a space between names.
    value = unicodedata.normalize("NFC", _LETTER_ACCENT.sub(_accent, _SYMBOL_ACCENT.sub(
        _accent, value)))
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


def _date_from(fields: dict[str, str], key: str) -> SourceDate | None:
    """`date` (EDTF), else `year` and `month`; a year that is no date is kept as a literal."""
    raw = fields.get("date", "").strip()
    if raw:
        try:
            return parse_source_date(raw, "date")
        except Invalid:
            return SourceDate(literal=_decode(raw))
    year = _decode(fields.get("year", ""))
    if not year:
        return None
    month = fields.get("month", "").strip().lower()[:3]
    number = MONTHS.index(month) + 1 if month in MONTHS else (
        int(month) if month.isdigit() else None)
    text = f"{year}-{number:02d}" if number and re.fullmatch(r"\d{4}", year) else year
    try:
        return parse_source_date(text, "date")
    except Invalid:
        return SourceDate(literal=year)


# Read in load() itself, or bibliography control that has no meaning outside a .bib file.
_CONSUMED = {"author", "title", "subtitle", "titleaddon", "journaltitle", "journalsubtitle",
             "journal", "booktitle", "booksubtitle", "booktitleaddon", "maintitle",
             "mainsubtitle", "howpublished", "publisher", "institution", "school",
             "organization", "date", "year", "month", "url", "doi", "urldate", "langid",
             "language", "annotation", "annote", "entrysubtype", "crossref", "number", "issue",
             "type", "eprint", "eprinttype", "ids",
             "key"}  # `key`: plain.bst's sort label, which kb writes for works without authors


def _joined(fields: dict[str, str], main: str, sub: str) -> str | None:
    text = fields.get(main)
    if not text:
        return None
    if fields.get(sub):
        return f"{text}: {fields[sub]}"
    return text


def _with_addon(title: str | None, addon: str | None) -> str | None:
    """A title and its addon as pandoc joins them: `Elementary particle theory. Proceedings
    of the Eighth Nobel Symposium`."""
    return f"{title}. {addon}" if title and addon and addon.strip() else title


def load(text: str) -> Loaded:
    """The references in a .bib file; entries that are not works become warnings."""
    import bibtexparser

    library = bibtexparser.parse_string(text)  # resolves @string macros, strips braces
    if library.failed_blocks:
        block = library.failed_blocks[0]
        first_line = (block.raw or "").strip().splitlines()[0][:60] if block.raw else ""
        reason = ("duplicate key " + repr(getattr(block, "key", "")))\
            if type(block).__name__ == "DuplicateBlockKeyBlock" else "cannot be parsed"
        raise FormatError(f"line {(block.start_line or 0) + 1}: {reason}: {first_line}")
    by_key = {e.key: e for e in library.entries}
    loaded = Loaded()
    for entry in library.entries:
        kind = entry.entry_type.lower()
        where = f"entry {entry.key}"
        if kind in SKIPPED_TYPES:
            loaded.warnings.append(f"{where}: @{kind} groups other entries; skipped")
            continue
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        parent = by_key.get(fields.get("crossref", ""))
        if parent is not None:  # biblatex crossref: the child inherits what it lacks
            inherited = {f.key.lower(): str(f.value) for f in parent.fields}
            if "title" in inherited and "booktitle" not in fields:
                fields["booktitle"] = inherited["title"]
                if "subtitle" in inherited and "booksubtitle" not in fields:
                    fields["booksubtitle"] = inherited["subtitle"]
            for name in ("publisher", "date", "year", "month", "location", "institution"):
                if name in inherited and name not in fields:
                    fields[name] = inherited[name]
        try:
            loaded.references.append(_reference(entry.key, kind, fields, where, loaded))
        except FormatError as exc:
            loaded.invalid.append((where, str(exc)))
        except Invalid as exc:
            loaded.invalid.append((where, f"{where}: {exc}"))
    return loaded


def _reference(key: str, kind: str, fields: dict[str, str], where: str, loaded: Loaded
               ) -> Reference:
    from kb.formats.csl_json import date_to_csl, name_to_csl

    title = _joined(fields, "title", "subtitle")
    line = ""
    if not title or not _decode(title):
        raise FormatError(f"{where}{line}: no title")
    subtype = fields.get("entrysubtype", "").strip()
    csl_type = SUBTYPES.get(subtype) or (subtype if subtype in CSL_TYPES else None) \
        or DEFAULT_CSL.get(kind, "document")
    containers = [c for c in (_joined(fields, "journaltitle", "journalsubtitle"),
                              fields.get("journal"),
                              _with_addon(_joined(fields, "booktitle", "booksubtitle"),
                                          fields.get("booktitleaddon")),
                              _joined(fields, "maintitle", "mainsubtitle"),
                              fields.get("titleaddon"), fields.get("howpublished")) if c]
    publishers = [fields[f] for f in ("publisher", "institution", "school", "organization")
                  if f in fields]
    extra: dict[str, Any] = {}
    for name, variable in FIELDS.items():
        if fields.get(name) and variable not in extra:
            extra[variable] = _decode(fields[name])
    number = fields.get("number")
    issue = fields.get("issue")
    if csl_type in _ISSUE_TYPES:
        if number:
            extra["issue"] = _decode(number)
        elif issue:
            extra["issue"] = _decode(issue)
        if number and issue:
            loaded.unmapped.add("issue", where)
    else:
        if number:
            extra["number"] = _decode(number)
        if issue:
            extra["issue"] = _decode(issue)
    genre = _decode(fields.get("type", ""))
    if genre and genre != DEFAULT_TYPE.get(kind, DEFAULT_TYPE.get(csl_type, "")):
        extra["genre"] = genre
    for name, variable in NAME_FIELDS.items():
        if fields.get(name, "").strip():
            extra[variable] = [name_to_csl(n) for n in _names_from(fields[name])]
    for name, variable in DATE_FIELDS.items():
        if fields.get(name, "").strip():
            extra[variable] = date_to_csl(_date_from({"date": fields[name]}, where)
                                          or SourceDate(literal=fields[name]))
    if fields.get("origyear") and "original-date" not in extra:
        date = _date_from({"year": fields["origyear"]}, where)
        if date is not None:
            extra["original-date"] = date_to_csl(date)
    if fields.get("ids", "").strip():
        extra["custom"] = {"id": fields["ids"].split(",")[0].strip()}
    eprint_type = fields.get("eprinttype", "").strip().lower()
    if fields.get("eprint") and eprint_type in EPRINT_TYPES:
        extra[EPRINT_TYPES[eprint_type]] = fields["eprint"].strip()
    elif fields.get("eprint"):
        loaded.unmapped.add(f"eprint ({eprint_type or 'no eprinttype'})", where)
    for name in fields:
        if name not in _CONSUMED and name not in FIELDS and name not in NAME_FIELDS \
                and name not in DATE_FIELDS and name != "origyear":
            loaded.unmapped.add(name, where)
    for extra_container in containers[1:]:
        if extra_container not in (containers[0],):
            loaded.unmapped.add(next(f for f in ("journal", "booktitle", "maintitle",
                                                 "titleaddon", "howpublished")
                                     if fields.get(f) == extra_container
                                     or (fields.get(f) and extra_container.startswith(
                                         fields[f]))), where)
    for extra_publisher in publishers[1:]:
        loaded.unmapped.add(next(f for f in ("institution", "school", "organization")
                                 if fields.get(f) == extra_publisher), where)
    language = (fields.get("langid") or fields.get("language") or "").strip()
    # Text that decodes to nothing (a macro kb does not know, alone in a field) is said, never
    # silently dropped.
    for name, raw in (("container", containers[0] if containers else ""),
                      ("publisher", publishers[0] if publishers else ""),
                      ("annotation", fields.get("annotation") or fields.get("annote") or ""),
                      *((f, fields[f]) for f in FIELDS if fields.get(f))):
        if raw.strip() and not _decode(raw):
            loaded.warnings.append(f"{where}: {name} '{raw.strip()}' decodes to no text; "
                                   "left empty")
    return Reference(
        key=key, type=csl_type, title=_decode(title),
        type_known=kind != "misc" or bool(subtype),
        authors=_names_from(fields["author"]) if fields.get("author", "").strip() else [],
        container=_decode(containers[0]) if containers else None,
        publisher=_decode(publishers[0]) if publishers else None,
        issued=_date_from(fields, key),
        url=fields.get("url", "").strip() or None,
        doi=fields.get("doi", "").strip() or None,
        accessed=_date_from({"date": fields["urldate"]}, key) if fields.get("urldate") else None,
        language=normalize_language(_decode(language)) if language else None,
        note=_decode(fields.get("annotation") or fields.get("annote") or "") or None,
        extra=extra,
        origin=where,
    )
