"""Quotes checked against a stored text: normalise, find, anchor, re-anchor. Pure functions.

Nothing here touches the database or the command line. The service gives a `Document` (the
stored text and, for a PDF, its page starts) and a quote; it gets back a `Verification`
(status, `Anchor` with offsets into the stored text and W3C selectors, occurrences,
warnings) to store. When a new version of the text arrives, `reanchor(old_anchor, document)`
says whether each anchored passage is unchanged, moved, changed, orphaned or ambiguous.

Offsets are Python string indexes into the ORIGINAL stored text, so `text[start:end]` is the
passage, whatever the normaliser did to find it.

Statuses:

- ``verified``: the quote (each of its parts, see gaps below) occurs in the text as typed.
- ``normalised``: it occurs once both are passed through `normalise` (NORMALISER_VERSION).
- ``candidate``: a near passage, fuzzy similarity >= CANDIDATE_MIN_SIMILARITY, only for quotes
  of >= CANDIDATE_MIN_WORDS words and >= CANDIDATE_MIN_CHARS characters, and only when the
  passage holds the same numbers in the same order (12% is not 21%). Never counted as verified.
- ``not-found``: with the nearest passage and its similarity (and why it is no candidate).
- ``no-text``: for the service, when the source has no stored text (never returned here).

Editorial marks: ``[...]``, ``[…]``, ``...``, ``. . .`` and ``…`` are gaps; any other
``[bracketed]`` text is an insertion by the quoting author and is not looked for (it stands
where the source has other words, so it is a gap too). The parts between gaps must occur in
order, each within MAX_GAP characters of the end of the one before: 300 characters is two or
three sentences, enough for an elision inside a paragraph, too little to stitch together
words from unrelated paragraphs.

A quote matches only at word boundaries at its two ends ("ten" is not found in "often"),
unless it starts or ends with an editorial mark.

How a service uses it::

    doc = Document(snapshot_text, page_starts)          # once per snapshot: caches the
    for claim in claims:                                # normalised text for every quote
        result = verify_quote(doc, claim.quote, claim.locator)
        store(claim, result.status, result.anchor, result.occurrences, result.warnings)

    new = Document(next_text, next_page_starts)         # a new version of the text
    for claim, old in stored_anchors:                   # old = Anchor(start, end, exact,
        moved = reanchor(old, new)                      #   prefix, suffix) from the database
        result = verify_quote(new, claim.quote, claim.locator)

`reanchor` says what became of the passage (for "what moved, changed, is orphaned");
`verify_quote` gives the quote's status against the new text. A service needs both.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

# Bump whenever `normalise` changes what it produces: stored `normalised` results name the
# version that found them, so a service can tell which ones to check again.
NORMALISER_VERSION: Final = 1

Status = Literal["verified", "normalised", "candidate", "not-found", "no-text"]
VERIFIED: Final = "verified"
NORMALISED: Final = "normalised"
CANDIDATE: Final = "candidate"
NOT_FOUND: Final = "not-found"
NO_TEXT: Final = "no-text"

Outcome = Literal["unchanged", "moved", "changed", "orphaned", "ambiguous"]
Method = Literal["exact", "normalised", "context", "fuzzy"]

CONTEXT_CHARS: Final = 32  # the W3C TextQuoteSelector's prefix and suffix length
MAX_GAP: Final = 300
CANDIDATE_MIN_WORDS: Final = 5
CANDIDATE_MIN_CHARS: Final = 20
CANDIDATE_MIN_SIMILARITY: Final = 90.0
# Re-anchoring by fuzzy match: the passage must be this close to the old one AND its
# surroundings this close to the old prefix/suffix. Two unrelated 32-character stretches of
# the seed article score 36 on average with fuzz.ratio (99th percentile 50, from 5,000 random
# pairs), so 65 for both sides together demands real shared context.
REANCHOR_MIN_SIMILARITY: Final = 80.0
REANCHOR_MIN_CONTEXT: Final = 65.0
# The same words with a prefix or a suffix at least this close to the old one are
# "unchanged" (at whatever offset); in other surroundings they have "moved".
UNCHANGED_CONTEXT: Final = 90.0
# A passage found between its old prefix and suffix is "changed" if it is still this close to
# the old one; below that the old passage was deleted or rewritten beyond recognition.
REANCHOR_MIN_CHANGED: Final = 60.0

# ---------------------------------------------------------------------------- normaliser

_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a`\u00b4"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
# Soft hyphen and the zero-width characters: invisible, so never part of what a reader quotes.
_DROPPED = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_TABLE: dict[str, str] = (
    dict.fromkeys(_SINGLE_QUOTES, "'") | dict.fromkeys(_DOUBLE_QUOTES, '"')
    | dict.fromkeys(_DASHES, "-") | dict.fromkeys(_DROPPED, "")
)
_DROP = str.maketrans(dict.fromkeys(_DROPPED, ""))


@dataclass(frozen=True)
class Normalised:
    """A normalised text and, for each of its characters, the span of the original it came from.

    `original(i, j)` turns a match `norm[i:j]` into the original text's `(start, end)`.
    """

    text: str
    starts: array[int] = field(repr=False)  # arrays, not lists: 8 bytes a character, not ~70
    ends: array[int] = field(repr=False)
    version: int = NORMALISER_VERSION

    def original(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            at = self.starts[start] if start < len(self.starts) else (
                self.ends[-1] if self.ends else 0)
            return at, at
        return self.starts[start], self.ends[end - 1]


def normalise(text: str) -> Normalised:
    """The one normaliser (version NORMALISER_VERSION), for stored texts and quotes alike.

    1. Unicode NFKC and case folding (per base character with its combining marks, so
       offsets stay exact).
    2. Curly and other quotation marks become ' and "; every dash and minus becomes -;
       soft hyphens and zero-width characters disappear.
    3. Any run of whitespace (spaces, non-breaking spaces, tabs, line breaks) becomes one space.
    4. A run of dashes and spaces becomes one -; and a - between two letters disappears, so a
       word hyphenated across a line break ("indus-\\ntrial") reads as one word. The same rule
       joins a hyphenated compound ("cost-efficiency" -> "costefficiency"): both the text and
       the quote go through it, so they still meet, whichever way a line break fell.
    """
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(text)
    i = 0
    table = _TABLE
    while i < n:
        c = text[i]
        j = i + 1
        # Keep a base character with its combining marks: NFKC composes them together. An
        # invisible character between them (a soft hyphen) goes, and must not split them.
        while j < n and text[j] >= "\u00ad" and (text[j] in _DROPPED
                                                 or unicodedata.combining(text[j])):
            j += 1
        if j == i + 1 and c < "\x80":
            out = " " if c.isspace() else c.lower()
        elif j == i + 1 and c in table:
            out = table[c]
        else:
            # NFKC again after folding: folding "ß" + a combining mark gives "ss" + the mark,
            # which composes anew (the Unicode NFKC_Casefold recipe).
            segment = text[i:j].translate(_DROP)
            folded = unicodedata.normalize(
                "NFKC", unicodedata.normalize("NFKC", segment).casefold())
            out = "".join(" " if ch.isspace() else table.get(ch, ch) for ch in folded)
        for ch in out:
            chars.append(ch)
            starts.append(i)
            ends.append(j)
        i = j

    out_chars: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    m = len(chars)
    k = 0
    while k < m:
        ch = chars[k]
        if ch != " " and ch != "-":
            out_chars.append(ch)
            out_starts.append(starts[k])
            out_ends.append(ends[k])
            k += 1
            continue
        j = k
        dash = -1
        while j < m and chars[j] in " -":
            if dash < 0 and chars[j] == "-":
                dash = j
            j += 1
        if dash < 0:
            out_chars.append(" ")
            out_starts.append(starts[k])
            out_ends.append(ends[j - 1])
        elif not (out_chars and out_chars[-1].isalpha() and j < m and chars[j].isalpha()):
            out_chars.append("-")
            out_starts.append(starts[dash])
            out_ends.append(ends[dash])
        k = j
    return Normalised("".join(out_chars), array("i", out_starts), array("i", out_ends))


def normalise_quote(quote: str) -> str:
    """A quote (or part of one) as the normaliser sees it, without outer spaces."""
    return normalise(quote).text.strip(" ")


# ---------------------------------------------------------------------------- documents


class Document:
    """A stored text to check quotes against, with its normalised form computed once.

    Build one per text version and reuse it for all of that text's quotes: normalising 100,000
    characters costs about a tenth of a second, finding a quote in it a few microseconds.
    `page_starts` are the offsets where each page begins (from a PDF), empty when unpaged.
    """

    def __init__(self, text: str, page_starts: Sequence[int] = ()) -> None:
        self.text = text
        self.page_starts: tuple[int, ...] = tuple(page_starts)

    @cached_property
    def normalised(self) -> Normalised:
        return normalise(self.text)

    @cached_property
    def word_index(self) -> tuple[list[int], dict[str, list[int]]]:
        """Where each word of the normalised text begins, and where each pair of words stands.

        Pairs ("exports of") rather than words: in a text of a few hundred distinct words
        every stretch holds every word, but few hold the same pairs.
        """
        starts: list[int] = []
        words: list[str] = []
        for m in _WORD.finditer(self.normalised.text):
            starts.append(m.start())
            words.append(m.group())
        index: dict[str, list[int]] = {}
        for k in range(len(words) - 1):
            index.setdefault(f"{words[k]} {words[k + 1]}", []).append(k)
        return starts, index

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding `offset`, or None for an unpaged text."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))

    def anchor(self, start: int, end: int) -> Anchor:
        """The anchor of `text[start:end]`, with its W3C prefix and suffix."""
        return Anchor(start=start, end=end, exact=self.text[start:end],
                      prefix=self.text[max(0, start - CONTEXT_CHARS):start],
                      suffix=self.text[end:end + CONTEXT_CHARS], page=self.page_of(start))


@lru_cache(maxsize=4)
def _document(text: str, page_starts: tuple[int, ...]) -> Document:
    return Document(text, page_starts)


def as_document(text: str | Document, page_starts: Sequence[int] = ()) -> Document:
    """A Document, cached per text so that passing the same str again skips normalising."""
    if isinstance(text, Document):
        return text
    return _document(text, tuple(page_starts))


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Anchor:
    """Where a passage stands in a stored text: `text[start:end] == exact`.

    `prefix` and `suffix` are the (up to) 32 characters before and after it; together with
    `exact` they are a W3C Web Annotation TextQuoteSelector, and start/end a
    TextPositionSelector. `page` is the 1-based page for a paged (PDF) text.
    """

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    page: int | None = None

    def quote_selector(self) -> dict[str, str]:
        return {"type": "TextQuoteSelector", "exact": self.exact, "prefix": self.prefix,
                "suffix": self.suffix}

    def position_selector(self) -> dict[str, str | int]:
        return {"type": "TextPositionSelector", "start": self.start, "end": self.end}

    def selectors(self) -> list[dict[str, Any]]:
        return [self.quote_selector(), self.position_selector()]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verification:
    """What checking one quote against one text found.

    - `anchor`: where the quote stands (verified, normalised) or the near passage (candidate);
      None when not found.
    - `occurrences`: how many times the quote occurs (0 for candidate and not-found).
    - `parts`: for a quote with gaps, the (start, end) of each part found; the anchor spans
      from the first to the last.
    - `nearest` and `similarity` (0-100): for not-found, the closest passage, so a typo can be
      fixed; for candidate, `similarity` is the candidate's.
    - `reason`: why a near passage is no candidate (numbers differ, quote too short, ...).
    - `warnings`: for the researcher (quote on another page than the locator says, quote
      occurring more than once with nothing to choose among them).
    """

    status: Status
    anchor: Anchor | None = None
    occurrences: int = 0
    parts: tuple[tuple[int, int], ...] = ()
    similarity: float | None = None
    nearest: Anchor | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    normaliser_version: int = NORMALISER_VERSION

    @property
    def found(self) -> bool:
        """Verified or normalised: the only statuses that count as checked."""
        return self.status in (VERIFIED, NORMALISED)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Reanchored:
    """Where an anchored passage went in a new version of its text.

    - ``unchanged``: the same words at the same offset or beside the same words on one side
      at least (`anchor` has the new offset); ``moved``: the same words in other
      surroundings; ``changed``: the passage is where its context says it is but its words
      differ, or differ only after normalising (`similarity` says how much); ``orphaned``:
      no trustworthy place (deleted, rewritten, or moved AND edited: then its words alone
      are not trusted); ``ambiguous``: several places fit equally (`candidates`), none chosen.
    - `method`: how it was found (exact, normalised, context, fuzzy).
    - `context`: 0-100, how closely the new surroundings match the old prefix and suffix.
    """

    outcome: Outcome
    anchor: Anchor | None = None
    method: Method | None = None
    similarity: float | None = None
    context: float | None = None
    candidates: tuple[Anchor, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------- quotes

_EDITORIAL = re.compile(r"\[\s*(?:\.\s?){3}\s*\]|\[\s*\u2026\s*\]|(?:\.\s?){2}\.|\u2026|\[[^\]]*\]")
_PAGES = re.compile(r"(?<![a-z])(?:pp?\.?|pages?)\s*(\d+)(?:\s*[-\u2013\u2014]\s*(\d+))?",
                    re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r",(?=\d{3}(?!\d))")


def numbers(text: str) -> list[str]:
    """The numbers in a text, in order, thousands separators dropped: '2,000 and 1.5%' ->
    ['2000', '1.5']. A quote whose numbers differ from a passage's is never near it."""
    return [_THOUSANDS.sub("", n) for n in _NUMBER.findall(text)]


