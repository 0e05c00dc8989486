"""CSL-JSON: what pandoc's citeproc and Zotero read and write."""

from __future__ import annotations

import json
import re
from typing import Any

from kb.dates import SourceDate, parse_source_date
from kb.errors import Invalid
from kb.formats.reference import (
    CSL_ALIASES,
    CSL_DATE_VARIABLES,
    CSL_IN_COLUMNS,
    CSL_NAME_VARIABLES,
    CSL_NUMBER_VARIABLES,
    CSL_VARIABLES,
    FormatError,
    Loaded,
    Name,
    Reference,
    Unmapped,
)

SEASON_NAMES = {"spring": 1, "summer": 2, "autumn": 3, "fall": 3, "winter": 4}
NAME_PARTS = ("family", "given", "dropping-particle", "non-dropping-particle", "suffix",
              "comma-suffix", "static-ordering", "literal", "parse-names")
_EDTF_SIDE = re.compile(r"(-?)(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?%]?)")


# Dates ----------------------------------------------------------------------------------------


def date_to_csl(date: SourceDate) -> dict[str, Any]:
    """date-parts (with season and circa) where CSL can say it; else the EDTF as `raw`.

    CSL counts years as people do (-334 is 334 BCE); EDTF counts astronomically (-0333 is the
    same year, 0000 is 1 BCE).
    """
    if date.edtf is None:
        return {"literal": date.literal or ""}
    sides = date.edtf.split("/")
    parts: list[list[int]] = []
    circa: list[bool] = []
    season = None
    for side in sides:
        match = _EDTF_SIDE.fullmatch(side)
        if not match or match.group(5) in ("?", "%"):
            return {"raw": date.edtf}
        sign, digits, month_text, day_text, qualifier = match.groups()
        year = int(sign + digits)
        part = [year - 1 if year <= 0 else year]
        month = int(month_text) if month_text else None
        if month is not None and month > 12:
            if len(sides) > 1 or month > 24:
                return {"raw": date.edtf}
            season = month - 20
        elif month is not None:
            part.append(month)
            if day_text:
                part.append(int(day_text))
        parts.append(part)
        circa.append(qualifier == "~")
    if any(circa) and not all(circa):
        return {"raw": date.edtf}
    out: dict[str, Any] = {"date-parts": parts}
    if season:
        out["season"] = season
    if all(circa):
        out["circa"] = True
    return out


def date_from_csl(value: Any, where: str) -> SourceDate | None:
    """Every CSL date form: date-parts (strings too), ranges, seasons, circa, literal, raw."""
    if isinstance(value, str):
        value = {"raw": value}
    if not isinstance(value, dict):
        raise FormatError(f"{where}: expected a CSL date object, got {value!r}")
    parts = [p for p in value.get("date-parts") or [] if p not in ([], [""], [None])]
    if parts:
        if not all(isinstance(p, list) for p in parts) or len(parts) > 2:
            raise FormatError(f"{where}: date-parts {value['date-parts']!r} are not a date")
        circa = value.get("circa") not in (None, False, 0, "", "0", "false")
        sides = [_edtf_side(p, value.get("season") if i == 0 else None, circa, where, value)
                 for i, p in enumerate(parts)]
        text = "/".join(sides)
        try:
            return parse_source_date(text)
        except Invalid:
            raise FormatError(f"{where}: date-parts {value['date-parts']!r} are not a date "
                              "on the calendar") from None
    for name in ("raw", "literal"):
        given = value.get(name)
        if isinstance(given, str) and given.strip():
            try:
                return parse_source_date(_pad(given.strip()))
            except Invalid:
                return SourceDate(literal=given.strip())
    return None


def _pad(text: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text)
    if not match:
        return text
    return "-".join(f"{int(p):02d}" if i else p for i, p in enumerate(match.groups()) if p)


def _edtf_side(part: list[Any], season: Any, circa: bool, where: str, value: Any) -> str:
    numbers: list[int] = []
    for piece in part[:3]:
        if isinstance(piece, str):
            piece = piece.strip()
            if not piece:
                break
        try:
            numbers.append(int(piece))
        except (TypeError, ValueError):
            raise FormatError(f"{where}: date-parts {value['date-parts']!r} are not numbers"
                              ) from None
    year = numbers[0] + 1 if numbers[0] < 0 else numbers[0]
    text = f"-{-year:04d}" if year < 0 else f"{year:04d}"
    month = numbers[1] if len(numbers) > 1 else None
    if month is not None and 13 <= month <= 16:  # citeproc-js's seasons as months
        season, month = month - 12, None
    if month is not None:
        text += f"-{month:02d}"
        if len(numbers) > 2:
            text += f"-{numbers[2]:02d}"
    elif season not in (None, ""):
        number = SEASON_NAMES.get(str(season).strip().lower()) or (
            int(season) if str(season).strip().isdigit() else None)
        if number is not None and 1 <= number <= 4:
            text += f"-{20 + number}"
        elif number is not None and 21 <= number <= 24:
            text += f"-{number}"
        else:
            raise FormatError(f"{where}: season {season!r} is not 1-4 or a season's name")
    return text + ("~" if circa else "")


