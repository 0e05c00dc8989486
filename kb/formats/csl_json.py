"""CSL-JSON: what pandoc's citeproc and Zotero read and write."""

from __future__ import annotations

import json
from typing import Any

from kb.dates import PartialDate
from kb.formats.reference import FormatError, Name, Reference


def _date(date: PartialDate) -> dict[str, Any]:
    return {"date-parts": [date.parts()]}


def to_item(ref: Reference) -> dict[str, Any]:
    item: dict[str, Any] = {"id": ref.key, "type": ref.type, "title": ref.title}
    if ref.authors:
        item["author"] = [
            {"literal": n.literal} if n.literal is not None
            else {k: v for k, v in (("family", n.family), ("given", n.given)) if v}
            for n in ref.authors
        ]
    optional = {
        "container-title": ref.container, "publisher": ref.publisher, "URL": ref.url,
        "DOI": ref.doi, "language": ref.language, "annote": ref.note,
    }
    item.update({k: v for k, v in optional.items() if v})
    if ref.issued:
        item["issued"] = _date(ref.issued)
    if ref.accessed:
        item["accessed"] = _date(ref.accessed)
    return item


def dump(refs: list[Reference]) -> str:
    return json.dumps([to_item(r) for r in refs], indent=2, ensure_ascii=False) + "\n"


def _parse_date(value: Any, where: str) -> PartialDate | None:
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if parts and parts[0]:
        try:
            numbers = [int(p) for p in parts[0][:3]]  # Zotero writes years as strings
            return PartialDate(*numbers) if 1 <= len(numbers) <= 3 else None
        except (TypeError, ValueError):
            raise FormatError(f"{where}: date-parts {parts!r} are not numbers") from None
    raw = value.get("raw") or value.get("literal")
    if isinstance(raw, str):
        from kb.dates import parse_date
        from kb.errors import Invalid

        try:
            return parse_date(raw.strip()[:10])
        except Invalid:
            return None
    return None


def _names(value: Any) -> list[Name]:
    names = []
    for person in value or []:
        if "literal" in person:
            names.append(Name(literal=person["literal"]))
        elif person.get("family") or person.get("given"):
            family = " ".join(p for p in (person.get("non-dropping-particle"),
                                          person.get("family")) if p)
            names.append(Name(family=family or None, given=person.get("given")))
    return names


def from_item(item: dict[str, Any], where: str) -> Reference:
    if not isinstance(item, dict):
        raise FormatError(f"{where}: expected an object")
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        raise FormatError(f"{where}: no title")
    return Reference(
        key=str(item.get("id") or item.get("citation-key") or ""),
        type=str(item.get("type") or "document"),
        title=title.strip(),
        authors=_names(item.get("author")),
        container=item.get("container-title"),
        publisher=item.get("publisher"),
        issued=_parse_date(item.get("issued"), where),
        url=item.get("URL"),
        doi=item.get("DOI"),
        accessed=_parse_date(item.get("accessed"), where),
        language=item.get("language"),
        note=item.get("annote"),
    )


def load(text: str) -> list[Reference]:
    """An array of items, or Zotero's object keyed by item type."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"line {exc.lineno}: {exc.msg}") from None
    if isinstance(data, dict):
        items = list(data.values()) if all(isinstance(v, dict) for v in data.values()) else [data]
        labels = list(data) if len(items) == len(data) else ["item 1"]
    elif isinstance(data, list):
        items, labels = data, [f"item {i}" for i in range(1, len(data) + 1)]
    else:
        raise FormatError("expected a CSL-JSON array of items")
    return [from_item(item, f"{label}") for item, label in zip(items, labels, strict=True)]
