"""A source's file as text, with no database: plain text, HTML main text, PDF text layer."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from kb.errors import KBError
from kb.formats.anchor import Document, verify_quote
from kb.formats.extract import MAX_BYTES, Extracted, ExtractError, extract, extract_file

if TYPE_CHECKING:
    from pathlib import Path


def refusal(data: bytes, name: str, **kwargs: int) -> str:
    with pytest.raises(ExtractError) as caught:
        extract(data, name, **kwargs)
    message = str(caught.value)
    assert "\n" not in message, "a refusal is one line"
    assert message.startswith(f"{name}: ")
    return message


# ----------------------------------------------------------------------------- plain text


def test_a_text_file_is_taken_as_is_without_its_bom() -> None:
    raw = "\ufeffLine one \u201cquoted\u201d.\r\nLine two \u2014 caf\u00e9.\n".encode()
    result = extract(raw, "notes.txt")
    assert result.text == "Line one \u201cquoted\u201d.\r\nLine two \u2014 caf\u00e9.\n"
    assert result == Extracted(
        text=result.text, extractor="kb-plain", extractor_version=result.extractor_version,
        media_type="text/plain", raw_sha256=hashlib.sha256(raw).hexdigest(),
        text_sha256=hashlib.sha256(result.text.encode()).hexdigest(), page_starts=())
    assert extract(b"# Title\n\nBody.", "README.md").media_type == "text/markdown"


def test_a_binary_file_is_refused_naming_the_offset() -> None:
    assert refusal(b"GIF89a\x01\x00\x00", "image.txt") == \
        "image.txt: binary file, not text (NUL byte at offset 7)"


def test_a_latin1_file_is_refused_naming_the_offset() -> None:
    data = "Caf\u00e9 society".encode("latin-1")
    assert refusal(data, "old.txt") == \
        "old.txt: not UTF-8 text (byte 0xe9 at offset 3); convert it to UTF-8 first"


@pytest.mark.parametrize("data", [b"", b"  \n\t\n", b"\xef\xbb\xbf"])
def test_an_empty_text_is_refused(data: bytes) -> None:
    assert refusal(data, "empty.txt") == "empty.txt: no text in it"


def test_an_unknown_kind_of_file_is_refused() -> None:
    assert refusal(b"PK\x03\x04", "report.docx") == \
        "report.docx: cannot read .docx files (known: .htm, .html, .md, .pdf, .txt)"


def test_a_file_over_the_size_bound_is_refused() -> None:
    assert refusal(b"x" * 101, "big.txt", max_bytes=100) == \
        "big.txt: 101 bytes is over the limit of 100"
    too_big = b"x" * (MAX_BYTES + 1)
    assert refusal(too_big, "huge.txt") == \
        f"huge.txt: {MAX_BYTES + 1:,} bytes is over the limit of {MAX_BYTES:,}"


def test_an_oversize_file_on_disk_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "scan.pdf"
    with huge.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: 200 MB that take no disk and are never read
    with pytest.raises(ExtractError) as caught:
        extract_file(huge)
    assert str(caught.value) == "scan.pdf: 209,715,200 bytes is over the limit of 52,428,800"


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExtractError) as caught:
        extract_file(tmp_path / "nowhere.txt")
    assert str(caught.value) == f"{tmp_path / 'nowhere.txt'}: No such file or directory"


def test_a_refusal_is_a_kb_error_and_a_value_error() -> None:
    with pytest.raises(ExtractError) as caught:
        extract(b"\x00", "x.txt")
    assert isinstance(caught.value, KBError) and isinstance(caught.value, ValueError)


def test_extract_file_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "article.md"
    path.write_text("Some *text*.", encoding="utf-8")
    assert extract_file(path).text == "Some *text*."


# ----------------------------------------------------------------------------- HTML

ARTICLE_PARAGRAPHS = [
    "Beijing and Washington are running two different AI races, a new analysis finds.",
    "China\u2019s plan prioritises ubiquitous adoption: AI on every factory floor, in every "
    "port and in every provincial hospital, at the lowest cost the market will bear.",
    "The United States, by contrast, pours its capital into frontier models and the data "
    "centres that train them, betting that the most capable system will win the decade.",
    "Analysts quoted in the report doubt that either strategy can succeed alone; the grid, "
    "they say, will decide more than the models do.",
]
PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Two AI races | Example News</title></head>
<body>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies.</div>
<header><nav class="menu"><ul>
  <li><a href="/">Home</a></li><li><a href="/world">World</a></li>
  <li><a href="/tech">Technology</a></li><li><a href="/subscribe">Subscribe now</a></li>
</ul></nav></header>
<div class="ad ad-banner" id="top-ad">ADVERTISEMENT Buy the new SuperPhone today, 50% off!</div>
<main><article>
  <h1>The great divergence</h1>
  <p class="byline">By A. Reporter</p>
  {"".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS[:2])}
  <aside class="ad sponsored">Sponsored: Learn to trade crypto in five days. Click here.</aside>
  {"".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS[2:])}
</article></main>
<aside class="sidebar"><h3>Most read</h3><ul>
  <li><a href="/a">Ten gadgets you must own this winter</a></li>
  <li><a href="/b">Celebrity chef opens a rooftop restaurant</a></li>
</ul></aside>
<footer><p>Copyright 2026 Example News Ltd. All rights reserved.</p>
<a href="/privacy">Privacy policy</a> <a href="/terms">Terms of use</a></footer>
</body></html>"""


