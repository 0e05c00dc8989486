"""Importing what other tools write: biblatex's examples, a Zotero export, pubs, rispy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.conftest import DATA

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import KB

TESTDATA = DATA


def sources(kb: KB) -> dict[str, dict]:  # type: ignore[type-arg]
    return {s["key"]: s for s in json.loads(kb.ok("source", "list", "--format", "json"))}


def test_biblatex_examples_with_macros_crossrefs_and_accents(kb: KB) -> None:
    result = kb("import", str(TESTDATA / "biblatex-examples.bib"))
    assert result.exit_code == 0, result.output
    assert "imported 90, skipped 2, failed 0" in result.stderr
    assert "warning: entry stdmodel: @set groups other entries; skipped" in result.stderr
    found = sources(kb)
    assert found["baez/article"]["title"] == "Higher-Dimensional Algebra V: 2-Groups"
    assert found["baez/article"]["authors"] == ["Baez, John C.", "Lauda, Aaron D."]
    assert found["baez/article"]["type"] == "article-journal"
    assert found["baez/article"]["container"] == "Theory and Applications of Categories"
    # LaTeX accents become Unicode.
    assert any("é" in s["title"] or any("é" in a for a in s["authors"]) for s in found.values())


def test_pubs_decomposed_unicode_is_composed(kb: KB) -> None:
    result = kb("import", str(TESTDATA / "pubs-utf8.bib"))
    assert result.exit_code == 0, result.output
    (source,) = sources(kb).values()
    assert source["title"] == "Grundz\u00fcge der Mengenlehre"
    assert source["date"] == "1949" and source["publisher"] == "Chelsea Pub. Co"


def test_ris_with_byte_order_mark_and_cyrillic(kb: KB) -> None:
    result = kb("import", str(TESTDATA / "rispy-example_utf_chars.ris"))
    assert result.exit_code == 0, result.output
    (source,) = sources(kb).values()
    assert source["title"].startswith("Состояние рецепторного аппарата")
    assert source["authors"][0] == "Dobrokhotova, Yu E."
    assert source["container"] == "Gynecology, Obstetrics and Perinatology"


def test_zotero_export_keyed_by_type_with_string_years(kb: KB) -> None:
    result = kb("import", str(TESTDATA / "zotero-all-types.csl.json"))
    assert result.exit_code == 0, result.output
    # Every item in Zotero's test export has the same URL: one work, the rest duplicates.
    assert "imported 1, skipped 33, failed 0" in result.stderr
    (source,) = sources(kb).values()
    assert source["date"] == "1999-12-31" and source["accessed"] == "1997-06-13"
    assert "{Institutional Author}" in source["authors"]
    assert not source["key"].isdigit()


def test_duplicates_are_skipped_unless_overwrite(kb: KB, tmp_path: Path) -> None:
    kb.ok("source", "add", "--title", "Old title", "--doi", "10.1000/abc", "--key", "mine")
    bib = tmp_path / "lib.bib"
    bib.write_text("@article{theirs, title = {New title}, doi = {10.1000/ABC}, year = 2020}\n")
    skipped = kb("import", str(bib))
    assert "warning: theirs: already here as mine; skipped (--overwrite replaces it)" \
        in skipped.stderr
    assert sources(kb)["mine"]["title"] == "Old title"
    kb.ok("import", str(bib), "--overwrite")
    assert sources(kb)["mine"]["title"] == "New title"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bad.bib", "@article{a, title = {One}}\n\n@article{a, title = {Two}}\n",
     "Error: cannot import: line 3: duplicate key 'a': @article{a, title = {Two}}; "
     "nothing was imported"),
    ("bad.bib", "@article{a, title = {One}}\n@book{b, author = {X}}\n",
     "Error: cannot import: entry b (line 2): no title; nothing was imported"),
    ("bad.bib", "@article{a, title = {One}, year = {20x5}}\n",
     "Error: cannot import: entry a: invalid date '20x5': expected YYYY, YYYY-MM or "
     "YYYY-MM-DD; nothing was imported"),
    ("bad.ris", "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n",
     "Error: cannot import: 2 record(s) start with TY but 1 end with ER; nothing was imported"),
    ("bad.json", '[{"id": "a", "type": "book", "title": "One"},\n {"id": "b", "title": }]',
     "Error: cannot import: line 2: Expecting value; nothing was imported"),
    ("bad.json", '[{"id": "a", "type": "book", "title": "One"}, {"id": "b"}]',
     "Error: cannot import: item 2: no title; nothing was imported"),
    ("bad.json", '[{"id": "a", "type": "book", "title": "One"}, '
     '{"id": "b", "title": "Two", "DOI": "nope"}]',
     "Error: cannot import b: invalid doi 'nope': expected a DOI such as 10.1234/abcd; "
     "nothing was imported"),
])
def test_a_malformed_file_is_refused_whole(kb: KB, tmp_path: Path, name: str, content: str,
                                            message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    before = kb.dump()
    result = kb("import", str(path))
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert kb.dump() == before


def test_unknown_extension_needs_a_format(kb: KB, tmp_path: Path) -> None:
    path = tmp_path / "refs.txt"
    path.write_text("TY  - JOUR\nTI  - One\nER  - \n")
    result = kb("import", str(path))
    assert result.exit_code == 2
    assert "cannot tell the format from the extension" in result.stderr
    assert kb("import", str(path), "--format", "ris").exit_code == 0
