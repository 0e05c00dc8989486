"""Citations accepted by the tools researchers use: pandoc, biber, bibtex, Zotero (RIS/CSL)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import jsonschema
import pytest

from tests.conftest import DATA

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import KB

# The hard cases: no author, organisations as authors, diacritics and CJK, LaTeX specials,
# URLs with ? & % #, year-only and year-month dates, DOIs.
FIXTURES = [
    ["--key", "npr2026china", "--type", "report", "--publisher", "NPR", "--date", "2026-02-17",
     "--title", "China and US Diverge on AI Strategies: Adoption vs Model Perfection"],
    ["--key", "iea2025electricity", "--type", "report", "--author",
     "{International Energy Agency}", "--publisher", "IEA", "--date", "2025-02",
     "--title", "Electricity 2025", "--accessed", "2026-03-01",
     "--url", "https://www.iea.org/reports/electricity-2025?utm=1&x=%20#section-2"],
    ["--key", "muller2024uber", "--type", "article-journal", "--author", "Müller, Jörg",
     "--author", "李, 明", "--container", "Zeitschrift für KI", "--date", "2024",
     "--doi", "10.1234/KI.2024.5", "--language", "de",
     "--title", "Über künstliche Intelligenz: 人工智能的发展",
     "--field", "volume=5", "--field", "issue=2", "--field", "page=10-20",
     "--field", "ISSN=0378-5955"],
    ["--key", "smith2025costs", "--type", "article-newspaper", "--author", "Smith, Jane",
     "--container", "The Daily", "--date", "2025-11",
     "--title", "Costs & Benefits: 100% of $5 #AI_models {beta} ~ ^ \\ in <AI>"],
    ["--key", "miller2022chip", "--type", "book", "--author", "Miller, Chris",
     "--publisher", "Scribner", "--date", "2022", "--title", "Chip War",
     "--field", "publisher-place=New York", "--field", "ISBN=978-1-9821-7200-8",
     "--field", "edition=1"],
    ["--key", "hai2025index", "--type", "webpage", "--author", "{Stanford HAI}",
     "--container", "Stanford HAI", "--date", "2025-04", "--accessed", "2026-03-01",
     "--url", "https://hai.stanford.edu/ai-index/2025-ai-index-report",
     "--title", "The 2025 AI Index Report", "--note", "Figures in chapter 1"],
]
KEYS = [f[1] for f in FIXTURES]
STYLES = ["apa", "chicago-author-date", "mla", "ieee", "harvard"]
# On a developer's machine without the tools these skip; in CI (.ci/run installs them) never.
needs = pytest.mark.skipif(
    not os.environ.get("CI")
    and not all(shutil.which(t) for t in ("pandoc", "biber", "bibtex", "lualatex")),
    reason="pandoc, biber, bibtex and lualatex come from Debian packages (.ci/run installs them)")


@pytest.fixture
def library(kb: KB) -> KB:
    for fixture in FIXTURES:
        kb.ok("source", "add", *fixture)
    return kb


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False,
                          timeout=300)


def test_csl_json_validates_against_the_schema_with_integer_dates(library: KB) -> None:
    items = json.loads(library.ok("export", "citations", "--format", "csl-json"))
    schema = json.loads((DATA / "csl-data.json").read_text())
    jsonschema.validate(items, schema)
    assert sorted(i["id"] for i in items) == sorted(KEYS)
    for item in items:
        for date in ("issued", "accessed"):
            if date in item:
                assert all(isinstance(p, int) for p in item[date]["date-parts"][0])
    npr = next(i for i in items if i["id"] == "npr2026china")
    assert "author" not in npr and npr["issued"] == {"date-parts": [[2026, 2, 17]]}


@needs
@pytest.mark.parametrize("style", [None, "chicago-author-date"])
def test_pandoc_renders_a_document_citing_every_key(library: KB, tmp_path: Path,
                                                    style: str | None) -> None:
    library.ok("export", "citations", "--format", "csl-json", "-o", str(tmp_path / "refs.json"))
    (tmp_path / "doc.md").write_text("Cited: " + "; ".join(f"[@{k}]" for k in KEYS) + ".\n")
    args = ["pandoc", "--citeproc", "--fail-if-warnings", "--bibliography", "refs.json",
            "doc.md", "-t", "plain"]
    if style:
        from kb.formats.styles import style_path

        args += ["--csl", str(style_path(style))]
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Chip War" in result.stdout and "???" not in result.stdout


@needs
def test_biblatex_passes_biber_validation_and_compiles_with_lualatex(library: KB,
                                                                     tmp_path: Path) -> None:
    library.ok("export", "citations", "--format", "biblatex", "-o", str(tmp_path / "refs.bib"))
    check = run("biber", "--tool", "--validate-datamodel", "refs.bib", cwd=tmp_path)
    assert not [line for line in check.stdout.splitlines() + check.stderr.splitlines()
                if re.match(r"(WARN|ERROR)", line)], check.stdout
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[backend=biber]{biblatex}\n"
        "\\addbibresource{refs.bib}\n\\begin{document}\n"
        + "".join(f"\\cite{{{k}}} " for k in KEYS)
        + "\n\\printbibliography\n\\end{document}\n")
    latex = ["lualatex", "-interaction=nonstopmode", "doc.tex"]
    for step in (latex, ["biber", "doc"], latex, latex):
        result = run(*step, cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert not re.search(r"undefined (citations|references)|Citation .* undefined", log)
    assert "Chip War" in (tmp_path / "doc.bbl").read_text()


@needs
def test_bibtex_plain_prints_no_warning(library: KB, tmp_path: Path) -> None:
    library.ok("export", "citations", "--format", "bibtex", "-o", str(tmp_path / "refs.bib"))
    (tmp_path / "doc.aux").write_text("\\relax\n\\citation{*}\n\\bibstyle{plain}\n"
                                      "\\bibdata{refs}\n")
    result = run("bibtex", "doc", cwd=tmp_path)
    assert "Warning--" not in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout
    bbl = (tmp_path / "doc.bbl").read_text()
    assert "100\\% of \\$5" in bbl  # a % would have cut the title short
    assert "{International Energy Agency}" in bbl


def test_ris_records_are_complete_and_read_back(library: KB) -> None:
    import rispy

    text = library.ok("export", "citations", "--format", "ris")
    records = [r for r in text.split("ER  - ") if r.strip()]
    assert len(records) == len(KEYS)
    assert all(r.strip().startswith("TY  - ") for r in records)
    read = rispy.loads(text)
    assert sorted(r["id"] for r in read) == sorted(KEYS)
    assert {r["id"]: r["title"] for r in read}["muller2024uber"] == \
        "Über künstliche Intelligenz: 人工智能的发展"


@needs
@pytest.mark.parametrize("style", STYLES)
def test_formatted_references_agree_with_pandoc(library: KB, tmp_path: Path, style: str) -> None:
    from kb.formats.styles import style_path

    library.ok("export", "citations", "--format", "csl-json", "-o", str(tmp_path / "refs.json"))
    ours = library.ok("export", "citations", "--format", "text", "--style", style)
    (tmp_path / "doc.md").write_text("---\nnocite: '[@*]'\n---\n")
    theirs = run("pandoc", "--citeproc", "--bibliography", "refs.json", "--csl",
                 str(style_path(style)), "doc.md", "-t", "plain", cwd=tmp_path).stdout
    assert " ".join(ours.split()) == " ".join(theirs.split())
    for fixture in FIXTURES:  # every item is there
        assert fixture[fixture.index("--date") + 1][:4] in ours
    if style == "apa":  # a journal article with its volume, issue and pages
        assert "Zeitschrift für KI, 5(2), 10\u201320." in " ".join(ours.split())


@needs
@pytest.mark.parametrize("style", ["apa", "mla"])
def test_an_item_with_no_author_never_repeats_its_title(library: KB, style: str) -> None:
    text = library.ok("export", "citations", "--format", "text", "--style", style)
    entry = next(p for p in text.split("\n\n") if "China and US Diverge" in p)
    assert entry.count("Diverge on AI") == 1


@needs
def test_html_escapes_what_it_inserts(library: KB) -> None:
    html = library.ok("export", "citations", "--format", "html", "--style", "apa")
    assert "Costs &amp; Benefits" in html
    assert "&lt;AI&gt;" in html and "<AI>" not in html
    assert 'class="csl-entry"' in html


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex", "csl-json", "ris"])
def test_export_then_import_gives_the_same_sources(library: KB, tmp_path: Path, fmt: str,
                                                   new_kb: Callable[[], KB]) -> None:
    suffix = {"bibtex": ".bib", "biblatex": ".bib", "csl-json": ".json", "ris": ".ris"}[fmt]
    out = tmp_path / f"refs{suffix}"
    library.ok("export", "citations", "--format", fmt, "-o", str(out))
    empty = new_kb()
    result = empty("import", str(out), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"added {len(KEYS)}, updated 0, unchanged 0, skipped 0 (already "
                             "here), left out 0 (invalid); 0 warning(s)\n")
    before = json.loads(library.ok("source", "list", "--format", "json"))
    after = json.loads(empty.ok("source", "list", "--format", "json"))
    assert after == before


def test_claims_brief_cites_each_claim_with_its_pinpoint(seeded: KB, tmp_path: Path) -> None:
    brief = tmp_path / "brief.md"
    seeded.ok("export", "claims", "--country", "US", "--theme", "energy", "--format",
              "markdown", "-o", str(brief))
    text = brief.read_text()
    assert "bibliography: brief.json" in text
    assert "[@ainews2026great, para. 4]" in text
    assert (tmp_path / "brief.json").exists()
    if shutil.which("pandoc"):
        result = run("pandoc", "--citeproc", "--fail-if-warnings", "brief.md", "-t", "plain",
                     cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "The Great Divergence" in result.stdout
        assert "para. 4" in result.stdout


def test_claimreview_rates_claims_by_their_standing(seeded: KB) -> None:
    reviews = json.loads(seeded.ok("export", "claims", "--format", "claimreview"))
    assert len(reviews) == 3  # the seed's claims that have evidence
    by_text = {r["description"][:20]: r for r in reviews}
    divergence = by_text["The US and China are"]
    assert divergence["@type"] == "ClaimReview"
    assert divergence["reviewRating"]["alternateName"] == "Supported"
    assert divergence["itemReviewed"]["appearance"]["name"].startswith("The Great Divergence")
    assert divergence["citation"][0]["name"].startswith("China and US Diverge")
    gdp = by_text["China may realise GD"]
    assert gdp["reviewRating"]["alternateName"] == "Unproven"


@needs
def test_claim_show_cites_its_source(seeded: KB) -> None:
    shown = seeded.ok("claim", "show", "42", "--cite", "chicago-author-date")
    assert "citation:  “China and US Diverge on AI Strategies" in shown
    assert "2026. NPR." in shown
