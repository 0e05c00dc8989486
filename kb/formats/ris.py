"""RIS, the tagged format of reference managers (EndNote, Zotero, Mendeley), via rispy."""

from __future__ import annotations

import re
from typing import Any

from kb.dates import SourceDate, parse_source_date
from kb.errors import Invalid
from kb.formats.csl_json import SEASON_NAMES, date_from_csl, date_to_csl
from kb.formats.reference import CSL_TYPES, FormatError, Loaded, Name, Reference

TO_RIS = {
    "article-journal": "JOUR", "article-magazine": "MGZN", "article-newspaper": "NEWS",
    "book": "BOOK", "chapter": "CHAP", "paper-conference": "CPAPER", "report": "RPRT",
    "thesis": "THES", "webpage": "ELEC", "post-weblog": "BLOG", "dataset": "DATA",
    "software": "COMP", "broadcast": "MPCT", "interview": "PCOMM", "map": "MAP",
    "patent": "PAT", "legislation": "STAT", "legal_case": "CASE", "bill": "BILL",
    "hearing": "HEAR", "manuscript": "MANSCPT", "pamphlet": "PAMP", "speech": "SLIDE",
    "standard": "STAND", "graphic": "ART", "song": "SOUND", "motion_picture": "VIDEO",
}
FROM_RIS = {v: k for k, v in TO_RIS.items()} | {
    "CONF": "paper-conference", "EJOUR": "article-journal", "ABST": "article-journal",
    "NEWS": "article-newspaper", "WEB": "webpage", "EBOOK": "book", "EDBOOK": "book",
    "ECHAP": "chapter", "UNPB": "manuscript", "INPR": "article-journal", "JFULL": "periodical",
    "ICOMM": "personal_communication", "ENCYC": "entry-encyclopedia", "DICT": "entry-dictionary",
    "GOVDOC": "report", "CHART": "figure", "FIGURE": "figure", "AGGR": "dataset",
}
# Types whose BT is the title of the work itself; for others (a chapter) BT is its book.
_BT_IS_CONTAINER = {"CHAP", "ECHAP", "CPAPER", "CONF", "ENCYC", "DICT"}
_ISBN_TYPES = {"BOOK", "EBOOK", "EDBOOK", "CHAP", "ECHAP"}
# CSL types RIS cannot tell apart from others: their exact type rides in the M3 ("type of
# work") tag, which reference managers display but do not interpret.
_TYPE_TAG = "type_of_work"
# rispy's tags plus those it does not know: BT (book title), CT (title of an unpublished work),
# VO (an older tag for the volume).
MAPPING: dict[str, str] = {"BT": "book_title", "CT": "caption_title", "VO": "volume_old"}

# rispy key -> CSL variable, both ways.
TEXT = {
    "volume": "volume", "number": "issue", "edition": "edition",
    "place_published": "publisher-place", "abstract": "abstract",
    "tertiary_title": "collection-title", "alternate_title1": "container-title-short",
    "short_title": "title-short", "call_number": "call-number", "database_provider": "source",
    "name_of_database": "archive", "accession_number": "archive_location", "section": "section",
    "number_of_volumes": "number-of-volumes", "note": "number", "reviewed_item": "reviewed-title",
    "original_publication": "original-title", "label": "citation-label",
}
# Read only: a second spelling of a variable above.
TEXT_ALSO = {"volume_old": "volume", "alternate_title2": "container-title-short",
             "notes_abstract": "abstract"}
NAMES = {"secondary_authors": "editor", "tertiary_authors": "collection-editor",
         "subsidiary_authors": "translator"}
# Read elsewhere in this module (title, container, authors, dates, URLs, type ...).
_HANDLED = {"type_of_reference", "id", "title", "primary_title", "caption_title", "book_title",
            "secondary_title", "journal_name", "alternate_title3", "authors", "first_authors",
            "publisher", "date", "year", "publication_year", "access_date", "urls", "doi",
            "language", "notes", "start_page", "end_page", "issn", "keywords", _TYPE_TAG,
            "unknown_tag"}