def test_html_gives_the_article_without_navigation_or_ads() -> None:
    result = extract(PAGE.encode("utf-8"), "divergence.html")
    assert result.extractor == "trafilatura" and result.media_type == "text/html"
    assert result.page_starts == ()
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in result.text
    for boilerplate in ("cookies", "Home", "Subscribe", "ADVERTISEMENT", "SuperPhone",
                        "crypto", "Most read", "gadgets", "Copyright", "Privacy"):
        assert boilerplate not in result.text, boilerplate
    quote = "China's plan prioritises ubiquitous adoption"  # typed with a straight apostrophe
    assert verify_quote(result.text, quote).status == "normalised"


def test_html_in_a_declared_charset_is_decoded() -> None:
    page = PAGE.replace('charset="utf-8"', 'charset="windows-1252"')
    page = page.replace("\u2019", "'").replace("Beijing and", "Caf\u00e9s, Beijing and")
    result = extract(page.encode("windows-1252"), "old.htm")
    assert "Caf\u00e9s, Beijing and Washington" in result.text


def test_a_page_without_main_text_is_refused() -> None:
    page = ("<html><head><script>var tracking = 1;</script></head><body><nav></nav>"
            "<img src='chart.png'><script>track()</script></body></html>")
    assert refusal(page.encode(), "empty.html") == "empty.html: no main text found in the page"


def test_a_binary_file_named_html_is_refused() -> None:
    assert refusal(b"\x89PNG\r\n\x1a\n\x00\x00", "logo.html") == \
        "logo.html: binary file, not HTML (NUL byte at offset 8)"


# ----------------------------------------------------------------------------- PDF


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with one text line per string, each list on its own page (fpdf2's core font)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


REPORT = [
    ["Annual report on AI adoption",
     "The ministry expects indus-",
     "trial output to grow by 12% in 2026, led by",
     "the coastal provinces. Growth will double by 2030."],
    ["Page two continues: adoption in hospitals and ports,",
     "and the cost of inference falls every year.",
     "Growth will double by 2030."],
]


def test_a_pdf_gives_its_text_layer_with_page_starts() -> None:
    result = extract(make_pdf(REPORT), "report.pdf")
    assert result.extractor == "pypdf" and result.media_type == "application/pdf"
    assert len(result.page_starts) == 2 and result.page_starts[0] == 0
    second = result.text[result.page_starts[1]:]
    assert second.startswith("Page two continues")
    assert "indus-\ntrial output" in result.text


def test_a_quote_hyphenated_across_a_line_break_is_found_on_its_page() -> None:
    result = extract(make_pdf(REPORT), "report.pdf")
    doc = Document(result.text, result.page_starts)
    found = verify_quote(doc, "The ministry expects industrial output to grow by 12% in 2026",
                         locator="p. 1")
    assert found.status == "normalised" and found.warnings == ()
    assert found.anchor is not None and found.anchor.page == 1
    assert found.anchor.exact == "The ministry expects indus-\ntrial output to grow by 12% in 2026"


def test_a_quote_across_the_page_break_is_found() -> None:
    result = extract(make_pdf(REPORT), "report.pdf")
    found = verify_quote(Document(result.text, result.page_starts),
                         "Growth will double by 2030. Page two continues")
    assert found.status == "normalised"
    assert found.anchor is not None and found.anchor.page == 1


def test_a_page_locator_chooses_a_repeated_quote_in_a_pdf() -> None:
    result = extract(make_pdf(REPORT), "report.pdf")
    doc = Document(result.text, result.page_starts)
    on_two = verify_quote(doc, "Growth will double by 2030.", locator="p. 2")
    assert on_two.occurrences == 2 and on_two.warnings == ()
    assert on_two.anchor is not None and on_two.anchor.page == 2
    wrong = verify_quote(doc, "the cost of inference falls every year", locator="p. 1")
    assert wrong.status == "verified"
    assert wrong.warnings == ("the quote is on page 2, not on p. 1 as the locator says",)


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\nthis is not really a PDF\n%%EOF\n",
    b"not a pdf at all",
])
def test_an_unreadable_pdf_is_refused(data: bytes) -> None:
    message = refusal(data, "broken.pdf")
    assert message.startswith("broken.pdf: unreadable PDF (")


def test_a_truncated_pdf_is_refused() -> None:
    data = make_pdf(REPORT)
    message = refusal(data[: len(data) // 3], "cut.pdf")
    assert message.startswith("cut.pdf: unreadable PDF (") or "no text layer" in message


def test_a_pdf_without_a_text_layer_is_refused() -> None:
    assert refusal(make_pdf([[], []]), "scan.pdf") == \
        "scan.pdf: the PDF has no text layer (2 pages of images?); run OCR on it first"


def test_the_heavy_libraries_load_only_when_used() -> None:
    code = ("import sys, kb.formats.extract, kb.formats.anchor; "
            "print(sorted(m for m in ('pypdf', 'trafilatura', 'rapidfuzz', 'lxml') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
