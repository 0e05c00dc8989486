"""What kb refuses in any text, wherever the text comes from: NUL, and values longer than
every backend keeps."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

from kb.errors import Invalid

NUL = "\x00"

# The longest value kb keeps, by field, on every backend: the columns' own bounds (unique,
# indexed columns: a bound keeps PostgreSQL's btree entries within its page limit) and the
# full-text bound. PostgreSQL refuses a tsvector over 1 MB (a claim's text, quote and its
# source's title make one); 50,000 characters each of text and quote and 10,000 of title stay
# under it even with distinct four-byte words, and hold any statement or quotation a claim is.
LIMITS = {"key": 200, "source": 200, "theme": 400, "themes": 400, "actor": 400,
          "actors": 400, "region": 200, "regions": 200, "doi": 255, "language": 35,
          "text": 50_000, "quote": 50_000, "title": 10_000}
_INDEX = re.compile(r"\[\d+\]$")


def refuse_nul(value: Any, name: str) -> None:
    """Raise Invalid naming the first string inside `value` that holds a NUL character.

    PostgreSQL cannot store NUL in text, so kb refuses it on SQLite too: a database must be
    able to move from one backend to the other, and a lookup must fail the same way on both.
    """
    for field, text in _strings(value, name):
        if NUL in text:
            raise Invalid(field, text, "contains a NUL character")


def refuse_unkeepable(value: Any, name: str) -> None:
    """`refuse_nul`, and refuse a string longer than kb keeps on every backend (`LIMITS`),
    naming the field and the limit: SQLite would store it, PostgreSQL would not, and a
    database must move between them (`kb db copy`)."""
    for field, text in _strings(value, name):
        if NUL in text:
            raise Invalid(field, text, "contains a NUL character")
        limit = LIMITS.get(_INDEX.sub("", field).rsplit(".", 1)[-1].lstrip("-"))
        if limit is not None and len(text) > limit:
            raise Invalid(field, text[:30] + "…", f"longer than {limit:,} characters, the "
                          "most kb keeps in this field")


def _strings(value: Any, name: str) -> Iterator[tuple[str, str]]:
    """Every string inside dicts, lists and dataclasses, with a dotted name for each."""
    if isinstance(value, str):
        yield name, value
        return
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _strings(inner, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{name}[{index}]")
