"""A source's file as text: bytes and a file name in, an `Extracted` out. Pure functions.

- ``.txt``, ``.md``: the text as is (UTF-8, a byte-order mark dropped); a file that is not
  UTF-8, or holds a NUL byte (binary), is refused naming the byte offset.
- ``.html``, ``.htm``: the main text, by trafilatura (navigation, ads, footers left out).
- ``.pdf``: the text layer, by pypdf, page after page; `page_starts` gives the offset where
  each page's text begins, so a quote can be placed on its page.

Every refusal is an `ExtractError`: one line naming the file and what is wrong with it.
The libraries are imported inside the functions, so importing kb stays light. pypdf is a
dependency of kb; trafilatura, heavier, comes with the ``texts`` extra (``pip install
'kb[texts]'``).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from kb.errors import KBError

if TYPE_CHECKING:
    from collections.abc import Callable

# The largest file kb will read. Long government and company reports run to 10-30 MB as
# PDFs; 50 MB leaves room for them while bounding what one attach may cost: pypdf holds the
# whole file and its objects in memory (several times the file's size), and the raw file is
# kept with its snapshot, so a 200 MB scan would bloat every backup for a text layer OCR
# should have produced anyway.
MAX_BYTES: Final = 50 * 1024 * 1024

TEXT_SUFFIXES: Final = (".txt", ".md")
HTML_SUFFIXES: Final = (".html", ".htm")
PDF_SUFFIXES: Final = (".pdf",)
# Pages of a PDF are joined by one line break: a word hyphenated across a page break then
# reads like one hyphenated across a line, which the quote normaliser joins again.
PAGE_SEPARATOR: Final = "\n"


class ExtractError(KBError, ValueError):
    """A file kb cannot take a text from; the message is one line naming the file."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason
        super().__init__(f"{name}: {reason}")


@dataclass(frozen=True)
class Extracted:
    """The text of one file, and what a snapshot needs to record about how it was obtained.

    `page_starts[i]` is the offset in `text` where page i+1 begins (PDF only, else empty);
    `raw_sha256` is of the file's bytes, `text_sha256` of the text encoded as UTF-8.
    """

    text: str
    extractor: str
    extractor_version: str
    media_type: str
    raw_sha256: str
    text_sha256: str
    page_starts: tuple[int, ...] = ()


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover - only in a source tree without metadata
        return "unknown"


def extract(data: bytes, name: str, *, max_bytes: int = MAX_BYTES) -> Extracted:
    """The text of a file given as bytes; `name` (a file name or just a suffix) picks the format."""
    label = Path(name).name or name
    suffix = (Path(name).suffix or name).lower()
    if not suffix.startswith("."):
        suffix = "." + suffix
    if len(data) > max_bytes:
        raise ExtractError(label, f"{len(data):,} bytes is over the limit of {max_bytes:,}")
    extractors: dict[str, Callable[[bytes, str], Extracted]] = {}
    for suffixes, function in ((TEXT_SUFFIXES, _plain), (HTML_SUFFIXES, _html),
                               (PDF_SUFFIXES, _pdf)):
        extractors.update(dict.fromkeys(suffixes, function))
    try:
        extractor = extractors[suffix]
    except KeyError:
        known = ", ".join(sorted(extractors))
        raise ExtractError(label, f"cannot read {suffix or 'a file without a suffix'} files "
                                  f"(known: {known})") from None
    result = extractor(data, label)
    if not result.text.strip():
        raise ExtractError(label, "no text in it")
    return result


def extract_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Extracted:
    """The text of a file on disk; its size is checked before a byte of it is read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ExtractError(path.name, f"{size:,} bytes is over the limit of {max_bytes:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractError(str(path), exc.strerror or "cannot be read") from None
    return extract(data, path.name, max_bytes=max_bytes)


def _result(text: str, data: bytes, extractor: str, extractor_version: str, media_type: str,
            page_starts: tuple[int, ...] = ()) -> Extracted:
    return Extracted(text=text, extractor=extractor, extractor_version=extractor_version,
                     media_type=media_type, raw_sha256=hashlib.sha256(data).hexdigest(),
                     text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                     page_starts=page_starts)


def decode_utf8(data: bytes, name: str) -> str:
    """UTF-8 text without its byte-order mark; a NUL byte or an invalid byte is refused."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ExtractError(name, f"binary file, not text (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractError(name, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                 f"{exc.start}); convert it to UTF-8 first") from None
    return text.removeprefix("\ufeff")


def _plain(data: bytes, name: str) -> Extracted:
    from kb import __version__

    media = "text/markdown" if name.lower().endswith(".md") else "text/plain"
    return _result(decode_utf8(data, name), data, "kb-plain", __version__, media)


def _html(data: bytes, name: str) -> Extracted:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ExtractError(name, f"binary file, not HTML (NUL byte at offset {nul})")
    try:
        import trafilatura
    except ImportError:
        raise ExtractError(name, "reading HTML needs the texts extra: "
                                 "pip install 'kb[texts]'") from None

    # Bytes, not str: trafilatura reads the page's declared charset (and guesses without one).
    # Precision over recall: a quote anchored in a menu or an ad would be worse than one
    # reported as not found. Comments are left out (they are not the source's words).
    text = trafilatura.extract(data, output_format="txt", favor_precision=True,
                               include_comments=False, include_tables=True,
                               include_images=False, with_metadata=False, deduplicate=False)
    if not text or not text.strip():
        raise ExtractError(name, "no main text found in the page")
    return _result(text, data, "trafilatura", _package_version("trafilatura"), "text/html")


def _pdf(data: bytes, name: str) -> Extracted:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError(name, "encrypted PDF: remove its password first")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ExtractError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file; all mean the same
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ExtractError(name, f"unreadable PDF ({detail})") from None
    if not any(p.strip() for p in pages):
        raise ExtractError(name, f"the PDF has no text layer ({len(pages)} pages of images?); "
                                 "run OCR on it first")
    starts: list[int] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + len(PAGE_SEPARATOR)
    text = PAGE_SEPARATOR.join(pages)
    return _result(text, data, "pypdf", _package_version("pypdf"), "application/pdf",
                   tuple(starts))
