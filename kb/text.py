"""The one character kb refuses in any text, wherever the text comes from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

from kb.errors import Invalid

NUL = "\x00"


def refuse_nul(value: Any, name: str) -> None:
    """Raise Invalid naming the first string inside `value` that holds a NUL character.

    PostgreSQL cannot store NUL in text, so kb refuses it on SQLite too: a database must be
    able to move from one backend to the other, and a lookup must fail the same way on both.
    """
    for field, text in _strings(value, name):
        if NUL in text:
            raise Invalid(field, text, "contains a NUL character")


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
