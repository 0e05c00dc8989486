"""CSV claim files: one claim a row, lists joined by `;`, the same columns as listings.

The header is always CLAIM_FIELDS, whatever the rows (`kb claim list --format csv` and
`kb export claims --format csv` both write it); a file to import needs `source` and `text`
and may leave out any other column, but a column kb does not know is refused by name.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from kb.errors import Invalid
from kb.formats.cells import protect, unprotect
from kb.formats.claim_files import CLAIM_FIELDS, BadRecord, Line, unknown
from kb.text import refuse_unkeepable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

LISTS = ("countries", "regions", "themes", "actors")


def read(lines: Iterable[str]) -> Iterator[Line]:
    reader = csv.DictReader(lines)
    header = [name for name in reader.fieldnames or [] if name]
    missing = [name for name in ("source", "text") if name not in header]
    problem = unknown(header, CLAIM_FIELDS, "column")
    if problem:
        raise BadRecord(1, problem)
    if missing:
        raise BadRecord(1, f"the CSV header lacks {', '.join(missing)}")
    for row in reader:
        # kb's export protected formula-like cells with a leading ' (kb/formats/cells.py).
        data: dict[str, Any] = {k: (unprotect(v) if v != "" else None)
                                for k, v in row.items() if k}
        try:
            refuse_unkeepable(data, "")
        except Invalid as exc:
            raise BadRecord(reader.line_num, str(exc)) from None
        for name in LISTS:
            if data.get(name) is not None:
                data[name] = [v.strip() for v in data[name].split(";") if v.strip()]
        yield Line(reader.line_num, "claim", data)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # an anchor or a retraction: one JSON object in one cell
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


class Writer:
    """Rows to CSV text, the header first: `header()`, then `row(record)` per claim."""

    def __init__(self, raw: bool = False) -> None:
        """`raw`: cells as they are; else a formula-like cell is protected (cells.protect)."""
        self.raw = raw
        self.buffer = io.StringIO()
        self.writer = csv.DictWriter(self.buffer, CLAIM_FIELDS, lineterminator="\n",
                                     extrasaction="ignore")

    def _take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text

    def header(self) -> str:
        self.writer.writeheader()
        return self._take()

    def row(self, record: dict[str, Any]) -> str:
        values = {k: cell(record.get(k)) for k in CLAIM_FIELDS}
        self.writer.writerow(values if self.raw else {k: protect(v) for k, v in values.items()})
        return self._take()


def dumps(records: Iterable[dict[str, Any]], raw: bool = False) -> str:
    writer = Writer(raw)
    return writer.header() + "".join(writer.row(r) for r in records)
