"""`kb compare`: the seed article's side-by-side table, rebuilt from claims."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.conftest import KB


def ids(kb: KB, *filters: str) -> list[int]:
    return sorted(c["id"] for c in json.loads(kb.ok("claim", "list", *filters, "--format",
                                                    "json")))


def test_each_cell_holds_the_claims_about_that_country_under_that_theme(seeded: KB) -> None:
    rows = json.loads(seeded.ok("compare", "--country", "US", "--country", "China", "--format",
                                "json"))
    assert rows, "the seed compares"
    for row in rows:
        assert set(row["countries"]) == {"US", "CN"}
        for code, cell in row["countries"].items():
            assert cell == ids(seeded, "--country", code, "--theme", row["theme"])
    themes = [row["theme"] for row in rows]
    assert themes == sorted(themes)
    assert "/" not in "".join(themes)  # depth 1: top-level themes
    energy = next(row for row in rows if row["theme"] == "energy")
    assert energy["countries"]["US"] and energy["countries"]["CN"]  # the power wall, both ways


def test_the_seed_table_row_by_row_at_depth_two(seeded: KB) -> None:
    rows = {row["theme"]: row["countries"] for row in json.loads(seeded.ok(
        "compare", "--country", "US", "--country", "CN", "--depth", "2", "--format", "json"))}
    # The article's table: closed ecosystem on the US side, open on China's.
    assert rows["ecosystem/closed"]["US"] and not rows["ecosystem/closed"]["CN"]
    assert rows["ecosystem/open"]["CN"] and not rows["ecosystem/open"]["US"]
    assert rows["hardware/chips"]["CN"] == ids(seeded, "--country", "CN", "--theme",
                                               "hardware/chips")


def test_other_filters_narrow_the_comparison(seeded: KB) -> None:
    rows = json.loads(seeded.ok("compare", "--country", "US", "--country", "CN", "--theme",
                                "energy", "--format", "json"))
    assert [row["theme"] for row in rows] == ["energy"]  # a claim's other themes add no row
    assert rows[0]["countries"]["US"] == ids(seeded, "--country", "US", "--theme", "energy")


def test_compare_by_actor(seeded: KB) -> None:
    rows = json.loads(seeded.ok("compare", "--country", "US", "--country", "CN", "--by",
                                "actor", "--format", "json"))
    nvidia = next(row for row in rows if row["actor"] == "Nvidia")
    assert nvidia["countries"]["CN"] == ids(seeded, "--country", "CN", "--actor", "Nvidia")
    assert rows[-1]["actor"] == "(no actor)"


def test_table_markdown_and_csv_show_the_same_cells(seeded: KB) -> None:
    args = ("compare", "--country", "US", "--country", "CN", "--theme", "hardware")
    rows = json.loads(seeded.ok(*args, "--format", "json"))
    table = seeded.ok(*args)
    assert table.splitlines()[0].split() == ["THEME", "US", "CN"]
    first = rows[0]["countries"]["US"][0]
    assert f"#{first} " in table
    markdown = seeded.ok(*args, "--format", "markdown")
    assert markdown.splitlines()[0] == "| Theme | US | CN |"
    parsed = list(csv.DictReader(io.StringIO(seeded.ok(*args, "--format", "csv"))))
    assert [r["theme"] for r in parsed] == [r["theme"] for r in rows]
    assert parsed[0]["CN"] == ";".join(map(str, rows[0]["countries"]["CN"]))


def test_a_region_is_a_column_of_its_members_and_itself(seeded: KB) -> None:
    rows = json.loads(seeded.ok("compare", "--country", "CN", "--country", "Global South",
                                "--format", "json"))
    markets = next(row for row in rows if row["theme"] == "markets")
    assert markets["countries"]["Global South"] == ids(seeded, "--country", "Global South",
                                                       "--theme", "markets")


def test_compare_needs_two_places_and_refuses_unknown_ones(seeded: KB) -> None:
    one = seeded("compare", "--country", "US")
    assert one.exit_code == 2
    assert one.stderr.strip() == ("Error: invalid country 'US': name at least two countries "
                                  "to compare")
    unknown = seeded("compare", "--country", "US", "--country", "Atlantis")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip().startswith("Error: invalid country 'Atlantis'")
