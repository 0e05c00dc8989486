"""One rule for a source, whichever door it comes in by (issue 7, item 2): `kb source add` and
an import's inline `source_record` store it through the same pure function, and recognise the
same work by the same identity (DOI; else URL with title, year and first author; else key)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from kb.dates import day_number
from kb.errors import Invalid
from kb.services import sources
from kb.services.bulk import source_rows
from kb.services.sources import SourceFields

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import KB

PLACEHOLDER = "https://example.org/"


def test_the_stored_values_are_a_pure_function_of_the_fields() -> None:
    stored = sources.stored_values(SourceFields(
        title=" Anabasis ", date="-0333", language="english", accessed="2026-01~",
        url="https://Example.org:443/a/", doi="https://doi.org/10.1000/ABC",
        extra={"volume": "12", "page": ""}, authors=["Xenophon", "{Loeb}"]))
    assert stored["title"] == "Anabasis"
    assert (stored["issued"], stored["issued_literal"]) == ("-0333", None)
    assert (stored["issued_start"], stored["issued_end"]) == (day_number(-333, 1, 1),
                                                              day_number(-333, 12, 31))
    assert (stored["language"], stored["accessed"]) == ("en", "2026-01~")
    assert (stored["url_normalized"], stored["doi"]) == ("https://example.org/a", "10.1000/abc")
    assert stored["extra"] == {"volume": "12", "page": ""}  # "" removes page on an edit
    assert [(a["position"], a["name"], a["literal"]) for a in stored["authors"]] == [
        (0, "Xenophon", False), (1, "{Loeb}", True)]
    assert sources.stored_values(SourceFields(date="")) == {
        "issued": None, "issued_start": None, "issued_end": None}  # an edit's clearing
    new = sources.new_values(SourceFields(title="T", date="2014-12-31/2015-01-01",
                                          extra={"volume": "12", "page": ""}))
    assert (new["type"], new["issued_start"], new["issued_end"], new["extra"]) == (
        "article", day_number(2014, 12, 31), day_number(2015, 1, 1), {"volume": "12"})
    assert new.keys() == {*sources.COLUMNS, "authors"}


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"title": " "}, "title", "must not be empty"),
    ({"title": "T", "date": "2025-13-45"}, "date", "expected an EDTF date"),
    ({"title": "T", "type": "paper"}, "type", "not a CSL item type"),
    ({"title": "T", "extra": {"title": "x"}}, "field", "kb keeps this one in its own field"),
])
def test_both_paths_refuse_the_same_fields(fields: dict[str, Any], field: str,
                                           message: str) -> None:
    for path in (lambda: sources.new_values(SourceFields(**fields)),
                 lambda: source_rows({"key": "k", **fields}, 1, None, "me")):
        with pytest.raises(Invalid) as refused:
            path()
        assert (refused.value.field, message in str(refused.value)) == (field, True)


def import_file(kb: KB, tmp_path: Path, lines: list[dict[str, Any]]) -> str:
    path = tmp_path / f"in{len(list(tmp_path.iterdir()))}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = kb("import", str(path))
    assert result.exit_code == 0, result.output
    return result.stderr.splitlines()[-1]


def works(kb: KB) -> dict[str, list[str]]:
    """Each source's key and the texts of its claims."""
    return {s["key"]: [c["text"] for c in json.loads(kb.ok("source", "show", s["key"],
                                                            "--format", "json"))["claims"]]
            for s in json.loads(kb.ok("source", "list", "--format", "json"))}


