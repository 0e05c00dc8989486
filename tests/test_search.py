"""Full-text search: ranked, combinable with filters, highlighted, kept in sync by triggers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from kb.cli import cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import KB


def found(kb: KB, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(kb.ok("search", *args, "--format", "json"))
    return rows


def test_words_phrases_or_not_and_prefixes(seeded: KB) -> None:
    chips = found(seeded, "chips")
    assert chips and all("chip" in (c["text"] + c["quote"]).lower() for c in chips)
    assert not [c for c in found(seeded, "chips NOT Nvidia") if "Nvidia" in c["quote"]]
    grid = {c["id"] for c in found(seeded, '"power grid"')}
    nuclear = {c["id"] for c in found(seeded, "nuclear")}
    assert {c["id"] for c in found(seeded, '"power grid" OR nuclear')} == grid | nuclear
    assert {c["id"] for c in found(seeded, "semicon*")} >= {
        c["id"] for c in found(seeded, "semiconductor")}
    # Words in the source title match too: every claim of the article has "Divergence".
    assert len(found(seeded, "divergence")) >= 41


def test_search_combines_with_filters_and_ranks(seeded: KB) -> None:
    us_only = found(seeded, "chips", "--country", "US", "--theme", "hardware")
    assert us_only and all("US" in c["countries"] for c in us_only)
    listed = json.loads(seeded.ok("claim", "list", "--search", "grid", "--limit", "2",
                                  "--format", "json"))
    assert len(listed) == 2
    # Best first: a claim whose own text says "grid" twice beats one that only quotes it.
    ranked = found(seeded, "grid")
    assert "grid" in ranked[0]["text"].lower()


def test_a_search_without_a_limit_returns_every_match(kb: KB, tmp_path: Path) -> None:
    from kb.services.search import CANDIDATES

    many = CANDIDATES + 50
    path = tmp_path / "claims.jsonl"
    lines: list[dict[str, Any]] = [{"source_record": {"key": "s", "title": "Minerals"}}]
    lines += [{"source": "s", "text": f"lithium supply note {i}"} for i in range(many)]
    lines += [{"source": "s", "text": "lithium lithium lithium: the lithium report"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    kb.ok("import", str(path))
    assert len(found(kb, "lithium")) == many + 1
    # Asked for the first few, kb ranks recent matches: the densest mention comes first.
    best = found(kb, "lithium", "--limit", "3")
    assert len(best) == 3 and best[0]["text"].startswith("lithium lithium")


def test_table_output_highlights_the_matched_words(seeded: KB) -> None:
    result = CliRunner().invoke(cli, ["--db", seeded.db, "search", "nuclear"],
                                color=True)
    assert "\x1b[1m\x1b[33m" in result.stdout or "\x1b[33m\x1b[1m" in result.stdout
    plain = seeded.ok("search", "nuclear")
    assert "\x1b[" not in plain


def test_index_follows_edits_and_deletes(seeded: KB) -> None:
    claim = seeded.ok("claim", "add", "--source", "npr2026china", "--text",
                      "Quantum annealers are irrelevant").strip()
    assert [c["id"] for c in found(seeded, "annealers")] == [int(claim)]
    seeded.ok("claim", "edit", claim, "--text", "Photonic chips are irrelevant")
    assert found(seeded, "annealers") == []
    seeded.ok("source", "edit", "npr2026china", "--title", "Zebrafish report")
    assert int(claim) in [c["id"] for c in found(seeded, "zebrafish")]
    seeded.ok("claim", "rm", claim)
    assert found(seeded, "photonic") == []


@pytest.mark.parametrize(("query", "message"), [
    ('"power grid', "Error: invalid search '\"power grid': a phrase is missing its closing "
     "quote"),
    ("OR chips", "Error: invalid search 'OR chips': OR needs words on both sides"),
    ("chips OR", "Error: invalid search 'chips OR': OR needs words after it"),
    ("NOT chips", "Error: invalid search 'NOT chips': NOT needs words before it (e.g. chips "
     "NOT Nvidia)"),
    ("*", "Error: invalid search '*': a phrase or prefix has no words"),
    ("!!", "Error: invalid search '!!': no words to search for"),
])
def test_malformed_queries_get_a_clear_error(seeded: KB, query: str, message: str) -> None:
    result = seeded("search", query)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
