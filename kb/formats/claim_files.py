"""Claim files, by format name: JSON Lines and CSV, read line by line and written row by row.

Pure: text to records and records to text, no database. Each reader yields `Line`s (the line
number, what the line holds, its fields) and refuses a key or column it does not know, naming
the near name ("did you mean 'countries'?") rather than dropping the value without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kb.errors import KBError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from kb.formats.jsonl import Kept

# A claim's fields in files and listings (DESIGN's names). From a CSV file, status, created and
# updated are written for readers and ignored on import (standing is derived, times are the
# import's); stance and attributed_to are imported; the rest after them, like status, are the
# database's verdicts, written for readers (a quote is checked against a stored text, never
# taken from a file). JSON Lines, kb's lossless transfer format, also keeps created, updated,
# retracted and superseded_by on import (kb.formats.jsonl.Kept).
CLAIM_FIELDS = ("id", "source", "text", "quote", "locator", "date", "countries", "regions",
                "themes", "actors", "status", "created", "updated", "stance", "attributed_to",
                "stance_cues", "quote_status", "anchor", "retracted", "superseded_by")
EVIDENCE_FIELDS = ("id", "relation", "source", "claim", "quote", "locator", "note",
                   "strength")
REGION_FIELDS = ("name", "countries", "note", "claims")


class BadRecord(KBError):
    """A line that cannot be imported; the whole import is refused."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(f"line {number}: {message}; nothing was imported")


@dataclass
class Line:
    """One record of a claim file: a claim, a source, a region or a source's notice, with its
    line number."""

    number: int
    kind: Literal["claim", "source", "region", "notice"]
    data: dict[str, Any]
    # What a JSON Lines claim line keeps of its history; None: the claim is new here (CSV, or
    # a line that says nothing of it).
    kept: Kept | None = None


def unknown(names: Iterable[str], known: Iterable[str], what: str) -> str | None:
    """`unknown key 'country' (did you mean 'countries'?)`, or None when every name is known."""
    known = list(known)
    strange = [name for name in names if name not in known]
    if not strange:
        return None
    from kb.suggest import near  # the near-name rule every refusal uses

    parts = []
    for name in strange:
        found = near(name, known, limit=1)
        parts.append(f"{name!r}" + (f" (did you mean {found[0]!r}?)" if found else ""))
    return f"unknown {what}{'s' if len(strange) > 1 else ''} {', '.join(parts)}"


def check_fields(number: int, data: dict[str, Any], known: frozenset[str], what: str) -> None:
    if data.keys() <= known:  # the common case, checked in one step
        return
    problem = unknown(data, sorted(known), what)
    if problem:
        raise BadRecord(number, problem)


@dataclass(frozen=True)
class ClaimFormat:
    name: str
    extensions: tuple[str, ...]
    read: Callable[[Iterable[str]], Iterator[Line]]


def _formats() -> dict[str, ClaimFormat]:
    from kb.formats import csv_claims, jsonl

    return {"jsonl": ClaimFormat("jsonl", (".jsonl", ".ndjson"), jsonl.read),
            "csv": ClaimFormat("csv", (".csv",), csv_claims.read)}


NAMES = ("jsonl", "csv")


def get(name: str) -> ClaimFormat:
    """The claim-file format of this name (one of NAMES)."""
    return _formats()[name]