# Names ----------------------------------------------------------------------------------------


def name_to_csl(name: Name) -> dict[str, str]:
    if name.literal is not None:
        return {"literal": name.literal}
    return {k: v for k, v in (("family", name.family), ("given", name.given)) if v}


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


def _name_objects(value: Any, where: str, variable: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise FormatError(f"{where}: {variable} must be a list of names")
    return [{k: v for k, v in p.items() if k in NAME_PARTS} for p in value]


# Items ----------------------------------------------------------------------------------------


def to_item(ref: Reference) -> dict[str, Any]:
    item: dict[str, Any] = {"id": ref.key, "type": ref.type, "title": ref.title}
    if ref.authors:
        item["author"] = [name_to_csl(n) for n in ref.authors]
    optional = {
        "container-title": ref.container, "publisher": ref.publisher, "URL": ref.url,
        "DOI": ref.doi, "language": ref.language, "annote": ref.note,
    }
    item.update({k: v for k, v in optional.items() if v})
    if ref.issued:
        item["issued"] = date_to_csl(ref.issued)
    if ref.accessed:
        item["accessed"] = date_to_csl(ref.accessed)
    item.update({k: v for k, v in ref.extra.items() if k not in item})
    return item


def dump(refs: list[Reference]) -> str:
    return json.dumps([to_item(r) for r in refs], indent=2, ensure_ascii=False) + "\n"


def extra_from_item(item: dict[str, Any], where: str, unmapped: Unmapped
                    ) -> dict[str, Any]:
    """The CSL variables beyond kb's columns, checked; anything that is not CSL is named."""
    extra: dict[str, Any] = {}
    for raw_name, value in item.items():
        name = CSL_ALIASES.get(raw_name, raw_name)
        if name in CSL_IN_COLUMNS or name == "citation-key" or value in (None, "", []):
            continue
        if name not in CSL_VARIABLES:
            unmapped.add(raw_name, where)
            continue
        if name in extra:
            continue  # the CSL spelling and Zotero's older one both given: the first wins
        if name in CSL_NAME_VARIABLES:
            extra[name] = _name_objects(value, where, name)
        elif name in CSL_DATE_VARIABLES:
            date = date_from_csl(value, f"{where}: {name}")
            if date is not None:
                extra[name] = date_to_csl(date)
        elif name in ("custom", "categories"):
            extra[name] = value
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            extra[name] = value if name in CSL_NUMBER_VARIABLES else str(value)
        else:
            raise FormatError(f"{where}: {name} must be text, not {value!r}")
    return extra


def from_item(item: Any, where: str, unmapped: Unmapped) -> Reference:
    if not isinstance(item, dict):
        raise FormatError(f"{where}: expected an object")
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        raise FormatError(f"{where}: no title")
    key = item.get("citation-key") or item.get("id") or ""
    return Reference(
        key=str(key),
        type=str(item.get("type") or "document"),
        title=title.strip(),
        authors=_names(item.get("author")),
        container=item.get("container-title") or None,
        publisher=item.get("publisher") or None,
        issued=date_from_csl(item["issued"], f"{where}: issued") if item.get("issued") else None,
        url=item.get("URL") or None,
        doi=item.get("DOI") or None,
        accessed=date_from_csl(item["accessed"], f"{where}: accessed")
        if item.get("accessed") else None,
        language=item.get("language") or None,
        note=item.get("annote") or None,
        extra=extra_from_item(item, where, unmapped),
        type_known=bool(item.get("type")),
        origin=where,
    )


def load(text: str) -> Loaded:
    """An array of items, or Zotero's object keyed by item type."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(data, dict):
        items = list(data.values()) if all(isinstance(v, dict) for v in data.values()) else [data]
        labels = list(data) if len(items) == len(data) else ["item 1"]
    elif isinstance(data, list):
        items, labels = data, [f"item {i}" for i in range(1, len(data) + 1)]
    else:
        raise FormatError("expected a CSL-JSON array of items")
    loaded = Loaded()
    for item, label in zip(items, labels, strict=True):
        try:
            loaded.references.append(from_item(item, label, loaded.unmapped))
        except FormatError as exc:
            loaded.invalid.append((label, str(exc)))
    return loaded