@dataclass(frozen=True)
class _Quote:
    parts: tuple[str, ...]
    open_left: bool  # starts with an editorial mark: no word boundary wanted there
    open_right: bool


def _parse(quote: str) -> _Quote:
    pieces = _EDITORIAL.split(quote.strip())
    parts = tuple(p.strip() for p in pieces if p.strip())
    stripped = quote.strip()
    open_left = bool(_EDITORIAL.match(stripped))
    open_right = any(m.end() == len(stripped) for m in _EDITORIAL.finditer(stripped))
    return _Quote(parts, open_left, open_right)


def page_range(locator: str | None) -> tuple[int, int] | None:
    """The pages a locator names: 'p. 4' -> (4, 4), 'pp. 4-5' / 'pages 4\u20135' -> (4, 5)."""
    if not locator:
        return None
    m = _PAGES.search(locator)
    if not m:
        return None
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    return (first, last) if last >= first else (last, first)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _occurrences(hay: str, needle: str, start: int = 0, stop: int | None = None) -> Iterator[int]:
    stop = len(hay) if stop is None else stop
    at = hay.find(needle, start, stop)
    while at >= 0:
        yield at
        at = hay.find(needle, at + 1, stop)


def _sequences(hay: str, q: _Quote) -> list[list[tuple[int, int]]]:
    """Every placement of the quote's parts in `hay`: in order, gaps <= MAX_GAP, at word edges."""
    first, rest = q.parts[0], q.parts[1:]
    found = []
    for s0 in _occurrences(hay, first):
        if not q.open_left and s0 > 0 and _is_word(first[0]) and _is_word(hay[s0 - 1]):
            continue
        spans = [(s0, s0 + len(first))]
        pos = spans[0][1]
        for part in rest:
            k = hay.find(part, pos, pos + MAX_GAP + len(part))
            if k < 0:
                break
            spans.append((k, k + len(part)))
            pos = k + len(part)
        else:
            last = q.parts[-1]
            if (not q.open_right and pos < len(hay) and _is_word(last[-1])
                    and _is_word(hay[pos])):
                continue
            found.append(spans)
    return found


