"""Claims: one rule for what a claim is, one writer for every door, and the history of edits.

`normalize` (pure) turns what a user gives into a claim's fields; `Resolver` turns names into
ids, once per distinct name; `rows` builds the rows a claim is stored as. `add` (`kb claim add`)
and the bulk import (`kb import`) both go through these three, so a claim is the same claim
whichever door it came in by; the import only batches.

History: a claim row holds its current state, so a creation stores nothing; each edit stores
the values its changed fields had before it (`ClaimRevision.prior`), and `history` walks back
from the current row. An unedited claim costs no history row at all (a full JSON copy at
creation was 34% of a 100k database).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, insert, select

from kb.dates import PartialDate, parse_optional, plain_date
from kb.errors import LARGEST_INTEGER, Conflict, Invalid, NotFound
from kb.models import (
    Base,
    Claim,
    ClaimActor,
    ClaimCountry,
    ClaimRegion,
    ClaimRevision,
    ClaimTheme,
    Evidence,
    Source,
    utcnow,
)
from kb.services import deletion, loading, provenance, revisions, sources, taxonomy
from kb.services.status import statuses

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from sqlalchemy import Select, Table
    from sqlalchemy.orm import Session

    from kb.services.deletion import StandingChange

LINKS = ("countries", "regions", "themes", "actors")


@dataclass
class ClaimFields:
    """What a user may give for a claim; None means "not given" (edit leaves it alone)."""

    text: str | None = None
    quote: str | None = None
    locator: str | None = None
    date: str | None = None
    countries: list[str] | None = None
    themes: list[str] | None = None
    actors: list[str] | None = None
    stance: str | None = None  # asserts (default), hedges, reports, predicts, denies
    attributed_to: str | None = None
    # An edit's changes to a list, applied after a replacement (`countries` ...) if both given.
    add_countries: list[str] | None = None
    remove_countries: list[str] | None = None
    add_themes: list[str] | None = None
    remove_themes: list[str] | None = None
    add_actors: list[str] | None = None
    remove_actors: list[str] | None = None

    def is_empty(self) -> bool:
        """Nothing given: an edit of nothing (the CLI calls that a usage error)."""
        return all(value is None for value in vars(self).values())


def get(session: Session, claim_id: int) -> Claim:
    # (No claim has an id past what the column holds; the driver would overflow on it.)
    claim = session.get(Claim, claim_id) if abs(claim_id) <= LARGEST_INTEGER else None
    if claim is None:
        raise NotFound(f"claim {claim_id} not found")
    return claim


# The one claim rule -----------------------------------------------------------------------


# A bulk import meets the same dates and themes again and again: parse each once (both
# results are immutable). Measured: a third of the Python time of a 100k import.
_date = functools.lru_cache(maxsize=65536)(parse_optional)
_theme = functools.lru_cache(maxsize=65536)(taxonomy.normalize_theme)


@functools.lru_cache(maxsize=65536)
def issued_date(issued: str | None) -> PartialDate | None:
    """A source's date as a claim's default: only when it is a claim date (YYYY[-MM[-DD]]);
    a richer source date (a range, a season, circa) leaves the claim undated."""
    return plain_date(issued)


def normalize(values: ClaimFields, source_issued: str | None = None, *, new: bool = True
              ) -> dict[str, Any]:
    """The given fields as stored: text with its whitespace collapsed, quote and locator
    stripped ("" clears), the date parsed (a new claim without one takes its source's),
    themes as normalised paths, actors as names; places stay names (regions live in the
    database). A new claim gets every field; an edit only those given. Pure."""
    out: dict[str, Any] = {}
    if new or values.text is not None:
        text = " ".join((values.text or "").split())
        if not text:
            raise Invalid("text", values.text or "", "a claim needs its statement text")
        out["text"] = text
    for name in ("quote", "locator"):
        value = getattr(values, name)
        if value is not None or new:
            out[name] = (value or "").strip() or None
    if new or values.date is not None:
        out["date"] = _date(values.date, "date") or issued_date(source_issued)
    if new or values.countries is not None:
        out["places"] = _unique(values.countries or [])
    if new or values.themes is not None:
        out["themes"] = _unique(_theme(t) for t in values.themes or [])
    if new or values.actors is not None:
        out["actors"] = _unique(_actor_name(a) for a in values.actors or [])
    if new or values.stance is not None or values.attributed_to is not None:
        from kb.services.provenance import stance_values

        out["stance"] = stance_values(values.stance, values.attributed_to, out.get("quote"))
    if not new:  # additions and removals: the same rules as the lists they change
        for change in ("add", "remove"):
            if (places := getattr(values, f"{change}_countries")) is not None:
                out[f"{change}_places"] = _unique(places)
            if (paths := getattr(values, f"{change}_themes")) is not None:
                out[f"{change}_themes"] = _unique(_theme(t) for t in paths)
            if (names := getattr(values, f"{change}_actors")) is not None:
                out[f"{change}_actors"] = _unique(_actor_name(a) for a in names)
    return out


def _actor_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise Invalid("actor", raw, "must not be empty")
    return name


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


_who = sources.actor  # Resolver's own `sources` field hides the module in its body


@dataclass
class Resolver:
    """Names to ids, each distinct name looked up (or created) once: one claim or a million."""

    session: Session
    sources: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    places: dict[str, tuple[list[str], list[int]]] = field(default_factory=dict)
    themes: dict[str, int] = field(default_factory=dict)
    actors: dict[str, int] = field(default_factory=dict)
    by: str = field(default_factory=_who)  # who adds the claims (KB_USER, OS user)

    def source(self, key: str) -> tuple[int, str | None]:
        """The source's id and issued date."""
        if key not in self.sources:
            found = sources.get(self.session, key)
            self.sources[key] = (found.id, found.issued)
        return self.sources[key]

    def place(self, name: str) -> tuple[list[str], list[int]]:
        if name not in self.places:
            found = taxonomy.resolve_places(self.session, [name])
            self.places[name] = ([c.code for c in found.countries],
                                 [r.id for r in found.regions])
        return self.places[name]

    def theme(self, path: str) -> int:
        if path not in self.themes:
            self.themes[path] = taxonomy.themes(self.session, [path])[0].id
        return self.themes[path]

    def actor(self, name: str) -> int:
        if name not in self.actors:
            self.actors[name] = taxonomy.actors(self.session, [name])[0].id
        return self.actors[name]


TABLES: dict[str, type[Base]] = {"claim": Claim, "countries": ClaimCountry,
                                  "regions": ClaimRegion, "themes": ClaimTheme,
                                  "actors": ClaimActor}


def rows(claim_id: int | None, source_id: int, claim: dict[str, Any], resolve: Resolver,
         now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The rows a normalised new claim is stored as, by table (TABLES); no id: the database's."""
    date: PartialDate | None = claim["date"]
    row = {"source_id": source_id, "text": claim["text"], "quote": claim["quote"],
           "locator": claim["locator"], "date": str(date) if date else None,
           "date_start": date.start if date else None, "date_end": date.end if date else None,
           "created_at": now, "updated_at": now, "created_by": resolve.by,
           **claim["stance"]}
    if claim_id is not None:
        row["id"] = claim_id
    codes: dict[str, None] = {}
    regions: dict[int, None] = {}
    for name in claim["places"]:
        found_codes, found_regions = resolve.place(name)
        codes.update(dict.fromkeys(found_codes))
        regions.update(dict.fromkeys(found_regions))
    themes = sorted({resolve.theme(t) for t in claim["themes"]})
    actors = sorted({resolve.actor(a) for a in claim["actors"]})
    return {"claim": [row],
            "countries": [{"country_code": c, "claim_id": claim_id} for c in codes],
            "regions": [{"region_id": r, "claim_id": claim_id} for r in regions],
            "themes": [{"theme_id": t, "claim_id": claim_id, "date_start": row["date_start"]}
                       for t in themes],
            "actors": [{"actor_id": a, "claim_id": claim_id} for a in actors]}


def table(model: type[Base]) -> Table:
    """The Core table of a model: inserting into it skips the ORM's bulk machinery."""
    return cast("Table", model.__table__)


def insert_rows(session: Session, batch: Mapping[str, list[dict[str, Any]]]) -> None:
    """Per table, parents first: Core executemany (the ORM's unit of work is ~8x slower), COPY
    on PostgreSQL (`loading.insert_many`)."""
    for name, model in TABLES.items():
        loading.insert_many(session, table(model), batch.get(name) or [])


def add(session: Session, source_key: str, values: ClaimFields) -> Claim:
    resolve = Resolver(session)
    source_id, issued = resolve.source(source_key)
    claim = normalize(values, issued)
    built = rows(None, source_id, claim, resolve, utcnow())
    claim_id = session.execute(insert(Claim).returning(Claim.id), built.pop("claim")[0]
                               ).scalar_one()
    for links in built.values():
        for link in links:
            link["claim_id"] = claim_id
    insert_rows(session, built)
    from kb.services import texts

    texts.check_new_quote(session, claim_id)
    return get(session, claim_id)


def edit(session: Session, claim_id: int, values: ClaimFields, source_key: str | None = None
         ) -> Claim:
    claim = get(session, claim_id)
    before = snapshot(claim)
    if source_key:
        claim.source = sources.get(session, source_key)
    given = normalize(values, claim.source.issued, new=False)
    for name in ("text", "quote", "locator"):
        if name in given:
            setattr(claim, name, given[name])
    if "date" in given:
        date = given["date"]
        claim.date = str(date) if date else None
        claim.date_start = date.start if date else None
        claim.date_end = date.end if date else None
    if "places" in given:
        places = taxonomy.resolve_places(session, given["places"])
        claim.countries, claim.regions = places.countries, places.regions
    if "themes" in given:
        claim.themes = taxonomy.themes(session, given["themes"])
    if "actors" in given:
        claim.actors = taxonomy.actors(session, given["actors"])
    _change_lists(session, claim, given)
    if "stance" in given:
        stance = given["stance"]
        if values.stance is None:  # only --attributed-to given: the stance stays
            stance = provenance.stance_values(claim.stance, values.attributed_to, claim.quote)
        claim.stance, claim.attributed_to = stance["stance"], stance["attributed_to"]
    if claim.stance == "hedges":
        claim.stance_cues = " ".join(provenance.hedge_cues(claim.quote)) or None
    after = snapshot(claim)
    if after != before:
        claim.updated_at = utcnow()
        session.flush()
        # The stance is in a snapshot only when not the default (see `snapshot`).
        default = {"stance": "asserts"}
        revisions.write(session, claim.id, "edited", {
            k: before.get(k, default.get(k)) for k in {**before, **after}
            if after.get(k, default.get(k)) != before.get(k, default.get(k))})
        if before["quote"] != after["quote"] or before["source"] != after["source"]:
            from kb.services import texts

            texts.check_new_quote(session, claim.id)
    return claim


def _change_lists(session: Session, claim: Claim, given: dict[str, Any]) -> None:
    """--add-* and --remove-*: an addition is resolved like a new claim's names (a new theme
    is announced); a removal must name something the claim has, else NotFound (exit 1)."""
    from kb.suggest import did_you_mean

    if "add_places" in given:
        places = taxonomy.resolve_places(session, given["add_places"], "add-country")
        claim.countries = _unique_rows([*claim.countries, *places.countries])
        claim.regions = _unique_rows([*claim.regions, *places.regions])
    for name in given.get("remove_places", []):
        places = taxonomy.resolve_places(session, [name], "remove-country")
        if not (set(places.countries) & set(claim.countries)
                or set(places.regions) & set(claim.regions)):
            has = [c.code for c in claim.countries] + [r.name for r in claim.regions]
            raise NotFound(f"claim {claim.id} is not about {name!r}" + did_you_mean(name, has))
        claim.countries = [c for c in claim.countries if c not in places.countries]
        claim.regions = [r for r in claim.regions if r not in places.regions]
    if "add_themes" in given:
        claim.themes = _unique_rows([*claim.themes, *taxonomy.themes(session,
                                                                      given["add_themes"])])
    for path in given.get("remove_themes", []):
        has = [t.path for t in claim.themes]
        if path not in has:
            raise NotFound(f"claim {claim.id} has no theme {path!r}" + did_you_mean(path, has))
        claim.themes = [t for t in claim.themes if t.path != path]
    if "add_actors" in given:
        claim.actors = _unique_rows([*claim.actors, *taxonomy.actors(session,
                                                                      given["add_actors"])])
    for name in given.get("remove_actors", []):
        has = [a.name for a in claim.actors]
        if name.lower() not in {h.lower() for h in has}:
            raise NotFound(f"claim {claim.id} has no actor {name!r}" + did_you_mean(name, has))
        claim.actors = [a for a in claim.actors if a.name.lower() != name.lower()]


def _unique_rows(rows: list[Any]) -> list[Any]:
    return list(dict.fromkeys(rows))


def remove(session: Session, claim_id: int, force: bool = False) -> list[StandingChange]:
    """Delete a claim and its own evidence; with `force` also the links that cite it.
    Returns the other claims whose standing that changed (also kept in their histories)."""
    claim = get(session, claim_id)
    citing = list(session.scalars(select(Evidence.claim_id)
                                  .where(Evidence.evidence_claim_id == claim.id)
                                  .order_by(Evidence.claim_id)))
    if citing and not force:
        raise Conflict(
            f"claim {claim_id} is evidence for claim(s) "
            f"{', '.join(str(c) for c in citing)}; remove that evidence first"
        )
    return deletion.delete_claims(session, select(Claim.id).where(Claim.id == claim_id),
                                  f"claim {claim_id} was removed")


def remove_matching(session: Session, matching: Select[Any], expected: int,
                    force: bool = False) -> list[StandingChange]:
    """Delete every claim `matching` (a SELECT of claim ids) selects, in one statement set.

    `expected` is the count the user confirmed: if the set changed since (another writer),
    nothing is removed. Evidence citing a removed claim from a claim that stays is refused
    unless `force`, as for one claim."""
    ids = matching.subquery("matching")
    found = session.scalar(select(func.count()).select_from(ids))
    if found != expected:
        raise Conflict(f"{found} claims match now, not the {expected} confirmed; "
                       "nothing was removed (run it again)")
    citing = session.execute(
        select(Evidence.evidence_claim_id, Evidence.claim_id)
        .where(Evidence.evidence_claim_id.in_(select(ids.c.id)),
               Evidence.claim_id.not_in(select(ids.c.id)))
        .order_by(Evidence.evidence_claim_id, Evidence.claim_id).limit(5)).all()
    if citing and not force:
        cited, by = citing[0]
        raise Conflict(f"claim {cited} is evidence for claim {by}, which stays; "
                       "remove that evidence first")
    return deletion.delete_claims(session, select(ids.c.id),
                                  f"{expected} claims were removed together")


def fields(source_key: str, text: str, quote: str | None, locator: str | None,
           date: str | None, links: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """DESIGN's fields of a claim, links sorted: one shape for listings, exports and history."""
    return {"source": source_key, "text": text, "quote": quote, "locator": locator,
            "date": date, **{name: sorted(links.get(name, ())) for name in LINKS}}


def snapshot(claim: Claim) -> dict[str, Any]:
    """The claim's fields as history compares them; a stance other than the default joins
    them, so that changing it is an edit in the history (and older histories stay as they
    were)."""
    stance = {k: v for k, v in (("stance", claim.stance), ("attributed_to", claim.attributed_to))
              if v is not None and v != "asserts"}
    return fields(claim.source.key, claim.text, claim.quote, claim.locator, claim.date, {
        "countries": [c.code for c in claim.countries],
        "regions": [r.name for r in claim.regions],
        "themes": [t.path for t in claim.themes],
        "actors": [a.name for a in claim.actors],
    }) | stance


def history(session: Session, claim_id: int) -> list[dict[str, Any]]:
    """Each revision with the fields it changed, oldest first; the first is the creation."""
    claim = get(session, claim_id)
    return revisions.replay(snapshot(claim), claim.created_at, [
        (r.action, r.changed_at, json.loads(r.prior), r.actor) for r in session.scalars(
            select(ClaimRevision).where(ClaimRevision.claim_id == claim_id)
            .order_by(ClaimRevision.id))], claim.created_by)


def record(claim: Claim, status: str) -> dict[str, Any]:
    """The JSON shape of a claim (DESIGN's field names)."""
    return as_record(claim.id, snapshot(claim), status, claim.created_at, claim.updated_at)


def as_record(claim_id: int, claim_fields: dict[str, Any], status: str, created: datetime,
              updated: datetime) -> dict[str, Any]:
    return {"id": claim_id, **claim_fields, "status": status, "created": created.isoformat(),
            "updated": updated.isoformat()}


def evidence_record(evidence: Evidence, claim_source: str | None = None) -> dict[str, Any]:
    """One link as the claim it bears on sees it; `claim_source` is the evidence claim's source."""
    return {
        "id": evidence.id,
        "relation": evidence.relation,
        "source": evidence.source.key if evidence.source else None,
        "claim": evidence.evidence_claim_id,
        "claim_source": claim_source,
        "quote": evidence.quote,
        "locator": evidence.locator,
        "note": evidence.note,
        "strength": evidence.strength,
    }


def show(session: Session, claim_id: int) -> dict[str, Any]:
    """The claim, the evidence for it, and the evidence it gives for other claims.

    `evidence` holds links that bear on this claim; `evidence_for_other_claims` the links in
    which this claim is the evidence, each naming the claim it supports, refutes or qualifies
    (`claim`) and that claim's source (`claim_source`).
    """
    claim = get(session, claim_id)
    out = provenance.decorate(session, [record(claim, statuses(session, [claim.id])[claim.id])])[0]
    cited = {e.evidence_claim_id for e in claim.evidence if e.evidence_claim_id is not None}
    given = list(session.scalars(select(Evidence).where(Evidence.evidence_claim_id == claim.id)
                                 .order_by(Evidence.id)))
    source_of = dict(session.execute(
        select(Claim.id, Source.key).join(Source, Source.id == Claim.source_id)
        .where(Claim.id.in_(cited | {e.claim_id for e in given}))).all())
    ignored = provenance.ignored_evidence(session, [e.id for e in claim.evidence])
    out["evidence"] = [evidence_record(e, source_of.get(e.evidence_claim_id or 0))
                       | {"ignored": ignored.get(e.id)} for e in claim.evidence]
    out["ignored_evidence"] = [{"id": k, "why": v} for k, v in sorted(ignored.items())]
    from kb.services import texts  # the check's details: occurrences, nearest, warnings

    out["quote_check"] = texts.states(session, [claim.id])[claim.id]["quote_check"]
    out["evidence_for_other_claims"] = [
        {**evidence_record(e, source_of[e.claim_id]), "claim": e.claim_id, "source": None}
        for e in given]
    return out
