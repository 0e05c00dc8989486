"""Country names as researchers write them, resolved to ISO 3166-1 alpha-2 codes.

pycountry's `lookup()` knows codes and official names but not "U.S.", "PRC", "UK" or
"Russia", and its fuzzy search maps "U.S." to the US Virgin Islands: so kb normalises the
text, applies a small alias table, then asks `lookup()` — and never matches fuzzily.
"""

from __future__ import annotations

import re
from typing import Any

ALIASES: dict[str, str] = {
    "us": "US", "usa": "US", "united states": "US", "united states of america": "US",
    "america": "US", "the united states": "US", "the us": "US", "washington": "US",
    "prc": "CN", "china": "CN", "people's republic of china": "CN", "mainland china": "CN",
    "the people's republic of china": "CN", "beijing": "CN",
    "uk": "GB", "united kingdom": "GB", "britain": "GB", "great britain": "GB",
    "the uk": "GB", "the united kingdom": "GB",
    "russia": "RU", "russian federation": "RU",
    "south korea": "KR", "korea": "KR", "republic of korea": "KR", "rok": "KR",
    "north korea": "KP", "dprk": "KP",
    "taiwan": "TW", "iran": "IR", "vietnam": "VN", "viet nam": "VN", "syria": "SY",
    "laos": "LA", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "moldova": "MD",
    "uae": "AE", "turkey": "TR", "turkiye": "TR", "türkiye": "TR", "czechia": "CZ",
    "ivory coast": "CI", "drc": "CD", "dr congo": "CD", "vatican": "VA", "brunei": "BN",
    "macau": "MO", "hong kong": "HK", "palestine": "PS",
}


def normalize_name(text: str) -> str:
    """Casefold, straighten apostrophes, drop periods, squeeze spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.replace(".", " ").casefold()
    return re.sub(r"\s+", " ", text).strip()


def resolve_country(text: str) -> tuple[str, str] | None:
    """(alpha-2 code, common name) for a country name, code or alias; None if not a country."""
    import pycountry  # ~40 ms to load its database: only when a country is actually named

    key = normalize_name(text)
    if not key:
        return None
    code = ALIASES.get(key) or ALIASES.get(key.replace(" ", ""))
    try:
        country = pycountry.countries.lookup(code or key)
    except LookupError:
        return None
    return country.alpha_2, country_name(country)


def country_name(country: Any) -> str:  # a pycountry record: attributes vary by country
    return str(getattr(country, "common_name", None) or country.name)


def name_of(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return country_name(country) if country else code
