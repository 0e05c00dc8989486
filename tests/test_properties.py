"""Whatever a researcher types, kb answers with a result or one clear error — never a
traceback — and a refused command leaves the database exactly as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from tests.conftest import KB

text = st.text(max_size=40)
dates = st.one_of(text, st.from_regex(r"\d{1,5}(-\d{1,2}){0,2}", fullmatch=True))
countries = st.one_of(text, st.sampled_from(["U.S.", "PRC", "Global South", "Atlantis", "",
                                             "People\u2019s Republic of China", "uk"]))
keys = st.one_of(text, st.from_regex(r"[a-z]{1,8}\d{0,4}", fullmatch=True))
# Derandomized: CI sees the same examples every run (a new seed is a local experiment).
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def check(kb: KB, *args: str) -> None:
    before = kb.dump()
    result = kb(*args)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{args}: {result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2)
    if result.exit_code != 0:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert kb.dump() == before


@SETTINGS
@given(claim_text=text, date=dates, country=countries, theme=text, actor=text)
def test_claim_add(seeded: KB, claim_text: str, date: str, country: str, theme: str,
                   actor: str) -> None:
    check(seeded, "claim", "add", "--source", "npr2026china", "--text", claim_text, "--date",
          date, "--country", country, "--theme", theme, "--actor", actor)


@SETTINGS
@given(key=keys, title=text, date=dates, doi=text, url=text, author=text)
def test_source_add(seeded: KB, key: str, title: str, date: str, doi: str, url: str,
                    author: str) -> None:
    check(seeded, "source", "add", "--key", key, "--title", title, "--date", date, "--doi",
          doi, "--url", url, "--author", author)


@SETTINGS
@given(country=countries, theme=text, since=dates, until=dates, query=text, source=keys)
def test_queries(seeded: KB, country: str, theme: str, since: str, until: str, query: str,
                 source: str) -> None:
    check(seeded, "claim", "list", "--country", country, "--since", since, "--until", until)
    check(seeded, "claim", "list", "--theme", theme, "--source", source)
    check(seeded, "search", query)


@SETTINGS
@given(claim_id=st.integers(-5, 60), relation=st.sampled_from(["--supports", "--refutes"]),
       key=keys, quote=text)
def test_evidence_and_edits(seeded: KB, claim_id: int, relation: str, key: str,
                            quote: str) -> None:
    check(seeded, "evidence", "add", str(claim_id), relation, "--source", key, "--quote", quote)
    check(seeded, "claim", "edit", str(claim_id), "--quote", quote, "--date", key)
