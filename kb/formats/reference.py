"""The record every citation format reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.dates import PartialDate


# CSL 1.0.2 item types.
CSL_TYPES = (
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage",
)


@dataclass(frozen=True)
class Name:
    """A person (family, given) or an organisation (literal), never both."""

    family: str | None = None
    given: str | None = None
    literal: str | None = None

    @classmethod
    def parse(cls, text: str) -> Name:
        """kb's own spelling: `{Organisation}`, `Family, Given` or `Given Family`."""
        text = " ".join(text.split())
        if text.startswith("{") and text.endswith("}"):
            return cls(literal=text[1:-1])
        if "," in text:
            family, given = (p.strip() for p in text.split(",", 1))
            return cls(family=family, given=given or None)
        *given_names, last = text.split(" ")
        return cls(family=last, given=" ".join(given_names) or None)

    def as_kb(self) -> str:
        """Back to kb's spelling (what `--author` takes)."""
        if self.literal is not None:
            return "{" + self.literal + "}"
        return f"{self.family}, {self.given}" if self.given else str(self.family)


@dataclass
class Reference:
    """A citable work, as the formats see it (CSL's vocabulary)."""

    key: str
    type: str
    title: str
    authors: list[Name] = field(default_factory=list)
    container: str | None = None
    publisher: str | None = None
    issued: PartialDate | None = None
    url: str | None = None
    doi: str | None = None
    accessed: PartialDate | None = None
    language: str | None = None
    note: str | None = None


class FormatError(ValueError):
    """A file that cannot be read; the message names the line or record."""