def verify_quote(text: str | Document, quote: str, locator: str | None = None,
                 page_starts: Sequence[int] = ()) -> Verification:
    """Check `quote` against `text`: verified, normalised, candidate or not-found (see module)."""
    doc = as_document(text, page_starts)
    q = _parse(quote)
    if not q.parts:
        return Verification(NOT_FOUND, reason="the quote has no words outside editorial marks")

    exact = _sequences(doc.text, q)
    if exact:
        return _found(doc, VERIFIED, exact, locator)

    norm = doc.normalised
    nq = _Quote(tuple(p for p in (normalise_quote(p) for p in q.parts) if p),
                q.open_left, q.open_right)
    if nq.parts:
        found = _sequences(norm.text, nq)
        if found:
            spans = [[norm.original(s, e) for s, e in seq] for seq in found]
            return _found(doc, NORMALISED, spans, locator)
    return _fuzzy(doc, quote, " ".join(nq.parts))


def _found(doc: Document, status: Status, placements: list[list[tuple[int, int]]],
           locator: str | None) -> Verification:
    warnings: list[str] = []
    chosen = placements[0]
    pages = page_range(locator)
    if pages and doc.page_starts:
        on = [p for p in placements if pages[0] <= (doc.page_of(p[0][0]) or 0) <= pages[1]]
        if on:
            chosen = on[0]
            if len(on) > 1:
                warnings.append(f"the quote occurs {len(on)} times within {locator}; "
                                "the first is anchored")
        else:
            where = sorted({doc.page_of(p[0][0]) or 0 for p in placements})
            warnings.append(f"the quote is on page {', '.join(map(str, where))}, "
                            f"not on {locator} as the locator says")
    elif len(placements) > 1:
        warnings.append(f"the quote occurs {len(placements)} times; the first is anchored "
                        "(a page locator would choose)")
    anchor = doc.anchor(chosen[0][0], chosen[-1][1])
    parts = tuple(chosen) if len(chosen) > 1 else ()
    return Verification(status, anchor=anchor, occurrences=len(placements), parts=parts,
                        warnings=tuple(warnings))