def _ris_date(date: SourceDate) -> tuple[str | None, str]:
    """PY (the year) and DA (`YYYY/MM/DD/other`); what the parts cannot say rides in `other`."""
    plain = date.plain()
    if plain is not None:
        return str(plain.year), (f"{plain.year:04d}/{plain.month or '':0>2}/"
                                 f"{plain.day or '':0>2}/").replace("/00", "/")
    year = date.year
    return (f"{year:04d}" if year and year > 0 else None), f"///{date}"


def _name(name: Name) -> str:
    if name.literal is not None:
        return name.literal
    return f"{name.family}, {name.given}" if name.given else f"{name.family},"


def _csl_name(person: dict[str, Any]) -> str:
    if "literal" in person:
        return str(person["literal"])
    return _name(Name(family=person.get("family"), given=person.get("given")))


def to_record(ref: Reference) -> dict[str, Any]:
    ris_type = TO_RIS.get(ref.type)
    record: dict[str, Any] = {"type_of_reference": ris_type or "GEN", "id": ref.key,
                              "title": ref.title}
    if ris_type is None:
        record[_TYPE_TAG] = ref.type
    elif ref.extra.get("genre"):
        record[_TYPE_TAG] = ref.extra["genre"]
    if ref.authors:
        record["authors"] = [_name(n) for n in ref.authors]
    optional = {"secondary_title": ref.container, "publisher": ref.publisher,
                "doi": ref.doi, "language": ref.language}
    record.update({k: v for k, v in optional.items() if v})
    if ref.urls:
        record["urls"] = ref.urls
    if ref.note:
        record["notes"] = [ref.note]
    if ref.issued:
        year, date = _ris_date(ref.issued)
        if year:
            record["year"] = year
        record["date"] = date
    if ref.accessed:
        record["access_date"] = _ris_date(ref.accessed)[1]
    extra = ref.extra
    for key, variable in TEXT.items():
        if extra.get(variable) not in (None, ""):
            record[key] = str(extra[variable])
    for key, variable in NAMES.items():
        if extra.get(variable):
            record[key] = [_csl_name(p) for p in extra[variable]]
    if extra.get("page"):
        first, _, last = re.sub(r"\s*[\u2013-]+\s*", "-", str(extra["page"])).partition("-")
        record["start_page"] = first.strip()
        if last.strip():
            record["end_page"] = last.strip()
    identifier = extra.get("ISBN") if ris_type in _ISBN_TYPES else extra.get("ISSN")
    if identifier or extra.get("ISSN") or extra.get("ISBN"):
        record["issn"] = identifier or extra.get("ISSN") or extra.get("ISBN")
    if extra.get("keyword"):
        record["keywords"] = [k.strip() for k in str(extra["keyword"]).split(",") if k.strip()]
    return record


def dump(refs: list[Reference]) -> str:
    import rispy

    class Writer(rispy.RisWriter):  # type: ignore[misc]
        def set_header(self, count: int) -> str:
            return ""  # rispy numbers records ("1.") by default; other tools choke on it

    return str(rispy.dumps([to_record(r) for r in refs], implementation=Writer))


def _date(value: str | None, where: str) -> SourceDate | None:
    """`YYYY/MM/DD/other`; `other` may hold EDTF (kb writes it there) or a season's name."""
    if not value or not value.strip():
        return None
    pieces = [*value.strip().split("/", 3), "", "", "", ""][:4]
    year, month, day, other = (p.strip() for p in pieces)
    if other:
        try:
            return parse_source_date(other)
        except Invalid:
            pass
    if not year:
        return SourceDate(literal=other) if other else None
    parts: list[Any] = [year] + ([month] if month else []) + ([day] if month and day else [])
    csl: dict[str, Any] = {"date-parts": [parts]}
    if other.lower() in SEASON_NAMES and not month:
        csl["season"] = SEASON_NAMES[other.lower()]
    return date_from_csl(csl, f"{where}: date {value!r}")


def _person(text: str) -> Name:
    # RIS writes people "Family, Given"; a name with no comma is an organisation.
    if "," not in text:
        return Name(literal=text.strip())
    family, given = (p.strip() for p in text.split(",", 1))
    return Name(family=family, given=given or None)


def _csl_person(text: str) -> dict[str, str]:
    name = _person(text)
    if name.literal is not None:
        return {"literal": name.literal}
    return {k: v for k, v in (("family", name.family), ("given", name.given)) if v}


