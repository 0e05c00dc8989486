"""Near names for a name kb does not know, so a refusal can say "did you mean ...?"."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def near(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """The known names closest to `name`, best first, compared without case.

    A word of a longer name counts as near too: `Moolenaar` finds `John Moolenaar`, which
    difflib alone ranks below shorter, unrelated names.
    """
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        return []
    known: dict[str, str] = {}
    for candidate in candidates:
        known.setdefault(candidate.casefold(), candidate)
    close = difflib.get_close_matches(wanted, known, n=limit, cutoff=0.7)
    if close:  # only the few about as near as the best: one clear answer beats three guesses
        best = _similarity(wanted, close[0])
        close = [k for k in close if _similarity(wanted, k) >= best - 0.1]
    words = [k for k in known if k not in close and wanted in k.replace("/", " ").split()]
    return [known[k] for k in (words + close)[:limit]]


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'A' or 'B'?)`, or nothing when no known name is near."""
    names = near(name, candidates)
    if not names:
        return ""
    return f" (did you mean {' or '.join(repr(n) for n in names)}?)"