def test_a_shared_placeholder_url_alone_is_not_the_same_work(kb: KB, tmp_path: Path) -> None:
    first = {"key": "doe2020a", "title": "Chips", "date": "2020", "authors": ["Doe, Jane"],
             "url": PLACEHOLDER}
    lines = [
        {"source_record": first, "text": "one"},
        {"source_record": {**first, "key": "roe2020", "authors": ["Roe, Rick"]}, "text": "two"},
        {"source_record": {**first, "key": "doe2020b", "title": "Power"}, "text": "three"},
        {"source_record": {**first, "key": "doe2021", "date": "2021"}, "text": "four"},
        # The same URL, title (as title_key), year and first author: the same work.
        {"source_record": {**first, "key": "again", "title": "chips!", "date": "2020-05",
                           "authors": ["Doe, J."]}, "text": "five"}]
    assert import_file(kb, tmp_path, lines) == \
        "imported 5 claim(s), 4 source(s), 0 evidence link(s)"
    assert works(kb) == {"doe2020a": ["one", "five"], "roe2020": ["two"],
                         "doe2020b": ["three"], "doe2021": ["four"]}
    # Another file: the stored sources are found by URL and told apart the same way.
    assert import_file(kb, tmp_path, [
        {"source_record": {**first, "key": "later"}, "text": "six"},
        {"source_record": {**first, "key": "doe2020c", "title": "Grids"}, "text": "seven"}]) \
        == "imported 2 claim(s), 1 source(s), 0 evidence link(s)"
    assert works(kb)["doe2020a"] == ["one", "five", "six"]
    assert works(kb)["doe2020c"] == ["seven"]


def test_the_same_doi_is_the_same_work_whatever_else_differs(kb: KB, tmp_path: Path) -> None:
    kb.ok("source", "add", "--key", "stored", "--title", "Stored", "--doi", "10.1000/Z")
    assert import_file(kb, tmp_path, [
        {"source_record": {"key": "a", "title": "A", "doi": "10.1000/x"}, "text": "one"},
        {"source_record": {"key": "b", "title": "B", "doi": "https://doi.org/10.1000/X",
                           "url": PLACEHOLDER}, "text": "two"},
        {"source_record": {"key": "c", "title": "C", "doi": "doi:10.1000/z"}, "text": "three"}]
    ) == "imported 3 claim(s), 1 source(s), 0 evidence link(s)"
    assert works(kb) == {"a": ["one", "two"], "stored": ["three"]}


def test_an_inline_source_has_the_history_kb_source_add_writes(kb: KB, tmp_path: Path) -> None:
    record = {"key": "x", "title": "Anabasis", "date": "-0333", "language": "english",
              "authors": ["Xenophon"], "extra": {"volume": "2"}}
    import_file(kb, tmp_path, [{"source_record": record, "text": "march"}])
    kb.ok("source", "add", "--key", "y", "--title", "Anabasis", "--date", "-0333",
          "--language", "english", "--author", "Xenophon", "--field", "volume=2")
    imported, added = (kb.ok("source", "history", key).splitlines() for key in ("x", "y"))
    assert imported[0].split()[1:] == ["create", "by", sources.actor()]
    assert imported[1:] == [line.replace('"y"', '"x"') for line in added[1:]]
    assert '  language: "en"' in imported
    kb.ok("source", "edit", "x", "--date", "2014-12-31/2015-01-01")
    assert kb.ok("source", "history", "x").splitlines()[-1] == \
        '  date: "-0333" → "2014-12-31/2015-01-01"'


def test_sources_with_and_without_a_key_mix_across_batches(kb: KB, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from kb.services import bulk

    monkeypatch.setattr(bulk, "BATCH", 1)  # a batch per line: kb's ids, then the server's
    lines = [{"source_record": {"key": "k1", "title": "One"}, "text": "one"},
             {"source_record": {"title": "Two", "authors": ["Doe, Jane"], "date": "2020"},
              "text": "two"},
             {"source_record": {"key": "k3", "title": "Three"}, "text": "three"},
             {"source_record": {"title": "Two", "authors": ["Doe, Jane"], "date": "2020"},
              "text": "again"}]
    assert import_file(kb, tmp_path, lines) == \
        "imported 4 claim(s), 3 source(s), 0 evidence link(s)"
    kb.ok("source", "add", "--key", "k4", "--title", "Four")
    assert works(kb) == {"k1": ["one"], "doe2020two": ["two", "again"], "k3": ["three"],
                         "k4": []}
