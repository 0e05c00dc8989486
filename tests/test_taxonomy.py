"""Forgiving input and a tidy taxonomy: near names offered, new themes announced, typos undone."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from click.testing import Result

    from tests.conftest import KB

A = "ainews2026great"


def error_line(result: Result) -> str:
    return str(result.stderr).strip().splitlines()[-1]


def test_unknown_actor_offers_the_near_name(seeded: KB) -> None:
    seeded.ok("claim", "add", "--source", A, "--text", "Chip curbs", "--actor", "John Moolenaar")
    before = seeded.dump()
    result = seeded("claim", "list", "--actor", "Moolenaar")
    assert result.exit_code == 1
    assert error_line(result) == \
        "Error: no actor named 'Moolenaar' (did you mean 'John Moolenaar'?)"
    assert seeded.dump() == before


def test_unknown_country_offers_the_near_name(seeded: KB) -> None:
    before = seeded.dump()
    result = seeded("claim", "add", "--source", A, "--text", "x", "--country", "Chna")
    assert result.exit_code == 2
    assert error_line(result).startswith(
        "Error: invalid country 'Chna': not a known country or region (did you mean 'China'")
    assert seeded.dump() == before


def test_unknown_region_offers_the_near_name(seeded: KB) -> None:
    result = seeded("claim", "list", "--country", "Global Suoth")
    assert result.exit_code == 2
    assert "(did you mean 'Global South'" in error_line(result)


def test_unknown_source_offers_the_near_key(seeded: KB) -> None:
    result = seeded("claim", "add", "--source", "npr2026", "--text", "x")
    assert result.exit_code == 1
    assert error_line(result) == "Error: source 'npr2026' not found (did you mean 'npr2026china'?)"


def test_unknown_theme_offers_the_near_path_parents_included(seeded: KB) -> None:
    result = seeded("claim", "list", "--theme", "hardwre")
    assert result.exit_code == 1
    assert error_line(result) == "Error: no theme 'hardwre' (did you mean 'hardware'?)"


def test_kb_actors_lists_actors_with_claim_counts(seeded: KB) -> None:
    seeded.ok("claim", "add", "--source", A, "--text", "One", "--actor", "Nvidia")
    rows = json.loads(seeded.ok("actors", "--format", "json"))
    nvidia = next(row for row in rows if row["name"] == "Nvidia")
    listed = json.loads(seeded.ok("claim", "list", "--actor", "Nvidia", "--format", "json"))
    assert nvidia == {"name": "Nvidia", "kind": "organization", "claims": len(listed)}
    assert [r["claims"] for r in rows] == sorted((r["claims"] for r in rows), reverse=True)


def test_countries_all_lists_every_country_with_aliases(kb: KB) -> None:
    rows = {r["code"]: r for r in json.loads(kb.ok("countries", "--all", "--format", "json"))}
    assert len(rows) >= 249
    assert "usa" in rows["US"]["aliases"]
    assert "prc" in rows["CN"]["aliases"]
    assert rows["FR"]["claims"] == 0
    assert kb.ok("countries", "--format", "json").strip() == "[]"  # without --all: in use only


def test_eu_is_a_builtin_region_of_27_members(kb: KB) -> None:
    kb.ok("source", "add", "--title", "Chips Act", "--key", "eu2023")
    claim = kb.ok("claim", "add", "--source", "eu2023", "--text", "Europe subsidises fabs",
                  "--country", "EU").strip()
    regions = {r["name"]: r for r in json.loads(kb.ok("region", "--format", "json"))}
    assert len(regions["European Union"]["countries"]) == 27
    assert "DE" in regions["European Union"]["countries"]
    assert "GB" not in regions["European Union"]["countries"]
    by_alias = json.loads(kb.ok("claim", "list", "--country", "EU", "--format", "json"))
    assert [c["id"] for c in by_alias] == [int(claim)]
    by_name = json.loads(kb.ok("claim", "list", "--country", "European Union", "--format",
                               "json"))
    assert [c["regions"] for c in by_name] == [["European Union"]]


def test_new_theme_is_announced_with_the_near_theme(seeded: KB) -> None:
    result = seeded("claim", "add", "--source", A, "--text", "x", "--theme", "hardwre/chips")
    assert result.exit_code == 0
    assert result.stderr.strip() == \
        "new theme 'hardwre/chips' (did you mean 'hardware/chips'?)"
    again = seeded("claim", "add", "--source", A, "--text", "y", "--theme", "hardwre/chips")
    assert again.stderr == ""  # known now


def test_refused_command_announces_no_theme(seeded: KB) -> None:
    result = seeded("claim", "add", "--source", A, "--text", "x", "--theme", "brand/new",
                    "--date", "nope")
    assert result.exit_code == 2
    assert "new theme" not in result.stderr


def test_themes_without_claims_leave_the_listing(seeded: KB) -> None:
    claim = seeded.ok("claim", "add", "--source", A, "--text", "x", "--theme", "typo/theme")
    assert "typo/theme" in seeded.ok("themes")
    seeded.ok("claim", "rm", claim.strip())
    listed = [r["theme"] for r in json.loads(seeded.ok("themes", "--format", "json"))]
    assert "typo/theme" not in listed and "typo" not in listed


def test_themes_rename_merges_a_typo_into_the_real_theme(seeded: KB) -> None:
    claim = int(seeded.ok("claim", "add", "--source", A, "--text", "x", "--theme",
                          "hardwre/chips", "--theme", "energy").strip())
    chips_before = len(json.loads(seeded.ok("claim", "list", "--theme", "hardware/chips",
                                            "--format", "json")))
    result = seeded("themes", "rename", "hardwre", "hardware")
    assert result.exit_code == 0
    assert result.stderr.strip() == ("renamed 1 theme(s), 1 claim link(s) moved; "
                                     "merged into hardware/chips")
    shown = json.loads(seeded.ok("claim", "show", str(claim), "--format", "json"))
    assert shown["themes"] == ["energy", "hardware/chips"]
    history = json.loads(seeded.ok("claim", "history", str(claim), "--format", "json"))
    assert history[0]["claim"]["themes"] == ["energy", "hardwre/chips"]  # as it was created
    assert history[-1]["action"] == "renamed"
    assert history[-1]["changes"] == {"themes": {"from": ["energy", "hardwre/chips"],
                                                 "to": ["energy", "hardware/chips"]}}
    chips = json.loads(seeded.ok("claim", "list", "--theme", "hardware/chips", "--format",
                                 "json"))
    assert len(chips) == chips_before + 1
    assert "hardwre" not in seeded.ok("themes")


def test_themes_rename_moves_a_subtree_to_a_new_name(seeded: KB) -> None:
    before = json.loads(seeded.ok("claim", "list", "--theme", "energy", "--format", "json"))
    seeded.ok("themes", "rename", "energy", "power")
    after = json.loads(seeded.ok("claim", "list", "--theme", "power", "--format", "json"))
    assert [c["id"] for c in after] == [c["id"] for c in before]
    assert all(t.startswith("power") or not t.startswith("energy")
               for c in after for t in c["themes"])
    result = seeded("claim", "list", "--theme", "energy")
    assert result.exit_code == 1


def test_themes_rename_refuses_unknown_and_into_itself(seeded: KB) -> None:
    before = seeded.dump()
    unknown = seeded("themes", "rename", "hardwre", "hardware")
    assert unknown.exit_code == 1
    assert error_line(unknown) == "Error: no theme 'hardwre' (did you mean 'hardware'?)"
    inside = seeded("themes", "rename", "energy", "energy/grid")
    assert inside.exit_code == 2
    assert error_line(inside) == ("Error: invalid theme 'energy/grid': cannot move 'energy' "
                                  "into itself")
    assert seeded.dump() == before
