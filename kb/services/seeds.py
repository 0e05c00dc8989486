"""Curated data sets in seeds/: loading one twice changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kb.errors import NotFound
from kb.models import Claim, Evidence
from kb.services import claims, evidence, sources, taxonomy
from kb.services.claims import ClaimFields
from kb.services.sources import SourceFields

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session


@dataclass
class SeedReport:
    name: str
    sources: int = 0
    claims: int = 0
    evidence: int = 0
    regions: int = 0
    texts: int = 0
    quotes: dict[str, int] | None = None  # quote status -> count, for a text attached now


def available(directory: Path) -> dict[str, Path]:
    return {path.stem: path for path in sorted(directory.glob("*.json"))}


def find(directory: Path, name: str | None) -> list[Path]:
    seeds = available(directory)
    if name is None:
        return list(seeds.values())
    if name not in seeds:
        raise NotFound(f"no seed named {name!r} (available: {', '.join(seeds) or 'none'})")
    return [seeds[name]]


def load(session: Session, path: Path) -> SeedReport:
    """Add what the data set holds and the database lacks; report what was added."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    report = SeedReport(path.stem)
    for region in data.get("regions", []):
        existed = taxonomy.find_region(session, region["name"]) is not None
        taxonomy.add_region(session, region["name"], region["countries"], region.get("note"))
        report.regions += not existed
    for actor in data.get("actors", []):
        taxonomy.actors(session, [actor["name"]], kind=actor.get("kind"))
    for record in data.get("sources", []):
        if sources.find_duplicate(session, record["key"], record.get("doi"), record.get("url")):
            continue
        source_fields = SourceFields(**{k: v for k, v in record.items() if k != "key"})
        sources.add(session, source_fields, key=record["key"])
        report.sources += 1
    by_ref: dict[str, int] = {}
    for record in data.get("claims", []):
        source = sources.get(session, record["source"])
        existing = session.scalar(select(Claim.id).where(
            Claim.source_id == source.id, Claim.text == " ".join(record["text"].split())))
        if existing is None:
            claim_fields = ClaimFields(**{k: v for k, v in record.items()
                                          if k not in ("ref", "source")})
            existing = claims.add(session, record["source"], claim_fields).id
            report.claims += 1
        by_ref[record["ref"]] = existing
    for record in data.get("evidence", []):
        claim_id = by_ref[record["claim"]]
        target_claim = by_ref.get(record["evidence_claim"]) if "evidence_claim" in record else None
        target_source = (sources.get(session, record["source"]).id
                         if "source" in record else None)
        duplicate = session.scalar(select(Evidence.id).where(
            Evidence.claim_id == claim_id, Evidence.relation == record["relation"],
            Evidence.source_id.is_(target_source) if target_source is None
            else Evidence.source_id == target_source,
            Evidence.evidence_claim_id.is_(target_claim) if target_claim is None
            else Evidence.evidence_claim_id == target_claim))
        if duplicate is None:
            evidence.add(session, claim_id, record["relation"], source_key=record.get("source"),
                         evidence_claim_id=target_claim, quote=record.get("quote"),
                         locator=record.get("locator"), note=record.get("note"))
            report.evidence += 1
    from kb.services import texts

    for record in data.get("texts", []):
        attached = texts.attach(session, record["source"], path.parent / record["file"],
                                record.get("retrieved"), record.get("url"))
        if attached.added:
            report.texts += 1
            report.quotes = attached.checks
    return report
