"""Real libraries come in whole: their dates, fields, shared URLs, bad records and encodings."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING, Any

import pytest

from kb.dates import SourceDate, day_number, parse_source_date, plain_date
from kb.formats import csl_json
from tests.conftest import DATA

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import KB


def sources(kb: KB) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in json.loads(kb.ok("source", "list", "--format", "json"))}


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


# 1. Dates ------------------------------------------------------------------------------------

CSL_DATES = [
    ({"date-parts": [["-334"]]}, "-0333"),  # 334 BCE; EDTF counts year 0 as 1 BCE
    ({"date-parts": [[2014, 12, 31], [2015, 1, 1]]}, "2014-12-31/2015-01-01"),
    ({"date-parts": [[1985]], "season": 1}, "1985-21"),
    ({"date-parts": [[1850]], "circa": True}, "1850~"),
    ({"date-parts": [["2015", 4, 30]]}, "2015-04-30"),
    ({"date-parts": [[1999, 14]]}, "1999-22"),  # citeproc-js writes seasons as months 13-16
    ({"raw": "1984?"}, "1984?"),
]


@pytest.mark.parametrize(("csl", "edtf"), CSL_DATES)
def test_csl_dates_become_edtf_and_go_back(csl: dict[str, Any], edtf: str) -> None:
    date = csl_json.date_from_csl(csl, "item 1")
    assert date == SourceDate(edtf=edtf)
    again = csl_json.date_from_csl(csl_json.date_to_csl(date), "item 1")
    assert again == date


def test_a_literal_date_is_kept_as_written() -> None:
    date = csl_json.date_from_csl({"literal": "13th cent"}, "item 1")
    assert date == SourceDate(literal="13th cent")
    assert csl_json.date_to_csl(date) == {"literal": "13th cent"}
    assert date.span() == (None, None)


def test_spans_reach_before_year_one() -> None:
    assert parse_source_date("-0333").span() == (day_number(-333, 1, 1), day_number(-333, 12, 31))
    assert day_number(1, 1, 1) == 1 and day_number(0, 12, 31) == 0
    start, end = parse_source_date("2014-12-31/2015-01-01").span()
    assert end is not None and start is not None and end - start == 1
    assert parse_source_date("1985-21").span()[0] == day_number(1985, 3, 1)


def test_plain_dates_alone_fall_back_to_claims() -> None:
    assert str(plain_date("2025-07-22")) == "2025-07-22"
    assert plain_date("1850~") is None and plain_date("-0333") is None
    assert plain_date("2014-12-31/2015-01-01") is None and plain_date(None) is None


@pytest.fixture
def dated(kb: KB, tmp_path: Path) -> KB:
    items = [{"id": f"d{n}", "type": "book", "title": f"Dated {n}", "issued": csl}
             for n, (csl, _edtf) in enumerate(CSL_DATES)]
    items.append({"id": "lit", "type": "book", "title": "Undated",
                  "issued": {"literal": "13th cent"}})
    result = kb("import", write(tmp_path, "dates.json", json.dumps(items)))
    assert result.exit_code == 0, result.output
    return kb


def test_a_library_of_real_dates_is_kept_not_refused(dated: KB) -> None:
    found = sources(dated)
    for n, (_csl, edtf) in enumerate(CSL_DATES):
        assert found[f"d{n}"]["date"] == edtf
    assert found["lit"]["date"] is None and found["lit"]["date_literal"] == "13th cent"


def test_each_format_carries_the_dates_its_own_way(dated: KB) -> None:
    biblatex = dated.ok("export", "citations", "--format", "biblatex")
    for edtf in ("-0333", "2014-12-31/2015-01-01", "1985-21", "1850~"):
        assert f"date = {{{edtf}}}" in biblatex
    assert "year = {13th cent}" in biblatex
    bibtex = dated.ok("export", "citations", "--format", "bibtex")
    assert "year = {334 BC}" in bibtex and "year = {2014--2015}" in bibtex
    items = {i["id"]: i for i in json.loads(dated.ok("export", "citations", "--format",
                                                     "csl-json"))}
    assert items["d0"]["issued"] == {"date-parts": [[-334]]}
    assert items["d1"]["issued"] == {"date-parts": [[2014, 12, 31], [2015, 1, 1]]}
    assert items["d2"]["issued"] == {"date-parts": [[1985]], "season": 1}
    assert items["d3"]["issued"] == {"date-parts": [[1850]], "circa": True}
    assert items["lit"]["issued"] == {"literal": "13th cent"}
    ris = dated.ok("export", "citations", "--format", "ris")
    assert "PY  - 2015\nDA  - 2015/04/30/" in ris
    assert "DA  - ///1850~" in ris


@pytest.mark.parametrize("fmt", ["biblatex", "bibtex", "csl-json", "ris"])
def test_dates_survive_every_format(dated: KB, new_kb: Callable[[], KB], tmp_path: Path,
                                    fmt: str) -> None:
    out = tmp_path / ("refs.json" if fmt == "csl-json" else f"refs.{fmt}")
    dated.ok("export", "citations", "--format", fmt, "-o", str(out))
    other = new_kb()
    result = other("import", str(out), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert {k: (s["date"], s["date_literal"]) for k, s in sources(other).items()} == \
        {k: (s["date"], s["date_literal"]) for k, s in sources(dated).items()}


def test_source_add_takes_edtf_and_claims_keep_plain_dates(kb: KB) -> None:
    assert kb.ok("source", "add", "--title", "Anabasis", "--date", "-0369~",
                 "--key", "xen").strip() == "xen"
    assert sources(kb)["xen"]["date"] == "-0369~"
    refused = kb("claim", "add", "--source", "xen", "--text", "Ten thousand", "--date", "-0369")
    assert refused.exit_code == 2
    assert "expected YYYY, YYYY-MM or YYYY-MM-DD" in refused.stderr
    claim = kb.ok("claim", "add", "--source", "xen", "--text", "Ten thousand").strip()
    shown = json.loads(kb.ok("claim", "show", claim, "--format", "json"))
    assert shown["date"] is None  # not a plain date: no fallback
    bad = kb("source", "add", "--title", "X", "--date", "2025-13-45")
    assert bad.exit_code == 2 and "expected an EDTF date" in bad.stderr


# 2. RIS titles and URLs ----------------------------------------------------------------------

RIS = """TY  - BOOK
T1  - A book titled in T1
UR  - https://example.org/a; https://mirror.example.org/a
UR  - https://archive.example.org/a
ER  - {end}

