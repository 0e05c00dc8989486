"""JSON Lines claim files: one object a line, kb's lossless transfer format.

A claim line names its source by `source` (an existing key) or carries it inline as
`source_record` (a source object), or both when they agree. Lines holding only a
`source_record`, a `region_record` or a `notice_record` (what `kb export claims --format jsonl`
writes before the claims) are read too. A claim's `evidence` is a list of `{relation, source |
claim, quote, locator, note, strength}`, where `claim` is the `id` of another claim line of the
file.

What a claim line says of its history is kept on import (`Kept`), so that an export imported
into an empty base exports again the same: `created`, `updated` and `created_by`; `retracted`
(`{reason, at, by}`); `superseded_by` (the `id` of another claim line) with `supersession`
(`{at, by}`). A `notice_record` is a notice about a source (`{source, kind, reason, notice_doi,
date, recorded, by}`: a retraction, an expression of concern, a correction ...).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kb.errors import Invalid
from kb.formats.claim_files import (
    CLAIM_FIELDS,
    EVIDENCE_FIELDS,
    REGION_FIELDS,
    BadRecord,
    Line,
    check_fields,
)
from kb.text import refuse_unkeepable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

CLAIM_KEYS = frozenset((*CLAIM_FIELDS, "source_record", "evidence", "created_by",
                        "supersession"))
EVIDENCE_KEYS = frozenset(EVIDENCE_FIELDS)
REGION_KEYS = frozenset(REGION_FIELDS)
NOTICE_FIELDS = ("source", "kind", "reason", "notice_doi", "date", "recorded", "by")
NOTICE_KEYS = frozenset(NOTICE_FIELDS)
RETRACTED_KEYS = frozenset(("reason", "at", "by"))
SUPERSESSION_KEYS = frozenset(("at", "by"))


@dataclass(frozen=True)
class Kept:
    """A claim line's history, kept on import: when and by whom the claim was made, and its
    retraction or supersession (`superseded_by` is an id of the file). None: not said."""

    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    created_by: str | None = None
    retracted_at: dt.datetime | None = None
    reason: str | None = None
    superseded_by: Any = None
    superseded_at: dt.datetime | None = None
    # Who retracted or superseded it (kb keeps one name for the two, the later's).
    actor: str | None = None

    @property
    def withdrawn(self) -> bool:
        return self.reason is not None or self.superseded_by is not None


def read(lines: Iterable[str]) -> Iterator[Line]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRecord(number, f"not JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise BadRecord(number, "expected a JSON object")
        try:
            refuse_unkeepable(data, "")
        except Invalid as exc:
            raise BadRecord(number, str(exc)) from None
        yield classify(number, data)


def classify(number: int, data: dict[str, Any]) -> Line:
    if "text" not in data and "source_record" in data:
        check_fields(number, data, frozenset({"source_record"}), "key")
        return Line(number, "source", data)
    if "text" not in data and "region_record" in data:
        check_fields(number, data, frozenset({"region_record"}), "key")
        region = data["region_record"]
        if isinstance(region, dict):
            check_fields(number, region, REGION_KEYS, "region key")
        return Line(number, "region", data)
    if "text" not in data and "notice_record" in data:
        check_fields(number, data, frozenset({"notice_record"}), "key")
        notice = data["notice_record"]
        if not isinstance(notice, dict) or not all(
                isinstance(notice.get(name), str) and notice[name] for name in ("source", "kind")):
            raise BadRecord(number, "a notice_record needs its source's key and its kind")
        check_fields(number, notice, NOTICE_KEYS, "notice key")
        for name, value in notice.items():
            if value is not None and not isinstance(value, str):
                raise BadRecord(number, f"invalid notice {name} {value!r}: expected text")
        return Line(number, "notice", data)
    check_fields(number, data, CLAIM_KEYS, "key")
    for link in data.get("evidence") or []:
        if isinstance(link, dict):
            check_fields(number, link, EVIDENCE_KEYS, "evidence key")
    try:
        kept = kept_of(data)
    except Invalid as exc:
        raise BadRecord(number, str(exc)) from None
    return Line(number, "claim", data, kept)


def kept_of(data: dict[str, Any]) -> Kept | None:
    """What a claim line says of its history (None: nothing), its values checked."""
    retracted, supersession = data.get("retracted"), data.get("supersession")
    if all(data.get(name) is None for name in ("created", "updated", "created_by",
                                                "retracted", "superseded_by", "supersession")):
        return None
    if retracted is not None:
        _object(retracted, "retracted", RETRACTED_KEYS)
        if not isinstance(retracted.get("reason"), str) or not retracted["reason"].strip():
            raise Invalid("retracted", retracted, "a retraction needs its reason")
    superseded_by = data.get("superseded_by")
    if supersession is not None:
        _object(supersession, "supersession", SUPERSESSION_KEYS)
        if superseded_by is None:
            raise Invalid("supersession", supersession, "says when and by whom a claim was "
                          "superseded: give superseded_by too")
    if isinstance(superseded_by, bool) or not isinstance(superseded_by, int | str | None):
        raise Invalid("superseded_by", superseded_by, "expected the id of another claim line")
    retracted, supersession = retracted or {}, supersession or {}
    return Kept(created=timestamp(data.get("created"), "created"),
                updated=timestamp(data.get("updated"), "updated"),
                created_by=_name(data.get("created_by"), "created_by"),
                retracted_at=timestamp(retracted.get("at"), "retracted at"),
                reason=" ".join(retracted["reason"].split()) if retracted else None,
                superseded_by=superseded_by,
                superseded_at=timestamp(supersession.get("at"), "supersession at"),
                actor=_name(retracted.get("by"), "retracted by")
                or _name(supersession.get("by"), "supersession by"))


def _object(value: Any, name: str, keys: frozenset[str]) -> None:
    if not isinstance(value, dict):
        raise Invalid(name, value, f"expected an object with {', '.join(sorted(keys))}")
    from kb.formats.claim_files import unknown

    problem = unknown(value, sorted(keys), f"{name} key")
    if problem:
        raise Invalid(name, value, problem)


def _name(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(name, value, "expected a user name")
    return value


def timestamp(value: Any, name: str) -> dt.datetime | None:
    """An ISO 8601 date and time as kb stores it: UTC, to the second, no zone."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid(name, value, "expected an ISO 8601 date and time "
                      "(2026-02-18T10:00:00)")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"
