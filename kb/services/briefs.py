"""Claims written out for readers: a cited Markdown brief, and schema.org ClaimReview."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kb.errors import Invalid
from kb.formats import csl_json
from kb.services import citations, status
from kb.services.claims import record
from kb.services.query import ClaimFilter, load, select_claims

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from kb.models import Claim, Source

# pandoc recognises these as locator labels; any other locator goes in as a suffix.
_LOCATOR_LABELS = re.compile(
    r"^(p|pp|para|paras|¶|¶¶|sec|secs|chap|chaps|fig|figs|l|ll|n|nn|vol|vols|col|cols|"
    r"bk|no|op|pt|sv|v|vv|ch|line|lines|page|pages|paragraph|section|chapter|figure|note|"
    r"verse|volume|column|book|part|number)\.?\s", re.IGNORECASE)
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#+!|@~^$])")


def escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def citation(key: str, locator: str | None) -> str:
    """`[@key, para. 4]`: pandoc's citation with the claim's pinpoint."""
    if not locator:
        return f"[@{key}]"
    text = escape_markdown(locator)
    if _LOCATOR_LABELS.match(locator) or locator[0].isdigit():
        return f"[@{key}, {text}]"
    return f"[@{key}, {{{text}}}]"


def _claims(session: Session, where: ClaimFilter) -> tuple[list[Claim], dict[int, str]]:
    found = load(session, select_claims(session, where))
    found.sort(key=lambda c: (c.source.key, c.id))
    return found, status.statuses(session, [c.id for c in found])


# How each relation reads under a claim, in the order a reader weighs them.
EVIDENCE_HEADINGS = (("supports", "Supported by"), ("refutes", "Refuted by"),
                     ("qualifies", "Qualified by"))


@dataclass
class Brief:
    text: str
    bibliography: str  # CSL-JSON of every source the brief cites
    style: Path | None  # the CSL file the brief names, to be written beside it


def markdown(session: Session, where: ClaimFilter, bibliography: str,
             style: str | None = None) -> Brief:
    """A cited Markdown brief of the matching claims, for `pandoc --citeproc`.

    Under each claim stands the evidence behind its standing, each piece quoted and cited, so
    "contested" comes with what contests it. `style` (a bundled style or a .csl file) is named
    in the brief's metadata; pandoc's default (Chicago author-date) applies without it.
    """
    style_file = None
    if style is not None:
        from kb.formats.styles import style_path

        try:
            style_file = style_path(style)
        except LookupError as exc:
            raise Invalid("style", style, str(exc)) from None
    found, standing = _claims(session, where)
    from kb.services.provenance import retractions

    withdrawn = retractions(session, [c.id for c in found])
    cited: dict[str, Source] = {c.source.key: c.source for c in found}
    header = ["---", "title: Claims", f"bibliography: {bibliography}"]
    if style_file:
        header.append(f"csl: {style_file.name}")
    lines = [*header, "---", ""]
    for claim in found:
        about = ", ".join([*(c.code for c in claim.countries), *(r.name for r in claim.regions)])
        lines.append(f"## {escape_markdown(claim.text)}")
        lines.append("")
        if claim.quote:
            lines.append(f"> {escape_markdown(claim.quote)}")
            lines.append("")
        lines.append(f"{citation(claim.source.key, claim.locator)}")
        lines.append("")
        from kb.services.provenance import stance_phrase

        said = stance_phrase(claim.stance, claim.stance_cues, claim.attributed_to, claim.quote)
        if said:
            lines += [f"{escape_markdown(said).replace(chr(92) + '*', '*')}", ""]
        details = [f"Standing: {standing[claim.id]}"]
        gone = withdrawn.get(claim.id)  # only there with --include-retracted, or superseded
        if gone is not None and gone.retracted_at is not None:
            details.insert(0, f"**Retracted**: {escape_markdown(gone.reason or '')}")
        if gone is not None and gone.superseded_by_id is not None:
            details.insert(0, f"Superseded by claim {gone.superseded_by_id}")
        if about:
            details.append(f"About: {escape_markdown(about)}")
        if claim.themes:
            details.append("Themes: " + escape_markdown(", ".join(t.path for t in claim.themes)))
        lines.append(" · ".join(details))
        lines.append("")
        lines += _evidence_lines(session, claim, cited)
    if found:
        lines += ["# References", ""]
    refs = [citations.reference(s) for s in cited.values()]
    return Brief("\n".join(lines), csl_json.dump(refs), style_file)


def _evidence_lines(session: Session, claim: Claim, cited: dict[str, Source]) -> list[str]:
    """`Refuted by:` and a bullet per link: the quote (or the other claim) and its citation."""
    from kb.models import Claim as ClaimRow

    lines: list[str] = []
    for relation, heading in EVIDENCE_HEADINGS:
        links = [e for e in claim.evidence if e.relation == relation]
        if not links:
            continue
        lines += [f"{heading}:", ""]
        for link in links:
            if link.source is not None:
                source, locator, said = link.source, link.locator, link.quote
            else:
                other = session.get(ClaimRow, link.evidence_claim_id)
                assert other is not None  # evidence never outlives the claim it names
                source = other.source
                locator = link.locator or other.locator
                said = link.quote or other.quote or other.text
            cited.setdefault(source.key, source)
            quoted = f"“{escape_markdown(said)}” " if said else ""
            note = f" ({escape_markdown(link.note)})" if link.note else ""
            strength = f" [{link.strength}]" if link.strength else ""
            lines.append(f"- {quoted}{citation(source.key, locator)}{note}{strength}")
        lines.append("")
    return lines


RATINGS = {"refuted": (1, "False"), "contested": (2, "Disputed"),
           "unverified": (3, "Unproven"), "supported": (4, "Supported")}


def _claimant(source: Source) -> list[dict[str, str]] | dict[str, str] | None:
    if source.authors:
        people = [{"@type": "Organization" if a.literal else "Person",
                   "name": a.name[1:-1] if a.literal else
                   " ".join(p for p in (a.given, a.family) if p)} for a in source.authors]
        return people[0] if len(people) == 1 else people
    name = source.publisher or source.container
    return {"@type": "Organization", "name": name} if name else None


def _work(source: Source) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "name": source.title}
    optional = {"url": source.url, "datePublished": source.issued,
                "author": _claimant(source),
                "sameAs": f"https://doi.org/{source.doi}" if source.doi else None}
    work.update({k: v for k, v in optional.items() if v})
    return work


def claimreview(session: Session, where: ClaimFilter) -> str:
    """schema.org ClaimReview JSON-LD for each matching claim that has evidence."""
    found, standing = _claims(session, where)
    reviews = []
    for claim in found:
        if not claim.evidence:
            continue
        value, name = RATINGS[standing[claim.id]]
        item: dict[str, Any] = {"@type": "Claim", "appearance": _work(claim.source),
                                "firstAppearance": _work(claim.source)}
        if claim.date:
            item["datePublished"] = claim.date
        if claim.stance != "asserts":  # how the source put it, in its own words
            from kb.services.provenance import stance_phrase

            item["disambiguatingDescription"] = stance_phrase(
                claim.stance, claim.stance_cues, claim.attributed_to, claim.quote)
        if (claimant := _claimant(claim.source)) is not None:
            item["author"] = claimant
        evidence_works = []
        for link in claim.evidence:
            if link.source is not None:
                work = _work(link.source)
            else:
                work = {"@type": "Claim", "identifier": f"claim:{link.evidence_claim_id}"}
            strength = f" ({link.strength})" if link.strength else ""
            work["description"] = (f"{link.relation}{strength}: "
                                   f"{link.note or link.quote or ''}").strip(": ")
            evidence_works.append(work)
        reviews.append({
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "identifier": f"claim:{claim.id}",
            "claimReviewed": claim.quote or claim.text,
            "description": claim.text,
            "itemReviewed": item,
            "reviewRating": {"@type": "Rating", "ratingValue": value, "worstRating": 1,
                             "bestRating": 4, "alternateName": name,
                             "ratingExplanation": f"kb standing: {standing[claim.id]}"},
            "citation": evidence_works,
            "about": record(claim, standing[claim.id])["countries"],
        })
    return json.dumps(reviews, indent=2, ensure_ascii=False) + "\n"
