"""A researcher's session: add sources and claims, link evidence, query, show, edit."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.conftest import KB


def claims_json(kb: KB, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(kb.ok("claim", "list", "--format", "json", *args))
    return rows


def test_log_claims_link_evidence_and_ask_what_a_source_asserted(kb: KB) -> None:
    report = kb.ok("source", "add", "--title", "Chip Wars in 2025", "--type", "report",
                   "--author", "Miller, Chris", "--author", "{Center for Strategy}",
                   "--date", "2025-03", "--url", "https://example.org/chips?id=1&x=%20",
                   "--doi", "10.5555/Chips.2025").strip()
    assert report == "miller2025chip"
    news = kb.ok("source", "add", "--title", "Grid strain grows", "--date", "2026-01-15",
                 "--type", "article-newspaper", "--container", "The Daily").strip()

    first = kb.ok("claim", "add", "--source", report, "--text", "China lacks advanced chips",
                  "--quote", "advanced chips remain scarce", "--locator", "p. 4",
                  "--country", "PRC", "--theme", "hardware/chips", "--actor", "Nvidia").strip()
    second = kb.ok("claim", "add", "--source", news, "--text", "US grid is the bottleneck",
                   "--country", "U.S.", "--theme", "Energy / Grid").strip()
    third = kb.ok("claim", "add", "--source", news, "--text", "Chip supply to China improves",
                  "--country", "China", "--theme", "hardware", "--date", "2026").strip()

    kb.ok("evidence", "add", first, "--supports", "--source", news, "--quote", "scarce",
          "--locator", "para. 2")
    kb.ok("evidence", "add", first, "--refutes", "--claim", third, "--note", "newer data")
    kb.ok("evidence", "add", second, "--supports", "--source", report)

    by_id = {c["id"]: c for c in claims_json(kb)}
    assert by_id[int(first)]["status"] == "contested"
    assert by_id[int(second)]["status"] == "supported"
    assert by_id[int(third)]["status"] == "unverified"
    assert by_id[int(first)]["countries"] == ["CN"]
    assert by_id[int(second)]["themes"] == ["energy/grid"]
    assert by_id[int(first)]["date"] == "2025-03"  # the source's date by default
    assert by_id[int(third)]["date"] == "2026"

    shown = json.loads(kb.ok("source", "show", report, "--format", "json"))
    assert shown["authors"] == ["Miller, Chris", "{Center for Strategy}"]
    assert shown["doi"] == "10.5555/chips.2025"
    assert [c["text"] for c in shown["claims"]] == ["China lacks advanced chips"]

    claim = json.loads(kb.ok("claim", "show", first, "--format", "json"))
    assert {(e["relation"], e["source"], e["claim"]) for e in claim["evidence"]} == {
        ("supports", news, None), ("refutes", None, int(third))}

    table = kb.ok("claim", "show", first)
    assert "quote:" in table and "advanced chips remain scarce" in table
    assert "contested" in table


def test_queries_combine_places_themes_dates_and_standing(seeded: KB) -> None:
    china_chips = claims_json(seeded, "--country", "People's Republic of China",
                              "--theme", "hardware", "--since", "2025")
    assert china_chips, "the seed has claims about China and hardware"
    assert all("CN" in c["countries"] for c in china_chips)
    assert all(any(t.startswith("hardware") for t in c["themes"]) for c in china_chips)
    assert {"hardware/chips", "hardware/edge", "hardware/compute"} <= {
        t for c in china_chips for t in c["themes"]}

    # The article is dated 2026-02: a window inside February matches, one before it does not.
    assert claims_json(seeded, "--since", "2026-02-10", "--until", "2026-02-11")
    assert not [c for c in claims_json(seeded, "--until", "2026-01-31")
                if c["source"] == "ainews2026great"]

    regional = claims_json(seeded, "--country", "Africa")
    assert [c["regions"] for c in regional] == [["Africa", "Latin America", "Southeast Asia"]]

    supported = claims_json(seeded, "--status", "supported")
    assert {c["text"][:29] for c in supported} == {
        "The US and China are pursuing", "China focuses on deploying AI"}

    limited = claims_json(seeded, "--country", "US", "--limit", "3")
    assert len(limited) == 3
    assert claims_json(seeded, "--actor", "nvidia")


def test_country_names_and_aliases_resolve_to_one_code(seeded: KB) -> None:
    us = claims_json(seeded, "--country", "US")
    for alias in ("U.S.", "USA", "United States", "America", "u.s.a."):
        assert claims_json(seeded, "--country", alias) == us
    cn = claims_json(seeded, "--country", "CN")
    for alias in ("PRC", "China", "People\u2019s Republic of China"):
        assert claims_json(seeded, "--country", alias) == cn


def test_edit_records_history_and_replaces_lists(seeded: KB) -> None:
    claim_id = seeded.ok("claim", "add", "--source", "ainews2026great", "--text", "Draft",
                         "--country", "US").strip()
    seeded.ok("claim", "edit", claim_id, "--text", "Final wording", "--country", "CN",
              "--country", "GB")
    history = json.loads(seeded.ok("claim", "history", claim_id, "--format", "json"))
    assert [h["action"] for h in history] == ["created", "edited"]
    assert history[1]["changes"]["text"] == {"from": "Draft", "to": "Final wording"}
    assert history[1]["changes"]["countries"] == {"from": ["US"], "to": ["CN", "GB"]}
    seeded.ok("claim", "edit", claim_id, "--quote", "")  # nothing changes: no revision
    assert len(json.loads(seeded.ok("claim", "history", claim_id, "--format", "json"))) == 2


def test_listings_in_every_format(seeded: KB) -> None:
    rows = json.loads(seeded.ok("source", "list", "--format", "json"))
    assert {r["key"]: r["claims"] for r in rows} == {"ainews2026great": 41, "npr2026china": 1}
    csv_text = seeded.ok("claim", "list", "--format", "csv", "--source", "npr2026china")
    header, line = csv_text.splitlines()
    assert header.startswith("id,source,text,quote,locator,date,countries,regions,themes")
    assert ",CN;US," in line
    table = seeded.ok("countries")
    assert table.splitlines()[1].split()[:2] == ["CN", "China"]
    assert seeded.ok("claim", "list", "--country", "Latin America", "--status", "refuted") == ""
    assert seeded.ok("claim", "list", "--status", "refuted", "--format", "json").strip() == "[]"


def test_removing_things(seeded: KB) -> None:
    refused = seeded("source", "rm", "npr2026china")
    assert refused.exit_code == 1
    assert "has 1 claim(s) and is evidence for 1 claim(s); pass --force" in refused.stderr
    seeded.ok("source", "rm", "npr2026china", "--force")
    assert "npr2026china" not in seeded.ok("source", "list")
    assert seeded.ok("claim", "list", "--status", "supported", "--format", "json").count(
        '"id"') == 1


def test_themes_count_descendants_once(seeded: KB) -> None:
    rows = {r["theme"]: r for r in json.loads(seeded.ok("themes", "--format", "json"))}
    hardware = rows["hardware"]
    assert hardware["claims"] == 0
    children = [r for t, r in rows.items() if t.startswith("hardware/")]
    assert hardware["with_subthemes"] <= sum(r["claims"] for r in children)
    assert hardware["with_subthemes"] == len(claims_json(seeded, "--theme", "hardware"))


def test_generated_keys_stay_unique_past_the_alphabet(kb: KB) -> None:
    keys = [kb.ok("source", "add", "--title", "Same title", "--author", "Roe, Ann",
                  "--date", "2024").strip() for _ in range(29)]
    assert len(set(keys)) == 29
    assert keys[:3] == ["roe2024same", "roe2024samea", "roe2024sameb"]
    assert keys[-1] == "roe2024same3"