def _first(record: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value and str(value).strip():
            return str(value).strip()
    return None


def from_record(record: dict[str, Any], where: str, loaded: Loaded) -> Reference:
    kind = str(record.get("type_of_reference", "GEN")).strip()
    bt_container = kind in _BT_IS_CONTAINER
    title = _first(record, "title", "primary_title", "caption_title",
                   *(() if bt_container else ("book_title",)), "short_title", "secondary_title")
    if not title:
        raise FormatError(f"{where}: no title (TI, T1, CT or BT)")
    own_title = _first(record, "title", "primary_title", "caption_title",
                       *(() if bt_container else ("book_title",)))
    container = _first(record, *(("secondary_title",) if own_title else ()),
                       *(("book_title",) if bt_container else ()), "journal_name",
                       "alternate_title3")
    named_type = str(record.get(_TYPE_TAG) or "").strip()
    extra: dict[str, Any] = {}
    if named_type and named_type not in CSL_TYPES:
        extra["genre"] = named_type
    for key, variable in (*TEXT.items(), *TEXT_ALSO.items()):
        value = _first(record, key)
        if value and variable not in extra:
            extra[variable] = value
    for key, variable in NAMES.items():
        if record.get(key):
            extra[variable] = [_csl_person(p) for p in record[key]]
    start, end = _first(record, "start_page"), _first(record, "end_page")
    if start:
        extra["page"] = f"{start}-{end}" if end and end != start else start
    if record.get("issn"):
        extra["ISBN" if kind in _ISBN_TYPES else "ISSN"] = _first(record, "issn")
    if record.get("keywords"):
        extra["keyword"] = ", ".join(str(k).strip() for k in record["keywords"])
    urls = [u.strip() for u in record.get("urls") or [] if u and u.strip()]
    if urls[1:]:
        extra["custom"] = {"urls": urls[1:]}
    for key in record:
        if key not in _HANDLED and key not in TEXT and key not in TEXT_ALSO and key not in NAMES:
            loaded.unmapped.add(_tag_of(key), where)
    for tag in record.get("unknown_tag") or {}:
        loaded.unmapped.add(tag, where)
    authors = [*record.get("authors", []), *record.get("first_authors", [])]
    return Reference(
        key=str(record.get("id") or ""),
        type=named_type if named_type in CSL_TYPES else FROM_RIS.get(kind, "article"),
        type_known=named_type in CSL_TYPES or kind in FROM_RIS,
        title=title,
        authors=[_person(a) for a in authors],
        container=container,
        publisher=_first(record, "publisher"),
        issued=_date(_first(record, "date") or _first(record, "year", "publication_year"),
                     where),
        url=urls[0] if urls else None,
        doi=_first(record, "doi"),
        accessed=_date(_first(record, "access_date"), where),
        language=_first(record, "language"),
        note="\n".join(record.get("notes", [])) or None,
        extra=extra,
        origin=where,
    )


def _tag_of(key: str) -> str:
    from rispy.config import TAG_KEY_MAPPING  # type: ignore[import-untyped]

    return next((tag for tag, name in TAG_KEY_MAPPING.items() if name == key), key)


def load(text: str) -> Loaded:
    import rispy
    from rispy.config import TAG_KEY_MAPPING

    text = text.lstrip("\ufeff")
    starts = sum(1 for line in text.splitlines() if line.startswith("TY  -"))
    ends = sum(1 for line in text.splitlines() if line.startswith("ER  -"))
    if starts != ends:
        raise FormatError(f"{starts} record(s) start with TY but {ends} end with ER")
    try:
        records = rispy.loads(text, mapping={**TAG_KEY_MAPPING, **MAPPING},
                              skip_unknown_tags=False)
    except (OSError, ValueError) as exc:
        raise FormatError(str(exc)) from None
    if len(records) != starts:
        raise FormatError(f"read {len(records)} of {starts} records")
    loaded = Loaded()
    for number, record in enumerate(records, start=1):
        where = f"record {number}"
        try:
            loaded.references.append(from_record(record, where, loaded))
        except FormatError as exc:
            loaded.invalid.append((where, str(exc)))
    return loaded


__all__ = ["date_to_csl", "dump", "load"]
