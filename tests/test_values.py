"""The small parsers every command leans on: dates, countries, DOIs and URLs."""

from __future__ import annotations

import datetime as dt

import pytest

from kb.countries import resolve_country
from kb.dates import parse_date
from kb.errors import Invalid
from kb.identifiers import normalize_doi, normalize_url


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ("2026-02-17", dt.date(2026, 2, 17), dt.date(2026, 2, 17)),
])
def test_partial_dates_keep_their_span(text: str, start: dt.date, end: dt.date) -> None:
    date = parse_date(text)
    assert (date.start, date.end, str(date)) == (start, end, text)


@pytest.mark.parametrize("text", ["2026-13-45", "2025-02-29", "last tuesday", "26", "2026/02",
                                  "2026-00", ""])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_date(text)
    assert caught.value.field == "date" and caught.value.value == text


@pytest.mark.parametrize(("name", "code"), [
    ("U.S.", "US"), ("U.S.A.", "US"), ("America", "US"), ("united states", "US"),
    ("PRC", "CN"), ("People\u2019s Republic of China", "CN"), ("UK", "GB"), ("Russia", "RU"),
    ("South Korea", "KR"), ("Korea", "KR"), ("DEU", "DE"), ("fr", "FR"), ("Viet Nam", "VN"),
])
def test_country_names_resolve(name: str, code: str) -> None:
    resolved = resolve_country(name)
    assert resolved is not None and resolved[0] == code


@pytest.mark.parametrize("name", ["Atlantis", "U.S. Virgin", "Global South", ""])
def test_unknown_countries_are_not_guessed(name: str) -> None:
    assert resolve_country(name) is None


def test_dois_and_urls_compare_in_normal_form() -> None:
    assert normalize_doi("https://doi.org/10.1000/ABC") == normalize_doi("doi:10.1000/abc")
    assert normalize_url("HTTPS://Example.org:443/a/") == normalize_url("https://example.org/a")
    assert normalize_url("http://example.org:8080/a?q=1#x") == "http://example.org:8080/a?q=1#x"
    assert normalize_url("https://example.org/Path") != normalize_url("https://example.org/path")
