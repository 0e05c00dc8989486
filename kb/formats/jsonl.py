"""JSON Lines claim files: one object a line.

A claim line names its source by `source` (an existing key) or carries it inline as
`source_record` (a source object), or both when they agree. Lines holding only a
`source_record` or a `region_record` (what `kb export claims --format jsonl` writes before the
claims) are read too. A claim's `evidence` is a list of `{relation, source | claim, quote,
locator, note}`, where `claim` is the `id` of another claim line of the file.
"""

from __future__ import annotations

import json
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

CLAIM_KEYS = frozenset((*CLAIM_FIELDS, "source_record", "evidence"))
EVIDENCE_KEYS = frozenset(EVIDENCE_FIELDS)
REGION_KEYS = frozenset(REGION_FIELDS)


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
    check_fields(number, data, CLAIM_KEYS, "key")
    for link in data.get("evidence") or []:
        if isinstance(link, dict):
            check_fields(number, link, EVIDENCE_KEYS, "evidence key")
    return Line(number, "claim", data)


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"