_WORD = re.compile(r"\w+")
# Fuzzy search scans the whole text only when it is short; a longer one is first cut down to
# the few stretches that share the most pairs of words with the quote. A near passage (>= 90
# similar) shares most of the quote's word pairs, so the vote finds it.
_SCAN_WHOLE_BELOW: Final = 4000
_REGIONS: Final = 3


def _regions(doc: Document, nq: str, hay_len: int) -> list[tuple[int, int]]:
    """Stretches of the normalised text worth a fuzzy look: [(start, end)], best first."""
    if hay_len <= max(_SCAN_WHOLE_BELOW, 8 * len(nq)):
        return [(0, hay_len)]
    starts, index = doc.word_index
    words = _WORD.findall(nq)
    qwords = {f"{a} {b}" for a, b in pairwise(words)}
    size = max(4, len(words))  # a passage of the quote's length spans <= 2 buckets
    common = max(50, len(starts) // 100)
    occurrences = [index[w] for w in qwords if w in index]
    rare = [occ for occ in occurrences if len(occ) <= common]
    votes: dict[int, int] = {}
    for occ in rare if len(rare) >= 2 else occurrences:
        for bucket in {k // size for k in occ}:
            votes[bucket] = votes.get(bucket, 0) + 1
    if not votes:
        return []
    windows = sorted(votes, key=lambda b: -(votes[b] + votes.get(b + 1, 0)))[:_REGIONS]
    regions = []
    for b in windows:
        # Buckets b and b+1 hold the passage; a margin of a quarter of it on either side.
        first = max(0, b * size - size // 4)
        last = (b + 2) * size + size // 4
        regions.append((starts[first], starts[last] if last < len(starts) else hay_len))
    return regions


def _nearest(doc: Document, nq: str, exclude: tuple[int, int] | None = None
             ) -> tuple[float, Anchor, tuple[int, int]] | None:
    """The passage of `doc` closest to the normalised quote `nq`, widened to whole words.

    Returns (similarity, anchor, span in the normalised text), or None when no passage shares
    a word with the quote. `exclude` (a normalised span) is left out of the search.
    """
    from rapidfuzz import fuzz

    norm = doc.normalised
    hay = norm.text
    if not nq or not hay:
        return None
    if exclude is not None:
        hay = hay[:exclude[0]] + " " * (exclude[1] - exclude[0]) + hay[exclude[1]:]
    best: tuple[float, int, int] | None = None
    for lo, hi in _regions(doc, nq, len(hay)):
        # The best score so far as a cutoff lets rapidfuzz skip windows that cannot beat it.
        al = fuzz.partial_ratio_alignment(nq, hay[lo:hi],
                                          score_cutoff=best[0] + 0.01 if best else None)
        if al is not None and (best is None or al.score > best[0]):
            best = (al.score, lo + al.dest_start, lo + al.dest_end)
    if best is None:
        return None
    score, a, b = best
    s, e = a, b
    while s > 0 and _is_word(hay[s - 1]) and s > a - 30:
        s -= 1
    while e < len(hay) and _is_word(hay[e]) and e < b + 30:
        e += 1
    # The alignment tends to leave out punctuation at the ends that the quote has.
    if s > 0 and not _is_word(nq[0]) and hay[s - 1] == nq[0]:
        s -= 1
    if e < len(hay) and not _is_word(nq[-1]) and hay[e] == nq[-1]:
        e += 1
    s, e = _strip(hay, s, e)
    start, end = norm.original(s, e)
    return round(score, 1), doc.anchor(start, end), (s, e)


def _fuzzy(doc: Document, quote: str, nq: str) -> Verification:
    near = _nearest(doc, nq)
    if near is None:
        return Verification(NOT_FOUND, similarity=0.0,
                            reason="no passage of the text shares a word with the quote")
    score, passage, _ = near
    reason = None
    if len(quote.split()) < CANDIDATE_MIN_WORDS or len(nq) < CANDIDATE_MIN_CHARS:
        reason = (f"too short for a near match (a candidate needs >= {CANDIDATE_MIN_WORDS} "
                  f"words and >= {CANDIDATE_MIN_CHARS} characters)")
    elif score < CANDIDATE_MIN_SIMILARITY:
        reason = f"similarity {score:g} is below {CANDIDATE_MIN_SIMILARITY:g}"
    else:
        ours, theirs = numbers(nq), numbers(passage.exact)
        if ours != theirs:
            reason = (f"numbers differ: the quote has {' '.join(ours) or 'none'}, "
                      f"the passage {' '.join(theirs) or 'none'}")
    if reason is None:
        return Verification(CANDIDATE, anchor=passage, similarity=score)
    return Verification(NOT_FOUND, similarity=score, nearest=passage, reason=reason)


# ---------------------------------------------------------------------------- re-anchoring


def _ratio(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    if not a and not b:
        return 100.0
    return float(fuzz.ratio(a, b))


def _sides(old: Anchor, new: Anchor) -> tuple[float, float]:
    """0-100 for each side: how closely `new`'s prefix and suffix match `old`'s (normalised).

    The same length is compared from the passage outwards, so a passage near the start of a
    text (a prefix shorter than 32) is not penalised for characters it does not have. A side
    that was and still is the edge of the text matches (100); an edge that is one no more, or
    has become one, does not (0).
    """
    def side(was: str, now: str, before: bool) -> float:
        if not was or not now:
            return 100.0 if not was and not now else 0.0
        size = min(len(was), len(now))
        if before:
            return _ratio(was[len(was) - size:], now[len(now) - size:])
        return _ratio(was[:size], now[:size])

    return (side(normalise_quote(old.prefix), normalise_quote(new.prefix), True),
            side(normalise_quote(old.suffix), normalise_quote(new.suffix), False))


def _context(old: Anchor, new: Anchor) -> float:
    """0-100: how closely `new`'s surroundings match `old`'s, both sides together."""
    before, after = _sides(old, new)
    return (before + after) / 2


def _pick(old: Anchor, places: list[Anchor], method: Method) -> Reanchored:
    """One of several places by context, or ambiguous when the context cannot tell them apart."""
    if len(places) == 1:
        return _placed(old, places[0], method, _context(old, places[0]), "")
    scored = sorted(((_context(old, p), p) for p in places), key=lambda cp: -cp[0])
    (best, place), (second, _) = scored[0], scored[1]
    if best >= REANCHOR_MIN_CONTEXT and best - second >= 10:
        return _placed(old, place, method, best,
                       f"{len(places)} occurrences; the context chose one")
    return Reanchored("ambiguous", None, method, candidates=tuple(places),
                      note=f"{len(places)} occurrences and their contexts do not decide")


def _placed(old: Anchor, place: Anchor, method: Method, context: float,
            note: str) -> Reanchored:
    if place.exact != old.exact:
        # Found only after normalising: the same words, retyped (quotes, dashes, case, spaces).
        return Reanchored("changed", place, method, similarity=_ratio(old.exact, place.exact),
                          context=context,
                          note=" ".join(filter(None, [note, "changed only in typography, case "
                                                      "or spacing"])))
    # Judged by the surroundings, not the offset: an edit higher up shifts every offset below
    # it, and listing all those passages as moved would hide the ones that really did move.
    # One side is enough: a paragraph whose neighbour was deleted has not moved.
    stayed = place.start == old.start or max(_sides(old, place)) >= UNCHANGED_CONTEXT
    outcome: Outcome = "unchanged" if stayed else "moved"
    return Reanchored(outcome, place, method, similarity=100.0, context=context, note=note)


def reanchor(old: Anchor, new: str | Document) -> Reanchored:
    """Find `old` (an anchor into a previous version of a text) in the new version.

    Tries in turn: the exact words; the normalised words; the old prefix and suffix, for a
    passage edited in place; a fuzzy match, accepted only when its surroundings also match
    the old prefix/suffix (REANCHOR_MIN_CONTEXT). Several equally good places are
    `ambiguous`; a lookalike sentence elsewhere, with other surroundings, is `orphaned`.
    """
    doc = as_document(new)
    if old.exact:
        places = [doc.anchor(s, s + len(old.exact)) for s in _occurrences(doc.text, old.exact)]
        if places:
            return _pick(old, places, "exact")
    norm = doc.normalised
    nexact = normalise_quote(old.exact)
    if nexact:
        places = [doc.anchor(*norm.original(s, s + len(nexact)))
                  for s in _occurrences(norm.text, nexact)]
        if places:
            return _pick(old, places, "normalised")
    by_context = _by_context(old, doc, nexact)
    if by_context is not None:
        return by_context
    return _by_fuzzy(old, doc, nexact)


def _by_context(old: Anchor, doc: Document, nexact: str) -> Reanchored | None:
    """The passage between the old prefix and suffix, where both still stand close together.

    Only a stretch of about the old passage's length counts (within half of it, or 30
    characters): a longer one is some other text that happens to lie between two copies of
    a phrase. A stretch of nothing (at most a little punctuation) means the passage was
    deleted.
    """
    norm = doc.normalised
    pre, suf = normalise_quote(old.prefix), normalise_quote(old.suffix)
    # A short context (the passage began or ended its text) occurs by chance too easily.
    if len(pre) < 16 or len(suf) < 16:
        return None
    slack = max(30, len(nexact) // 2)
    pairs = []
    for p in _occurrences(norm.text, pre):
        after = p + len(pre)
        s = norm.text.find(suf, after, after + len(nexact) + slack + len(suf))
        if s < 0:
            continue
        a, e = _strip(norm.text, after, s)
        if e - a <= _DELETED or abs((e - a) - len(nexact)) <= slack:
            pairs.append((a, e))
    if not pairs:
        return None
    if len(pairs) > 1:
        places = [doc.anchor(*norm.original(a, e)) for a, e in pairs]
        return Reanchored("ambiguous", None, "context", candidates=tuple(places),
                          note="its old surroundings occur more than once")
    a, e = pairs[0]
    similarity = _ratio(nexact, norm.text[a:e])
    if e - a <= _DELETED:
        return Reanchored("orphaned", None, "context", similarity=similarity, context=100.0,
                          note="deleted: its old surroundings now meet")
    if similarity >= REANCHOR_MIN_CHANGED:
        return Reanchored("changed", doc.anchor(*norm.original(a, e)), "context",
                          similarity=similarity, context=100.0,
                          note="its surroundings are unchanged; its words differ")
    return Reanchored("orphaned", None, "context", similarity=similarity, context=100.0,
                      note="rewritten beyond recognition between its old surroundings "
                           f"(similarity {similarity:.0f})")


_DELETED: Final = 3  # what may be left where a passage was deleted: a space, a full stop


def _strip(hay: str, s: int, e: int) -> tuple[int, int]:
    while s < e and hay[s] == " ":
        s += 1
    while e > s and hay[e - 1] == " ":
        e -= 1
    return s, e


def _by_fuzzy(old: Anchor, doc: Document, nexact: str) -> Reanchored:
    near = _nearest(doc, nexact)
    if near is None or near[0] < REANCHOR_MIN_SIMILARITY:
        score = near[0] if near else None
        return Reanchored("orphaned", None, None, similarity=score,
                          note="no passage close enough")
    score, place, span = near
    context = _context(old, place)
    if context < REANCHOR_MIN_CONTEXT:
        return Reanchored("orphaned", None, "fuzzy", similarity=score, context=context,
                          candidates=(place,),
                          note=f"a similar passage (similarity {score:.0f}) stands in other "
                               f"surroundings (context {context:.0f}): not taken as the same")
    # A second place as close, with context as good, makes the choice a guess.
    other = _nearest(doc, nexact, exclude=span)
    if other is not None and other[0] >= score - 2:
        other_context = _context(old, other[1])
        if other_context >= context - 10:
            return Reanchored("ambiguous", None, "fuzzy", similarity=score, context=context,
                              candidates=(place, other[1]),
                              note="two similar passages in similar surroundings")
    return Reanchored("changed", place, "fuzzy", similarity=score, context=context,
                      note="a similar passage in the same surroundings")
