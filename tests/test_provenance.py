"""Provenance, as a researcher meets it: source texts, quotes checked against them, re-anchoring
when a text changes, retraction, stance and strength, and who changed what (`kb log`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from kb.services import provenance, status
from tests.conftest import sqlite_only

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import KB

V1 = """The Report

Exports of chips fell by 12% in 2025, the ministry said on Monday.

Grid capacity is the binding constraint for new data centres in the north.

Analysts expect demand could double by 2030 if prices keep falling.

A closing paragraph that nobody quotes at all, about the weather in spring.
"""

# v2 moves the grid paragraph to the end, edits the chips sentence, deletes the demand one.
V2 = """The Report (updated)

Exports of chips fell by 14% in 2025, the ministry said on Tuesday.

A closing paragraph that nobody quotes at all, about the weather in spring.

Grid capacity is the binding constraint for new data centres in the north.
"""


def source_with_text(kb: KB, tmp_path: Path, text: str = V1) -> Path:
    kb.ok("source", "add", "--title", "The Report", "--key", "report2025", "--date", "2025")
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    kb.ok("source", "attach", "report2025", str(path), "--retrieved", "2025-06-01")
    return path


def add_claim(kb: KB, quote: str, *extra: str) -> int:
    result = kb("claim", "add", "--source", "report2025", "--text", "a claim", "--quote", quote,
                *extra)
    assert result.exit_code == 0, result.output
    return int(result.stdout)


def shown(kb: KB, claim_id: int) -> dict:  # type: ignore[type-arg]
    return json.loads(kb.ok("claim", "show", str(claim_id), "--format", "json"))  # type: ignore[no-any-return]


# --- source texts ----------------------------------------------------------------------------


def test_the_same_file_adds_nothing_and_a_changed_one_is_the_next_version(
        kb: KB, tmp_path: Path) -> None:
    path = source_with_text(kb, tmp_path)
    again = kb("source", "attach", "report2025", str(path))
    assert again.exit_code == 0
    assert again.stderr == ("report2025: the same file is text version 1 already; "
                            "nothing added\n")
    path.write_text(V2, encoding="utf-8")
    kb.ok("source", "attach", "report2025", str(path))
    versions = json.loads(kb.ok("source", "texts", "report2025", "--format", "json"))
    assert [(v["version"], v["retrieved"], v["characters"]) for v in versions] == [
        (1, "2025-06-01", len(V1)), (2, None, len(V2))]
    assert versions[0]["raw_sha256"] != versions[1]["raw_sha256"]
    assert kb.ok("source", "text", "report2025", "--version", "1") == V1
    assert kb.ok("source", "text", "report2025") == V2


def test_a_quote_is_checked_when_the_claim_is_added(kb: KB, tmp_path: Path) -> None:
    source_with_text(kb, tmp_path)
    exact = add_claim(kb, "Exports of chips fell by 12% in 2025")
    record = shown(kb, exact)
    assert record["quote_status"] == "verified"
    anchor = record["anchor"]
    assert V1[anchor["start"]:anchor["end"]] == "Exports of chips fell by 12% in 2025"
    assert (anchor["version"], anchor["prefix"][-2:]) == (1, "\n\n")
    curly = add_claim(kb, "grid  capacity is the binding constraint")
    assert shown(kb, curly)["quote_status"] == "normalised"
    # A typo: stored as not-found, and the nearest passage said at once on stderr.
    result = kb("claim", "add", "--source", "report2025", "--text", "t", "--quote",
                "Exports of chips fell by 21% in 2025, the ministry said on Monday")
    assert result.exit_code == 0
    claim_id = int(result.stdout)
    assert shown(kb, claim_id)["quote_status"] == "not-found"
    assert result.stderr.startswith(f"warning: claim {claim_id}'s quote is not in the "
                                    "source's text as typed; nearest passage (")
    assert "'Exports of chips fell by 12% in 2025, the ministry said on Monday" in result.stderr
    statuses = json.loads(kb.ok("claim", "list", "--quote-status", "not-found", "--format",
                                "json"))
    assert [r["id"] for r in statuses] == [claim_id]
    bad = kb("claim", "list", "--quote-status", "found")
    assert (bad.exit_code, bad.stderr.splitlines()[0]) == (
        2, "Error: invalid quote status 'found': expected one of verified, normalised, "
           "candidate, not-found, no-text, unchecked")


def test_no_text_and_a_candidate_accepted_by_a_person(kb: KB, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    kb.ok("source", "add", "--title", "Other", "--key", "other2025")
    untexted = int(kb.ok("claim", "add", "--source", "other2025", "--text", "t", "--quote",
                         "anything at all"))
    assert shown(kb, untexted)["quote_status"] == "no-text"
    source_with_text(kb, tmp_path)
    near = add_claim(kb, "Grid capacity is the binding constraint for new data centers in "
                         "the north")
    assert shown(kb, near)["quote_status"] == "candidate"
    monkeypatch.setenv("KB_USER", "carol")
    kb.ok("quote", "accept", str(near))
    record = shown(kb, near)
    assert record["quote_status"] == "verified"
    assert record["anchor"]["exact"].endswith("data centres in the north")
    refused = kb("quote", "accept", str(near))
    assert (refused.exit_code, refused.stderr) == (
        1, f"Error: claim {near}'s quote is verified, not a candidate; only a candidate can "
           "be accepted\n")
    # Checking again keeps a person's acceptance while the same passage is found.
    kb.ok("quote", "verify", "--claim", str(near))
    assert shown(kb, near)["quote_status"] == "verified"
    log = json.loads(kb.ok("log", "--by", "carol", "--format", "json"))
    assert [(e["entity"], e["id"], e["action"]) for e in log] == [("claim", near, "accepted")]


def test_a_new_version_reanchors_moved_changed_and_orphaned_passages(
        kb: KB, tmp_path: Path) -> None:
    path = source_with_text(kb, tmp_path)
    chips = add_claim(kb, "Exports of chips fell by 12% in 2025")
    grid = add_claim(kb, "Grid capacity is the binding constraint for new data centres in "
                         "the north.")
    demand = add_claim(kb, "Analysts expect demand could double by 2030")
    path.write_text(V2, encoding="utf-8")
    result = kb("source", "attach", "report2025", str(path))
    assert result.exit_code == 0, result.output
    said = {int(line.split(":")[0].split()[1]): line.split(":")[1].split()[0]
            for line in result.stdout.splitlines()}
    assert said[grid] == "moved"
    assert said[demand] == "orphaned"
    assert said[chips] in ("changed", "orphaned")  # 12% became 14%: never a confident match
    assert shown(kb, grid)["anchor"]["version"] == 2
    assert shown(kb, chips)["quote_status"] == "not-found"
    orphans = json.loads(kb.ok("quote", "orphans", "--format", "json"))
    assert demand in [o["claim"] for o in orphans]
    assert grid not in [o["claim"] for o in orphans]


def test_quote_verify_reports_and_stores(kb: KB, tmp_path: Path) -> None:
    source_with_text(kb, tmp_path)
    ok = add_claim(kb, "Exports of chips fell by 12% in 2025")
    result = kb("quote", "verify", "--format", "json")
    assert result.exit_code == 0
    assert [(r["claim"], r["quote_status"]) for r in json.loads(result.stdout)] == [
        (ok, "verified")]
    assert result.stderr == "1 quote(s): 1 verified\n"
    missing = kb("quote", "verify", "--claim", "999")
    assert (missing.exit_code, missing.stderr) == (1, "Error: claim 999 not found\n")


def test_the_seed_quotes_all_verify_against_the_article(seeded: KB) -> None:
    claims = json.loads(seeded.ok("claim", "list", "--format", "json"))
    assert len(claims) == 42
    assert {c["quote_status"] for c in claims} == {"verified"}
    npr = [c for c in claims if c["source"] == "npr2026china"]
    assert npr and all(c["stance"] == "reports" and c["attributed_to"] == "NPR" for c in npr)
    hedged = [c for c in claims if c["stance"] == "hedges"]
    assert {tuple(c["stance_cues"]) for c in hedged} >= {("could",), ("may",)}
    result = seeded("quote", "verify")
    assert (result.exit_code, result.stderr) == (0, "42 quote(s): 42 verified\n")


def test_exports_carry_stance_and_strength(seeded: KB, tmp_path: Path) -> None:
    seeded.ok("evidence", "add", "40", "--refutes", "--source", "npr2026china",
              "--strength", "weak")
    brief = tmp_path / "brief.md"
    seeded.ok("export", "claims", "--format", "markdown", "-o", str(brief))
    text = brief.read_text(encoding="utf-8")
    assert "the source hedges: *may* realize" in text
    assert "the source reports NPR's claim" in text
    assert "[@npr2026china] [weak]" in text
    reviews = json.loads(seeded.ok("export", "claims", "--format", "claimreview"))
    gdp = next(r for r in reviews if r["identifier"] == "claim:40")
    assert gdp["itemReviewed"]["disambiguatingDescription"] == "the source hedges: *may* realize"
    assert gdp["citation"][-1]["description"].startswith("refutes (weak)")
    lines = [json.loads(line) for line in seeded.ok("export", "claims", "--format",
                                                    "jsonl").splitlines()]
    claim = next(line for line in lines if line.get("id") == 40)
    assert (claim["stance"], claim["stance_cues"], claim["quote_status"]) == (
        "hedges", ["may"], "verified")
    assert claim["evidence"][-1]["strength"] == "weak"


# --- bad input -------------------------------------------------------------------------------


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"ab\x00cd")
    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(b"%PDF-1.4\nthis is not a PDF body at all\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:  # sparse: 200 MB on paper, nothing written
        handle.truncate(200 * 1024 * 1024)
    missing = tmp_path / "missing.txt"
    return {
        "missing": (missing, f"Error: invalid file '{missing}': No such file or directory"),
        "binary": (binary, f"Error: invalid file '{binary}': binary file, not text (NUL byte "
                           "at offset 2)"),
        "pdf": (pdf, f"Error: invalid file '{pdf}': unreadable PDF ("),
        "empty": (empty, f"Error: invalid file '{empty}': no text in it"),
        "huge": (huge, f"Error: invalid file '{huge}': 209,715,200 bytes is over the limit of "
                       "52,428,800"),
    }


@pytest.mark.parametrize("case", ["missing", "binary", "pdf", "empty", "huge"])
def test_a_file_that_can_never_be_read_is_refused_and_nothing_is_stored(
        kb: KB, tmp_path: Path, case: str) -> None:
    kb.ok("source", "add", "--title", "The Report", "--key", "report2025")
    path, message = _bad_files(tmp_path)[case]
    before = kb.dump()
    result = kb("source", "attach", "report2025", str(path))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message)
    assert kb.dump() == before


def test_attaching_to_an_unknown_source_is_refused(kb: KB, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("text", encoding="utf-8")
    result = kb("source", "attach", "nosuch", str(path))
    assert (result.exit_code, result.stderr) == (
        1, "Error: source 'nosuch' not found (see `kb source list`)\n")
    unknown = kb("source", "text", "nosuch")
    assert unknown.exit_code == 1


# --- retraction, supersession, standing ----------------------------------------------------


def test_a_retracted_claim_is_kept_hidden_and_out_of_standing(kb: KB) -> None:
    kb.ok("source", "add", "--title", "A", "--key", "a2025")
    target = int(kb.ok("claim", "add", "--source", "a2025", "--text", "target"))
    support = int(kb.ok("claim", "add", "--source", "a2025", "--text", "support"))
    kb.ok("evidence", "add", str(target), "--supports", "--claim", str(support))
    assert shown(kb, target)["status"] == "supported"
    kb.ok("claim", "retract", str(support), "--reason", "misread the table")
    listed = json.loads(kb.ok("claim", "list", "--format", "json"))
    assert [c["id"] for c in listed] == [target]
    assert listed[0]["status"] == "unverified"
    every = json.loads(kb.ok("claim", "list", "--include-retracted", "--format", "json"))
    gone = next(c for c in every if c["id"] == support)
    assert gone["retracted"]["reason"] == "misread the table"
    record = shown(kb, target)
    assert record["status"] == "unverified"
    assert record["ignored_evidence"] == [{"id": 1, "why": f"claim {support} is retracted"}]
    assert f"standing ignores evidence 1: claim {support} is retracted" in kb.ok(
        "claim", "show", str(target))
    assert json.loads(kb.ok("claim", "list", "--status", "supported", "--format",
                            "json")) == []
    newer = int(kb.ok("claim", "add", "--source", "a2025", "--text", "newer"))
    kb.ok("claim", "supersede", str(target), "--by", str(newer))
    assert shown(kb, target)["superseded_by"] == newer


def test_a_retracted_source_leaves_standing_and_a_concern_does_not(kb: KB,
                                                                    tmp_path: Path) -> None:
    kb.ok("source", "add", "--title", "A", "--key", "a2025")
    kb.ok("source", "add", "--title", "Paper", "--key", "paper2024", "--doi", "10.1000/p1")
    kb.ok("source", "add", "--title", "Other", "--key", "other2024")
    claim = int(kb.ok("claim", "add", "--source", "a2025", "--text", "c"))
    kb.ok("evidence", "add", str(claim), "--supports", "--source", "paper2024")
    kb.ok("evidence", "add", str(claim), "--refutes", "--source", "other2024",
          "--strength", "weak")
    assert shown(kb, claim)["status"] == "contested"
    record = tmp_path / "work.json"
    record.write_text(json.dumps({"message": {"DOI": "10.1000/o1", "updated-by": [
        {"type": "expression_of_concern", "DOI": "10.1000/eoc", "label": "Expression of concern",
         "updated": {"date-parts": [[2025, 3, 1]]}}]}}), encoding="utf-8")
    result = kb("source", "retract", "other2024", "--crossref", str(record))
    assert result.exit_code == 0, result.output
    assert result.stderr == ("recorded other2024: expression of concern (10.1000/eoc) of "
                             "2025-03-01\n")
    assert shown(kb, claim)["status"] == "contested"  # a concern is not a retraction
    concerned = json.loads(kb.ok("source", "show", "other2024", "--format", "json"))
    assert (concerned["retracted"], concerned["notices"][0]["kind"]) == (
        False, "expression_of_concern")
    kb.ok("source", "retract", "other2024", "--reason", "fabricated data",
          "--notice-doi", "10.1000/R1", "--date", "2025-04")
    record_ = shown(kb, claim)
    assert record_["status"] == "supported"
    assert json.loads(kb.ok("source", "show", "other2024", "--format", "json"))["retracted"]
    assert "retraction:            fabricated data; 10.1000/r1; 2025-04" in kb.ok(
        "source", "show", "other2024")
    assert record_["ignored_evidence"][0]["why"] == "source 'other2024' is retracted"
    assert record_["evidence"][1]["strength"] == "weak"
    again = kb("source", "retract", "other2024", "--reason", "x", "--notice-doi", "10.1000/r1")
    assert (again.exit_code, again.stderr) == (
        1, "Error: source 'other2024' already has this retraction notice\n")


def test_standing_does_not_weigh_strength() -> None:
    """README, "Standing under mixed strengths": a weak refutation against strong support
    still contests; strength is shown beside each link, never counted as votes."""
    assert status.derive({"supports", "refutes"}) == "contested"
    assert status.derive({"supports"}) == "supported"


def test_crossref_notices_are_read_from_a_work_record() -> None:
    notices = provenance.crossref_notices({"updated-by": [
        {"type": "retraction", "DOI": "10.1/r", "updated": {"date-parts": [[2024, 1, 5]]}},
        {"type": "correction", "DOI": "10.1/c"}]})
    assert [(n["kind"], n["notice_doi"], n["date"]) for n in notices] == [
        ("retraction", "10.1/r", "2024-01-05"), ("correction", "10.1/c", None)]


# --- stance ----------------------------------------------------------------------------------


def test_stance_and_its_cues(kb: KB) -> None:
    kb.ok("source", "add", "--title", "A", "--key", "a2025")
    hedged = int(kb.ok("claim", "add", "--source", "a2025", "--text", "demand doubles",
                       "--quote", "demand could likely double", "--stance", "hedges"))
    record = shown(kb, hedged)
    assert (record["stance"], record["stance_cues"]) == ("hedges", ["could", "likely"])
    assert provenance.stance_phrase("hedges", "could", None, "demand could double soon") == \
        "the source hedges: *could* double"
    wrong = kb("claim", "add", "--source", "a2025", "--text", "t", "--attributed-to", "NPR")
    assert (wrong.exit_code, wrong.stderr) == (
        2, "Error: invalid attributed-to 'NPR': only a claim the source reports is attributed "
           "(--stance reports)\n")
    kb.ok("claim", "edit", str(hedged), "--stance", "predicts")
    history = json.loads(kb.ok("claim", "history", str(hedged), "--format", "json"))
    assert history[-1]["changes"]["stance"] == {"from": "hedges", "to": "predicts"}
    kb.ok("claim", "edit", str(hedged), "--stance", "asserts")  # back to the default
    assert shown(kb, hedged)["stance"] == "asserts"
    plain = int(kb.ok("claim", "add", "--source", "a2025", "--text", "plain"))
    kb.ok("claim", "edit", str(plain), "--stance", "denies")
    history = json.loads(kb.ok("claim", "history", str(plain), "--format", "json"))
    assert history[0]["claim"]["stance"] == "asserts"
    assert history[-1]["claim"]["stance"] == "denies"


# --- the log ---------------------------------------------------------------------------------


def test_the_log_says_who_changed_what_in_time_order(kb: KB,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_USER", "alice")
    kb.ok("source", "add", "--title", "A", "--key", "a2025")
    first = int(kb.ok("claim", "add", "--source", "a2025", "--text", "one"))
    monkeypatch.setenv("KB_USER", "bob")
    second = int(kb.ok("claim", "add", "--source", "a2025", "--text", "two"))
    kb.ok("claim", "edit", str(first), "--text", "one, edited")
    evidence = int(kb.ok("evidence", "add", str(first), "--supports", "--claim", str(second)))
    kb.ok("evidence", "rm", str(evidence))
    kb.ok("claim", "rm", str(second))
    entries = json.loads(kb.ok("log", "--format", "json"))
    # The removed claim's creation was read from its row; its removal keeps who and when.
    assert [(e["by"], e["entity"], e["id"], e["action"]) for e in entries] == [
        ("alice", "source", 1, "create"), ("alice", "claim", first, "created"),
        ("bob", "claim", first, "edited"), ("bob", "evidence", evidence, "created"),
        ("bob", "evidence", evidence, "deleted"), ("bob", "claim", second, "deleted")]
    assert entries[-1]["detail"]["created_by"] == "bob"
    assert entries[-1]["detail"]["text"] == "two"
    assert [e["action"] for e in json.loads(kb.ok("log", "--by", "alice", "--format",
                                                  "json"))] == ["create", "created"]
    assert len(json.loads(kb.ok("log", "--source", "a2025", "--format", "json"))) == 6
    assert json.loads(kb.ok("log", "--since", "2999", "--format", "json")) == []


def test_claim_history_says_who_made_each_change_as_the_log_does(
        kb: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import create_engine, text

    monkeypatch.setenv("KB_USER", "alice")
    kb.ok("source", "add", "--title", "A", "--key", "a2025")
    claim = int(kb.ok("claim", "add", "--source", "a2025", "--text", "one"))
    monkeypatch.setenv("KB_USER", "bob")
    kb.ok("claim", "edit", str(claim), "--text", "one, edited")
    history = json.loads(kb.ok("claim", "history", str(claim), "--format", "json"))
    assert [(h["action"], h["by"]) for h in history] == [("created", "alice"),
                                                        ("edited", "bob")]
    lines = kb.ok("claim", "history", str(claim)).splitlines()
    assert lines[0].split() == ["REV", "AT", "BY", "ACTION"]
    assert [line.split()[2:] for line in (lines[1], lines[2])] == [["alice", "created"],
                                                                   ["bob", "edited"]]
    assert lines[3] == "    text: 'one' -> 'one, edited'"
    log = json.loads(kb.ok("log", "--format", "json"))
    assert [(e["by"], e["action"]) for e in log if e["entity"] == "claim"] == [
        (h["by"], h["action"]) for h in history]
    # Rows from before migration 0008 name no one: "unknown" in both tables, null in JSON.
    engine = create_engine(kb.url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE claim SET created_by = NULL"))
        connection.execute(text("UPDATE claim_revision SET actor = NULL"))
    engine.dispose()
    history = json.loads(kb.ok("claim", "history", str(claim), "--format", "json"))
    assert [h["by"] for h in history] == [None, None]
    assert [line.split()[2] for line in kb.ok("claim", "history", str(claim)).splitlines()[1:3]
            ] == ["unknown", "unknown"]
    assert [e["by"] for e in json.loads(kb.ok("log", "--format", "json"))
            if e["entity"] == "claim"] == [None, None]
    logged = [line.split()[1] for line in kb.ok("log").splitlines()[1:] if " claim " in line]
    assert logged == ["unknown", "unknown"]


# --- JSON Lines keeps provenance; exports for people say what they hid --------------------


def provenance_base(kb: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """A base with every kind of provenance, made by three people: a retracted claim, a
    superseded one, hedged and reported claims, weak and strong evidence, a source under an
    expression of concern and a retracted source."""
    monkeypatch.setenv("KB_USER", "alice")
    kb.ok("source", "add", "--title", "The Report", "--key", "report2025", "--date", "2025")
    kb.ok("source", "add", "--title", "Paper", "--key", "paper2024", "--doi", "10.1000/p1")
    kb.ok("source", "add", "--title", "Other", "--key", "other2024")
    ids = {name: add_claim(kb, quote, *extra) for name, quote, *extra in (
        ("hedged", "Analysts expect demand could double by 2030", "--stance", "hedges"),
        ("reported", "Exports of chips fell by 12% in 2025", "--stance", "reports",
         "--attributed-to", "the ministry"),
        ("wrong", "Grid capacity is the binding constraint"),
        ("old", "A closing paragraph that nobody quotes"),
        ("new", "about the weather in spring"))}
    kb.ok("evidence", "add", str(ids["hedged"]), "--supports", "--source", "paper2024",
          "--strength", "strong")
    kb.ok("evidence", "add", str(ids["hedged"]), "--refutes", "--source", "other2024",
          "--strength", "weak")
    kb.ok("evidence", "add", str(ids["reported"]), "--qualifies", "--claim", str(ids["new"]),
          "--strength", "moderate")
    monkeypatch.setenv("KB_USER", "bob")
    kb.ok("claim", "retract", str(ids["wrong"]), "--reason", "misread the table")
    kb.ok("claim", "supersede", str(ids["old"]), "--by", str(ids["new"]))
    record = tmp_path / "paper.crossref.json"
    record.write_text(json.dumps({"message": {"updated-by": [
        {"type": "expression_of_concern", "DOI": "10.1000/eoc", "label": "Expression of concern",
         "updated": {"date-parts": [[2025, 3, 1]]}}]}}), encoding="utf-8")
    kb.ok("source", "retract", "paper2024", "--crossref", str(record))
    monkeypatch.setenv("KB_USER", "carol")
    kb.ok("source", "retract", "other2024", "--reason", "fabricated data", "--notice-doi",
          "10.1000/r1", "--date", "2025-04")
    return ids


def test_a_jsonl_export_imports_back_with_its_retractions_notices_stance_and_strength(
        kb: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        new_kb: Callable[[], KB]) -> None:
    ids = provenance_base(kb, tmp_path, monkeypatch)
    first = tmp_path / "first.jsonl"
    result = kb("export", "claims", "--format", "jsonl", "-o", str(first))
    assert (result.exit_code, result.stderr) == (0, "")  # nothing left out, nothing to say
    lines = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    claims = {line["id"]: line for line in lines if "id" in line}
    assert set(claims) == set(ids.values())  # the retracted claim too: a backup keeps it
    wrong, old = claims[ids["wrong"]], claims[ids["old"]]
    assert (wrong["retracted"]["reason"], wrong["retracted"]["by"]) == ("misread the table",
                                                                       "bob")
    assert (old["superseded_by"], old["supersession"]["by"]) == (ids["new"], "bob")
    assert claims[ids["hedged"]]["created_by"] == "alice"
    assert [(n["notice_record"]["source"], n["notice_record"]["kind"])
            for n in lines if "notice_record" in n] == [
        ("paper2024", "expression_of_concern"), ("other2024", "retraction")]

    monkeypatch.setenv("KB_USER", "dave")
    other = new_kb()
    result = other("import", str(first))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        "imported 5 claim(s), 3 source(s), 3 evidence link(s), 2 retracted or superseded "
        "claim(s), 2 source notice(s)")
    second = tmp_path / "second.jsonl"
    other.ok("export", "claims", "--format", "jsonl", "-o", str(second))
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")

    # The imported base behaves as the first: the retraction hides and leaves standing, the
    # concern does not, and each claim's history still names who made it.
    for base in (kb, other):
        listed = json.loads(base.ok("claim", "list", "--format", "json"))
        assert ids["wrong"] not in [c["id"] for c in listed]
        hedged = shown(base, ids["hedged"])
        assert (hedged["status"], hedged["stance_cues"]) == ("supported", ["could"])
        assert hedged["ignored_evidence"][0]["why"] == "source 'other2024' is retracted"
        assert [e["strength"] for e in hedged["evidence"]] == ["strong", "weak"]
        assert shown(base, ids["reported"])["attributed_to"] == "the ministry"
        concerned = json.loads(base.ok("source", "show", "paper2024", "--format", "json"))
        assert (concerned["retracted"], concerned["notices"][0]["by"]) == (False, "bob")
        history = json.loads(base.ok("claim", "history", str(ids["hedged"]), "--format",
                                     "json"))
        assert history[0]["by"] == "alice"
    imported = [e for e in json.loads(other.ok("log", "--format", "json"))
                if e["action"] == "imported" and e["entity"] == "claim"]
    assert [(e["by"], e["detail"]) for e in imported] == [
        ("dave", {"claims": 5, "withdrawn": 2, "notices": 2})]
    # The same file again adds the claims again, never the same notice twice.
    again = other("import", str(first))
    assert again.stderr.splitlines()[-1].endswith(", 2 retracted or superseded claim(s)")


def test_a_filtered_jsonl_export_carries_the_claim_that_supersedes(
        kb: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        new_kb: Callable[[], KB]) -> None:
    ids = provenance_base(kb, tmp_path, monkeypatch)
    kb.ok("claim", "edit", str(ids["new"]), "--date", "2026")
    out = tmp_path / "old.jsonl"
    kb.ok("export", "claims", "--format", "jsonl", "--until", "2025", "-o", str(out))
    exported = [json.loads(line).get("id") for line in out.read_text().splitlines()]
    assert ids["old"] in exported and ids["new"] in exported
    other = new_kb()
    other.ok("import", str(out))
    assert shown(other, ids["old"])["superseded_by"] == ids["new"]


@pytest.mark.parametrize("fmt", ["csv", "markdown", "claimreview"])
def test_exports_for_people_leave_retracted_claims_out_and_say_so(
        kb: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    ids = provenance_base(kb, tmp_path, monkeypatch)
    kb.ok("evidence", "add", str(ids["wrong"]), "--supports", "--source", "paper2024")
    out = tmp_path / f"claims.{fmt}"
    result = kb("export", "claims", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == ("1 retracted claim left out; --include-retracted "
                                              "to include them")
    assert "Grid capacity" not in out.read_text(encoding="utf-8")
    result = kb("export", "claims", "--format", fmt, "--include-retracted", "-o", str(out))
    assert "left out" not in result.stderr
    written = out.read_text(encoding="utf-8")
    assert "Grid capacity" in written
    if fmt == "markdown":
        assert "**Retracted**: misread the table · Standing: supported" in written
        assert f"Superseded by claim {ids['new']} · Standing" in written
        assert "the source hedges: *could* double" in written
        assert "the source reports the ministry's claim" in written
        assert "[@paper2024] [strong]" in written and "[@other2024] [weak]" in written


def test_a_jsonl_line_keeps_its_history_in_utc_to_the_second() -> None:
    import datetime as dt

    from kb.formats.jsonl import kept_of

    kept = kept_of({"created": "2026-02-18T10:00:00.5+01:00", "retracted": {
        "reason": "  misread   the table ", "at": "2026-03-01T00:00:00", "by": "bob"}})
    assert kept is not None
    assert (kept.created, kept.reason, kept.actor, kept.withdrawn) == (
        dt.datetime(2026, 2, 18, 9, 0), "misread the table", "bob", True)
    assert kept_of({"created": None, "retracted": None, "superseded_by": None}) is None


@pytest.mark.parametrize(("line", "message"), [
    ({"notice_record": {"source": "report2025"}},
     "line 2: a notice_record needs its source's key and its kind"),
    ({"notice_record": {"source": "nosuch", "kind": "retraction"}},
     "line 2: source 'nosuch' not found (see `kb source list`)"),
    ({"notice_record": {"source": "report2025", "kind": "retraction", "date": "2025-13"}},
     "line 2: invalid date '2025-13': month must be between 1 and 12"),
    ({"source": "report2025", "text": "t", "retracted": {"at": "2025-01-01T00:00:00"}},
     "line 2: invalid retracted {'at': '2025-01-01T00:00:00'}: a retraction needs its reason"),
    ({"source": "report2025", "text": "t", "superseded_by": 99},
     "line 2: superseded_by claim 99 is not in the file"),
    ({"source": "report2025", "text": "t", "created": "yesterday"},
     "line 2: invalid created 'yesterday': expected an ISO 8601 date and time "
     "(2026-02-18T10:00:00)"),
    ({"source": "report2025", "text": "t", "retracted": {"reason": "x", "who": "bob"}},
     "line 2: invalid retracted {'reason': 'x', 'who': 'bob'}: unknown retracted key 'who'"),
])
def test_a_bad_provenance_line_refuses_the_whole_import(
        kb: KB, tmp_path: Path, line: dict, message: str) -> None:  # type: ignore[type-arg]
    kb.ok("source", "add", "--title", "The Report", "--key", "report2025")
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": 1, "source": "report2025", "text": "fine"}) + "\n"
                    + json.dumps(line) + "\n", encoding="utf-8")
    before = kb.dump()
    result = kb("import", str(path))
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}; nothing was imported\n")
    assert kb.dump() == before


# --- PDF and HTML ----------------------------------------------------------------------------


def test_a_pdf_quote_is_placed_on_its_page_and_a_wrong_locator_is_said(
        kb: KB, tmp_path: Path) -> None:
    from tests.test_extract import REPORT, make_pdf

    pytest.importorskip("fpdf")
    kb.ok("source", "add", "--title", "Annual report", "--key", "report2025")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_pdf(REPORT))
    kb.ok("source", "attach", "report2025", str(pdf))
    (version,) = json.loads(kb.ok("source", "texts", "report2025", "--format", "json"))
    assert (version["media_type"], version["pages"]) == ("application/pdf", 2)
    hyphenated = add_claim(kb, "The ministry expects industrial output to grow by 12% in 2026",
                           "--locator", "p. 1")
    record = shown(kb, hyphenated)
    assert (record["quote_status"], record["anchor"]["page"]) == ("normalised", 1)
    wrong = add_claim(kb, "the cost of inference falls every year", "--locator", "p. 1")
    record = shown(kb, wrong)
    assert record["quote_check"]["warnings"] == [
        "the quote is on page 2, not on p. 1 as the locator says"]
    assert "quote warning: the quote is on page 2, not on p. 1 as the locator says" in kb.ok(
        "claim", "show", str(wrong))


def test_an_html_page_gives_its_article_text(kb: KB, tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    from tests.test_extract import PAGE

    kb.ok("source", "add", "--title", "Two AI races", "--key", "races2026")
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    kb.ok("source", "attach", "races2026", str(page), "--url", "https://example.org/races")
    (version,) = json.loads(kb.ok("source", "texts", "races2026", "--format", "json"))
    assert (version["media_type"], version["url"]) == ("text/html", "https://example.org/races")
    text = kb.ok("source", "text", "races2026")
    assert "Subscribe" not in text and "ADVERTISEMENT" not in text
    assert "ubiquitous adoption" in text


# --- texts travel with the database ----------------------------------------------------------


def test_db_copy_carries_texts_and_checks(seeded: KB, kb: KB) -> None:
    result = seeded("db", "copy", kb.db)
    assert result.exit_code == 0, result.output
    assert kb.ok("source", "text", "ainews2026great") == seeded.ok(
        "source", "text", "ainews2026great")
    assert kb.ok("source", "texts", "ainews2026great", "--format", "json") == seeded.ok(
        "source", "texts", "ainews2026great", "--format", "json")
    copied = json.loads(kb.ok("claim", "list", "--format", "json"))
    assert {c["quote_status"] for c in copied} == {"verified"}


@sqlite_only
def test_a_backup_carries_texts(seeded: KB, tmp_path: Path) -> None:
    from tests.conftest import KB as Kb

    target = tmp_path / "backup.sqlite3"
    seeded.ok("backup", str(target))
    copy = Kb(f"sqlite:///{target}")
    assert copy.ok("source", "text", "ainews2026great") == seeded.ok(
        "source", "text", "ainews2026great")
