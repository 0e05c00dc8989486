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
    assert "added 90, updated 0, unchanged 0, skipped 0 (already here), left out 0 (invalid)" \
        in result.stderr
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
    # Every item in Zotero's test export has the same placeholder URL, title and year, and most
    # the same authors; its 34 ids say they are 34 items. Two of them (a journal article and a
    # conference paper) also share a DOI, and the same DOI is the same work: 33 works.
    assert "warning: journalArticle (55): already here as authorlast1999titled (same DOI); " \
        "skipped" in result.stderr
    assert "added 33, updated 0, unchanged 0, skipped 1" in result.stderr
    found = sources(kb)
    assert len(found) == 33
    source = next(s for s in found.values() if s["type"] == "paper-conference")
    assert source["date"] == "1999-12-31" and source["accessed"] == "1997-06-13"
    assert "{Institutional Author}" in source["authors"]
    assert not any(key.isdigit() for key in found)


def test_duplicates_are_skipped_unless_overwrite(kb: KB, tmp_path: Path) -> None:
    kb.ok("source", "add", "--title", "Old title", "--doi", "10.1000/abc", "--key", "mine")
    bib = tmp_path / "lib.bib"
    bib.write_text("@article{theirs, title = {New title}, doi = {10.1000/ABC}, year = 2020}\n")
    skipped = kb("import", str(bib))
    assert "warning: entry theirs: already here as mine (same DOI); skipped (--overwrite " \
        "fills it in from this record)" in skipped.stderr
    assert sources(kb)["mine"]["title"] == "Old title"
    kb.ok("import", str(bib), "--overwrite")
    assert sources(kb)["mine"]["title"] == "New title"


SKIP = " (--skip-invalid imports the rest)"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bad.bib", "@article{a, title = {One}}\n\n@article{a, title = {Two}}\n",
     "Error: cannot import {path}: line 3: duplicate key 'a': @article{a, title = {Two}}; "
     "nothing was imported"),
    ("bad.bib", "@article{a, title = {One}}\n@book{b, author = {X}}\n",
     "Error: cannot import: entry b: no title; nothing was imported" + SKIP),
    ("bad.ris", "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n",
     "Error: cannot import {path}: 2 record(s) start with TY but 1 end with ER; nothing was "
     "imported"),
    ("bad.json", '[{"id": "a", "type": "book", "title": "One"},\n {"id": "b", "title": }]',
     "Error: cannot import {path}: line 2 column 23: Expecting value; nothing was imported"),
    ("bad.json", '[{"id": "a", "type": "book", "title": "One"}, {"id": "b"}]',
     "Error: cannot import: item 2: no title; nothing was imported" + SKIP),
    ("bad.json", '[{"id": "a", "type": "book", "title": "One"}, '
     '{"id": "b", "title": "Two", "DOI": "nope"}]',
     "Error: cannot import item 2 (b): invalid doi 'nope': expected a DOI such as "
     "10.1234/abcd; nothing was imported" + SKIP),
])
def test_a_malformed_file_is_refused_whole(kb: KB, tmp_path: Path, name: str, content: str,
                                            message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    before = kb.dump()
    result = kb("import", str(path))
    assert result.exit_code == 1
    assert result.stderr == message.replace("{path}", str(path)) + "\n"
    assert kb.dump() == before


def test_unknown_extension_needs_a_format(kb: KB, tmp_path: Path) -> None:
    path = tmp_path / "refs.txt"
    path.write_text("TY  - JOUR\nTI  - One\nER  - \n")
    result = kb("import", str(path))
    assert result.exit_code == 2
    assert "cannot tell the format from the extension" in result.stderr
    assert kb("import", str(path), "--format", "ris").exit_code == 0
