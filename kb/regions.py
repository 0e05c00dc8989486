"""Regions kb knows without being told: named sets of countries with their common aliases.

A built-in region becomes a database row the first time it is named, like a country; the
user may redefine it with `kb region add`, as any other region.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinRegion:
    name: str
    aliases: tuple[str, ...]
    countries: tuple[str, ...]
    note: str


BUILTIN_REGIONS = (
    BuiltinRegion(
        "European Union", ("EU", "the EU", "the European Union"),
        ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
         "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
        "the 27 member states since 1 February 2020",
    ),
)
