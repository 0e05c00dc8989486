"""The NPR seed data set: verbatim quotes, the whole comparison table, idempotent loading."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from kb.db import resource_dir
from tests.conftest import ARTICLE

if TYPE_CHECKING:
    from tests.conftest import KB

SEED = json.loads((resource_dir("seeds") / "npr_2026_ai_divergence.json").read_text())


def table_cells() -> list[tuple[str, str, str]]:
    """(row, United States cell, China cell) for each line of the article's comparison table.

    The plain-text table separates cells by spaces only, so each line is split at the United
    States cell the seed gives for it; what precedes is the row, what follows is China's cell.
    """
    text = ARTICLE.read_text()
    block = text.split("Strategic Focus United States China\n", 1)[1].split("\n\n", 1)[0]
    us_cells = [c["quote"] for c in SEED["claims"] if c["locator"].endswith("United States")]
    cells = []
    for line in block.splitlines():
        us = next(q for q in us_cells if f" {q} " in line)
        row, china = line.split(f" {us} ", 1)
        cells.append((row, us, china))
    return cells


def test_every_quote_occurs_verbatim_in_the_article() -> None:
    article = ARTICLE.read_text()
    assert len(SEED["claims"]) >= 25
    for claim in SEED["claims"]:
        assert claim["quote"] in article, claim["ref"]


def test_every_table_cell_is_a_claim_tagged_with_its_country(seeded: KB) -> None:
    cells = table_cells()
    assert len(cells) == 6
    claims = json.loads(seeded.ok("claim", "list", "--format", "json"))
    for row, us, china in cells:
        for quote, code, column in ((us, "US", "United States"), (china, "CN", "China")):
            match = [c for c in claims if c["quote"] == quote]
            assert len(match) == 1, quote
            assert match[0]["countries"] == [code]
            assert match[0]["locator"].endswith(f"{row}, {column}")


def test_claims_have_paragraph_locators_countries_and_themes(seeded: KB) -> None:
    claims = json.loads(seeded.ok("claim", "list", "--format", "json"))
    for claim in claims:
        assert re.match(r"(para\. \d+|table after para\. 9|summary)", claim["locator"])
        assert claim["countries"] and claim["themes"]


def test_the_article_reports_the_npr_analysis(seeded: KB) -> None:
    article = json.loads(seeded.ok("source", "show", "ainews2026great", "--format", "json"))
    npr = json.loads(seeded.ok("source", "show", "npr2026china", "--format", "json"))
    assert article["reports_on"] == "npr2026china"
    assert npr["reported_by"] == ["ainews2026great"]
    assert npr["date"] == "2026-02-17" and npr["authors"] == [] and npr["publisher"] == "NPR"


def test_the_regions_the_article_names_exist(seeded: KB) -> None:
    regions = {r["name"]: r for r in json.loads(seeded.ok("region", "--format", "json"))}
    assert {"Global South", "Southeast Asia", "Africa", "Latin America"} <= set(regions)
    assert {"VN", "ID", "PH"} <= set(regions["Southeast Asia"]["countries"])
    assert {"NG", "KE", "ZA"} <= set(regions["Africa"]["countries"])
    assert set(regions["Africa"]["countries"]) <= set(regions["Global South"]["countries"])


def test_loading_twice_changes_nothing(seeded: KB) -> None:
    before = seeded.dump()
    result = seeded("seed")
    assert result.exit_code == 0
    assert "added 0 source(s), 0 claim(s), 0 evidence link(s), 0 region(s)" in result.stderr
    assert seeded.dump() == before