TY  - UNPB
CT  - An unpublished work titled in CT
ER  - {end}

TY  - BOOK
BT  - A whole book titled in BT
ER  - {end}

TY  - CHAP
TI  - A chapter
BT  - Its book
ER  - {end}
""".format(end="")


def test_ris_titles_per_type_and_every_url(kb: KB, tmp_path: Path) -> None:
    result = kb("import", write(tmp_path, "refs.ris", RIS))
    assert result.exit_code == 0, result.output
    found = {s["title"]: s for s in sources(kb).values()}
    assert set(found) == {"A book titled in T1", "An unpublished work titled in CT",
                          "A whole book titled in BT", "A chapter"}
    assert found["A chapter"]["container"] == "Its book"
    book = found["A book titled in T1"]
    assert book["url"] == "https://example.org/a"
    assert book["extra"]["custom"]["urls"] == ["https://mirror.example.org/a",
                                                "https://archive.example.org/a"]
    out = kb.ok("export", "citations", "--format", "ris")
    assert ("UR  - https://example.org/a\nUR  - https://mirror.example.org/a\n"
            "UR  - https://archive.example.org/a\n") in out


# 3. Duplicates -------------------------------------------------------------------------------


def test_two_ris_records_sharing_a_url_are_two_works(kb: KB, tmp_path: Path) -> None:
    text = ("TY  - JOUR\nTI  - First\nAU  - Smith, Ann\nUR  - https://example.org/\nER  - \n\n"
            "TY  - JOUR\nTI  - Second\nAU  - Jones, Bob\nUR  - https://example.org/\nER  - \n")
    result = kb("import", write(tmp_path, "two.ris", text))
    assert "added 2," in result.stderr
    assert len(sources(kb)) == 2


def test_the_same_paper_four_times_is_one_work(kb: KB, tmp_path: Path) -> None:
    kb.ok("source", "add", "--title", "Chips and States", "--author", "Farrell, Henry",
          "--date", "2024", "--doi", "10.1000/chips", "--url", "https://example.org/chips",
          "--key", "farrell2024chips")
    bib = "@article{other, title = {Chips and States}, doi = {10.1000/CHIPS}, year = 2024}\n"
    ris = ("TY  - JOUR\nTI  - Chips and States\nAU  - Farrell, Henry\nPY  - 2024\n"
           "UR  - HTTPS://Example.org:443/chips/\nER  - \n")
    csl = json.dumps([{"id": "x", "type": "article-journal", "title": "chips and states!",
                       "author": [{"family": "Farrell", "given": "H."}],
                       "issued": {"date-parts": [[2024, 5]]},
                       "URL": "https://example.org/chips"}])
    for name, text in (("a.bib", bib), ("a.ris", ris), ("a.json", csl)):
        result = kb("import", write(tmp_path, name, text))
        assert "added 0, updated 0, unchanged 0, skipped 1" in result.stderr, result.stderr
    assert list(sources(kb)) == ["farrell2024chips"]
    same = kb("source", "add", "--title", "Chips and States", "--author", "Farrell, Henry",
              "--date", "2024", "--url", "https://example.org/chips")
    assert same.exit_code == 1 and "already exists: farrell2024chips" in same.stderr
    # Another work at the same URL is another source.
    kb.ok("source", "add", "--title", "Placeholder page", "--url", "https://example.org/chips")
    assert len(sources(kb)) == 2


# 4. Records kb cannot take -------------------------------------------------------------------

BAD_RECORDS = json.dumps([
    {"id": "one", "type": "book", "title": "One"},
    {"id": "two", "type": "book"},
    {"id": "three", "type": "book", "title": "Three", "DOI": "not a doi"},
    {"id": "four", "type": "book", "title": "Four"},
])


def test_a_record_without_a_title_refuses_the_file_naming_it(kb: KB, tmp_path: Path) -> None:
    before = kb.dump()
    result = kb("import", write(tmp_path, "bad.json", BAD_RECORDS))
    assert result.exit_code == 1
    assert result.stderr == ("Error: cannot import: item 2: no title; nothing was imported "
                             "(--skip-invalid imports the rest)\n")
    assert kb.dump() == before


def test_skip_invalid_imports_the_rest_and_lists_what_it_left_out(kb: KB,
                                                                 tmp_path: Path) -> None:
    result = kb("import", write(tmp_path, "bad.json", BAD_RECORDS), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "left out: item 2: no title\n" in result.stderr
    assert "left out: item 3 (three): invalid doi 'not a doi'" in result.stderr
    assert result.stderr.endswith("added 2, updated 0, unchanged 0, skipped 0 (already here), "
                                  "left out 2 (invalid); 0 warning(s)\n")
    assert sorted(sources(kb)) == ["four", "one"]


# 5. Nothing dropped --------------------------------------------------------------------------

REAL_FILES = [("biblatex-examples.bib", "biblatex"), ("pubs-utf8.bib", "biblatex"),
              ("rispy-example_utf_chars.ris", "ris"), ("zotero-all-types.csl.json", "csl-json")]


@pytest.mark.parametrize(("name", "fmt"), REAL_FILES)
@pytest.mark.parametrize("via", ["same", "csl-json"])
def test_import_export_import_keeps_every_field(new_kb: Callable[[], KB], tmp_path: Path, name: str,
                                                fmt: str, via: str) -> None:
    first = new_kb()
    result = first("import", str(DATA / name))
    assert result.exit_code == 0, result.output
    out_format = fmt if via == "same" else via
    out = tmp_path / ("out.json" if out_format == "csl-json" else f"out.{out_format}")
    first.ok("export", "citations", "--format", out_format, "-o", str(out))
    second = new_kb()
    again = second("import", str(out), "--format", out_format)
    assert again.exit_code == 0, again.output
    assert "warning:" not in again.stderr  # kb's own files carry nothing kb cannot read
    assert sources(second) == sources(first)


def test_fields_beyond_the_columns_are_kept(kb: KB) -> None:
    kb.ok("import", str(DATA / "zotero-all-types.csl.json"))
    article = next(s for s in sources(kb).values() if s["type"] == "article-magazine")
    assert article["extra"]["volume"] == "6" and article["extra"]["page"] == "1-10"
    assert article["extra"]["ISSN"] == "1234-5679"
    book = next(s for s in sources(kb).values() if s["type"] == "book"
                and s["extra"].get("edition"))
    assert book["extra"]["publisher-place"] == "Place"
    assert book["extra"]["editor"] == [{"family": "editorLast", "given": "editorFirst"}]
    assert book["extra"]["translator"] == [{"family": "translatorLast",
                                            "given": "translatorFirst"}]
    assert book["extra"]["ISBN"] == "978-1-234-56789-7"


def test_biblatex_fields_map_to_csl_and_back(kb: KB, tmp_path: Path) -> None:
    bib = ("@article{k, author = {Baez, John}, title = {Algebra}, journaltitle = {TAC},\n"
           "  date = {2004}, volume = {12}, number = {3}, pages = {423--491},\n"
           "  issn = {1201-561X}, editor = {Doe, Jane}, location = {Montreal},\n"
           "  sorttitle = {Algebra}}\n")
    result = kb("import", write(tmp_path, "k.bib", bib))
    assert "warning: BibLaTeX field 'sorttitle' has no place in kb and was not kept (entry k)" \
        in result.stderr
    extra = sources(kb)["k"]["extra"]
    assert extra["volume"] == "12" and extra["issue"] == "3" and extra["ISSN"] == "1201-561X"
    assert extra["publisher-place"] == "Montreal"
    assert extra["editor"] == [{"family": "Doe", "given": "Jane"}]
    out = kb.ok("export", "citations", "--format", "biblatex")
    for line in ("volume = {12}", "number = {3}", "issn = {1201-561X}", "editor = {Doe, Jane}",
                 "location = {Montreal}"):
        assert line in out
    bibtex = kb.ok("export", "citations", "--format", "bibtex")
    assert "address = {Montreal}" in bibtex and "volume = {12}" in bibtex


@pytest.mark.skipif(not shutil.which("pandoc"), reason="formatted references need pandoc")
def test_apa_of_a_journal_article_has_volume_issue_and_pages(kb: KB, tmp_path: Path) -> None:
    csl = json.dumps([{"id": "k", "type": "article-journal", "title": "Algebra",
                       "author": [{"family": "Baez", "given": "John"}],
                       "container-title": "Theory and Applications of Categories",
                       "issued": {"date-parts": [[2004]]}, "volume": "12", "issue": "3",
                       "page": "423-491"}])
    kb.ok("import", write(tmp_path, "k.json", csl))
    apa = kb.ok("export", "citations", "--format", "text", "--style", "apa")
    assert "Theory and Applications of Categories, 12(3), 423\u2013491." in apa


def test_unknown_keys_and_tags_are_named(kb: KB, tmp_path: Path) -> None:
    csl = json.dumps([{"id": "k", "type": "book", "title": "T", "zotero-key": "X"}])
    result = kb("import", write(tmp_path, "k.json", csl))
    assert "warning: CSL-JSON key 'zotero-key' has no place in kb and was not kept (item 1)" \
        in result.stderr
    ris = "TY  - BOOK\nTI  - T2\nC1  - custom\nXY  - odd\nER  - \n"
    result = kb("import", write(tmp_path, "k.ris", ris))
    assert "warning: RIS tag 'C1' has no place in kb and was not kept (record 1)" in result.stderr
    assert "warning: RIS tag 'XY' has no place in kb" in result.stderr


# 6. Files kb cannot decode or parse ----------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "where"), [
    ("latin1.bib", "@book{k, title = {Caf\u00e9}}\n".encode("latin-1"),
     "not UTF-8 text (byte 21, line 1: b'\\xe9')"),
    ("binary.ris", b"TY  - BOOK\n\x89PNG\x00\x01",
     "not a text file (a NUL byte at byte 15, line 2)"),
    ("latin1.json", '[{"id": "k", "title": "Caf\u00e9"}]'.encode("latin-1"),
     "not UTF-8 text (byte 26, line 1: b'\\xe9')"),
])
def test_undecodable_files_are_refused_in_one_line(kb: KB, tmp_path: Path, name: str,
                                                   content: bytes, where: str) -> None:
    path = write(tmp_path, name, content)
    before = kb.dump()
    result = kb("import", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot import {path}: {where}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert kb.dump() == before


def test_an_undecodable_claims_file_is_refused_in_one_line(seeded: KB, tmp_path: Path) -> None:
    path = write(tmp_path, "claims.jsonl",
                 '{"source": "npr2026china", "text": "caf\u00e9"}\n'.encode("latin-1"))
    before = seeded.dump()
    result = seeded("import", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot import {path}: not UTF-8 text (byte 39, "
                                    "line 1")
    assert result.stderr.count("\n") == 1
    assert seeded.dump() == before


# 7. Overwrite fills in, says what changed, and keeps history --------------------------------


def test_overwrite_with_a_thinner_copy_keeps_what_it_lacks(kb: KB, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("KB_USER", "ada")
    full = json.dumps([{"id": "rep", "type": "report", "title": "Grid report",
                        "author": [{"family": "Farrell", "given": "Henry"},
                                   {"family": "Newman", "given": "Abraham L."}],
                        "issued": {"date-parts": [[2025, 7, 22]]}, "volume": "2",
                        "DOI": "10.1000/grid"}])
    kb.ok("import", write(tmp_path, "full.json", full))
    thin = json.dumps([{"id": "rep", "title": "Grid report", "DOI": "10.1000/grid",
                        "issued": {"date-parts": [[2025, 7]]}, "page": "1-20",
                        "publisher": "IEA"}])
    result = kb("import", write(tmp_path, "thin.json", thin), "--overwrite")
    assert result.exit_code == 0, result.output
    assert "rep: publisher: (none) → IEA\n" in result.stderr
    assert "rep: page: (none) → 1-20\n" in result.stderr
    assert "rep: date" not in result.stderr and "rep: authors" not in result.stderr
    assert result.stderr.endswith("added 0, updated 1, unchanged 0, skipped 0 (already here), "
                                  "left out 0 (invalid); 0 warning(s)\n")
    source = sources(kb)["rep"]
    assert source["authors"] == ["Farrell, Henry", "Newman, Abraham L."]
    assert source["date"] == "2025-07-22" and source["type"] == "report"
    again = kb("import", write(tmp_path, "thin.json", thin), "--overwrite")
    assert "added 0, updated 0, unchanged 1," in again.stderr
    history = kb.ok("source", "history", "rep")
    lines = history.splitlines()
    assert lines[0].endswith("  create  by ada")
    assert any(line.endswith("  overwrite  by ada") for line in lines)
    assert '  publisher: null → "IEA"' in lines


def test_edits_are_in_the_history(kb: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_USER", "grace")
    kb.ok("source", "add", "--title", "Old", "--key", "s")
    kb.ok("source", "edit", "s", "--title", "New")
    lines = kb.ok("source", "history", "s").splitlines()
    assert lines[-2].endswith("  edit  by grace")
    assert lines[-1] == '  title: "Old" → "New"'
    missing = kb("source", "history", "nope")
    assert missing.exit_code == 1


# 8. Zotero ids are not citation keys ---------------------------------------------------------


def test_a_zotero_uri_id_never_becomes_the_key(kb: KB, tmp_path: Path) -> None:
    csl = json.dumps([{"id": "http://zotero.org/users/1234567/items/ABCD1234", "type": "book",
                       "title": "Chip War", "author": [{"family": "Miller", "given": "Chris"}],
                       "issued": {"date-parts": [[2022]]}}])
    path = write(tmp_path, "zotero.json", csl)
    kb.ok("import", path)
    assert list(sources(kb)) == ["miller2022chip"]
    again = kb("import", path)  # the same export again finds the same work
    assert "skipped 1" in again.stderr and list(sources(kb)) == ["miller2022chip"]
    refused = kb("source", "add", "--title", "X", "--key", "http://zotero.org/items/A")
    assert refused.exit_code == 2 and "a citation key is not a URL" in refused.stderr


# 9. Languages and names ----------------------------------------------------------------------


def test_langid_is_stored_as_bcp47_and_authors_read_unambiguously(kb: KB,
                                                                  tmp_path: Path) -> None:
    bib = ("@book{fn, author = {Farrell, Henry and Newman, Abraham L.}, title = {Underground "
           "Empire}, date = {2023}, langid = {english}}\n"
           "@book{us, title = {American}, langid = {american}}\n")
    kb.ok("import", write(tmp_path, "l.bib", bib))
    assert sources(kb)["fn"]["language"] == "en" and sources(kb)["us"]["language"] == "en-US"
    shown = kb.ok("source", "show", "fn")
    assert "Farrell, Henry; Newman, Abraham L.\n" in shown
    out = kb.ok("export", "citations", "--format", "biblatex")
    assert "langid = {english}" in out and "langid = {american}" in out
    kb.ok("source", "add", "--title", "Tagged", "--language", "en-us", "--key", "t")
    assert sources(kb)["t"]["language"] == "en-US"


# 10. The summary counts what it should -------------------------------------------------------


def test_the_summary_separates_added_skipped_left_out_and_warnings(kb: KB,
                                                                   tmp_path: Path) -> None:
    bib = ("@book{a, title = {A}, sorttitle = {A}}\n@book{b, author = {X}}\n"
           "@set{s, entryset = {a}}\n")
    path = write(tmp_path, "s.bib", bib)
    first = kb("import", path, "--skip-invalid")
    assert first.stderr.endswith("added 1, updated 0, unchanged 0, skipped 0 (already here), "
                                 "left out 1 (invalid); 2 warning(s)\n")
    second = kb("import", path, "--skip-invalid")
    assert second.stderr.endswith("added 0, updated 0, unchanged 0, skipped 1 (already here), "
                                  "left out 1 (invalid); 3 warning(s)\n")


def test_a_source_list_as_csv_carries_the_other_variables_as_json(kb: KB) -> None:
    kb.ok("source", "add", "--title", "T", "--key", "t", "--field", "volume=3")
    out = kb.ok("source", "list", "--format", "csv")
    assert '"{""volume"": ""3""}"' in out


# The migration ------------------------------------------------------------------------------


def test_sources_at_0004_get_their_spans_and_round_trip(empty_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from kb.db import alembic_config

    config = alembic_config(empty_url)
    command.upgrade(config, "0004")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        for key, url in (("a", "https://example.org/x"), ("b", None)):
            conn.execute(text(
                "INSERT INTO source (key, type, title, issued, url, url_normalized, created_at, "
                "updated_at) VALUES (:k, 'report', 'Old', '2024-02', :u, :u, "
                "'2024-05-01 10:00:00', '2024-05-01 10:00:00')"), {"k": key, "u": url})
    command.upgrade(config, "0006")
    with engine.begin() as conn:
        row = conn.execute(text(
            "SELECT issued, issued_start, issued_end FROM source WHERE key = 'a'")).one()
        assert tuple(row) == ("2024-02", day_number(2024, 2, 1), day_number(2024, 2, 29))
        conn.execute(text("UPDATE source SET issued = '-0333', url_normalized = "
                          "'https://example.org/x' WHERE key = 'b'"))
    command.downgrade(config, "0004")  # lossy: no EDTF there, and URLs unique again
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT key, issued, url_normalized FROM source ORDER BY key"))
        assert [tuple(r) for r in rows] == [("a", "2024-02", "https://example.org/x"),
                                            ("b", None, None)]
    engine.dispose()
