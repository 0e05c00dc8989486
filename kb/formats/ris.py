"""RIS, the tagged format of reference managers (EndNote, Zotero, Mendeley), via rispy."""

from __future__ import annotations

from typing import Any

from kb.dates import PartialDate, parse_date
from kb.errors import Invalid
from kb.formats.reference import FormatError, Name, Reference

TO_RIS = {
    "article-journal": "JOUR", "article-magazine": "MGZN", "article-newspaper": "NEWS",
    "book": "BOOK", "chapter": "CHAP", "paper-conference": "CPAPER", "report": "RPRT",
    "thesis": "THES", "webpage": "ELEC", "post-weblog": "BLOG", "dataset": "DATA",
    "software": "COMP", "broadcast": "MPCT", "interview": "PCOMM", "map": "MAP",
    "patent": "PAT", "legislation": "STAT", "legal_case": "CASE", "bill": "BILL",
    "hearing": "HEAR", "manuscript": "MANSCPT", "pamphlet": "PAMP", "speech": "SLIDE",
    "standard": "STAND", "graphic": "ART", "song": "SOUND", "motion_picture": "VIDEO",
}
FROM_RIS = {v: k for k, v in TO_RIS.items()} | {"CONF": "paper-conference", "EJOUR":
                                                 "article-journal", "ABST": "article-journal",
                                                 "NEWS": "article-newspaper", "WEB": "webpage"}
# CSL types RIS cannot tell apart from others: their exact type rides in the M3 ("type of
# work") tag, which reference managers display but do not interpret.
_TYPE_TAG = "type_of_work"


def _ris_date(date: PartialDate) -> str:
    return f"{date.year:04d}/{date.month or '':0>2}/{date.day or '':0>2}/".replace("/00", "/")


def to_record(ref: Reference) -> dict[str, Any]:
    record: dict[str, Any] = {"type_of_reference": TO_RIS.get(ref.type, "GEN"), "id": ref.key,
                              "title": ref.title}
    if TO_RIS.get(ref.type) is None:
        record[_TYPE_TAG] = ref.type
    if ref.authors:
        record["authors"] = [n.literal if n.literal is not None else
                             (f"{n.family}, {n.given}" if n.given else f"{n.family},")
                             for n in ref.authors]
    optional = {"secondary_title": ref.container, "publisher": ref.publisher,
                "doi": ref.doi, "language": ref.language}
    record.update({k: v for k, v in optional.items() if v})
    if ref.url:
        record["urls"] = [ref.url]
    if ref.note:
        record["notes"] = [ref.note]
    if ref.issued:
        record["year"] = str(ref.issued.year)
        record["date"] = _ris_date(ref.issued)
    if ref.accessed:
        record["access_date"] = _ris_date(ref.accessed)
    return record


def dump(refs: list[Reference]) -> str:
    import rispy

    class Writer(rispy.RisWriter):  # type: ignore[misc]
        def set_header(self, count: int) -> str:
            return ""  # rispy numbers records ("1.") by default; other tools choke on it

    return str(rispy.dumps([to_record(r) for r in refs], implementation=Writer))


def _date(value: str | None, where: str) -> PartialDate | None:
    if not value:
        return None
    parts = [p for p in value.strip().split("/") if p.strip()][:3]
    if not parts:
        return None
    try:
        return parse_date("-".join(parts), "date")
    except Invalid as exc:
        raise FormatError(f"{where}: {exc}") from None


def _name(text: str) -> Name:
    # RIS writes people "Family, Given"; a name with no comma is an organisation.
    if "," not in text:
        return Name(literal=text.strip())
    family, given = (p.strip() for p in text.split(",", 1))
    return Name(family=family, given=given or None)


def _container(record: dict[str, Any]) -> str | None:
    has_own_title = record.get("title") or record.get("primary_title")
    found = (record.get("secondary_title") if has_own_title else None) or record.get(
        "journal_name") or record.get("alternate_title3")
    return str(found) if found else None


def load(text: str) -> list[Reference]:
    import rispy

    text = text.lstrip("\ufeff")
    starts = sum(1 for line in text.splitlines() if line.startswith("TY  -"))
    ends = sum(1 for line in text.splitlines() if line.startswith("ER  -"))
    if starts != ends:
        raise FormatError(f"{starts} record(s) start with TY but {ends} end with ER")
    try:
        records = rispy.loads(text, skip_unknown_tags=True)
    except (OSError, ValueError) as exc:
        raise FormatError(str(exc)) from None
    if len(records) != starts:
        raise FormatError(f"read {len(records)} of {starts} records")
    refs = []
    for number, record in enumerate(records, start=1):
        where = f"record {number}"
        title = next((record[k] for k in ("title", "primary_title", "short_title",
                                          "secondary_title") if record.get(k)), None)
        if not title:
            raise FormatError(f"{where}: no title (TI)")
        kind = str(record.get("type_of_reference", "GEN"))
        authors = [*record.get("authors", []), *record.get("first_authors", [])]
        refs.append(Reference(
            key=str(record.get("id") or ""),
            type=record.get(_TYPE_TAG) or FROM_RIS.get(kind, "article"),
            title=title.strip(),
            authors=[_name(a) for a in authors],
            container=_container(record),
            publisher=record.get("publisher"),
            issued=_date(record.get("date") or record.get("year")
                         or record.get("publication_year"), where),
            url=(record.get("urls") or [None])[0],
            doi=record.get("doi"),
            accessed=_date(record.get("access_date"), where),
            language=record.get("language"),
            note="\n".join(record.get("notes", [])) or None,
        ))
    return refs
