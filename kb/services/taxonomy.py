"""What claims are about: countries and regions, themes, actors — resolved or created on input."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import exists, func, or_, select, update

from kb.countries import name_of, normalize_name, resolve_country
from kb.errors import Invalid, NotFound
from kb.models import (
    Actor,
    Claim,
    ClaimActor,
    ClaimCountry,
    ClaimRegion,
    ClaimTheme,
    Country,
    Region,
    Theme,
)
from kb.regions import BUILTIN_REGIONS, BuiltinRegion
from kb.services import notices
from kb.suggest import did_you_mean

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import ColumnElement


@dataclass
class Places:
    """Countries and regions named by the user, resolved."""

    countries: list[Country] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """The countries' codes and their regions' members'."""
        codes = {c.code for c in self.countries}
        for region in self.regions:
            builtin = _builtin_region(region.name) if region.id is None else None
            # A built-in region named before anything stored it (find_region, store false)
            # is a row not added, which lists no members: the built-in list has them.
            codes.update(builtin.countries if builtin else (c.code for c in region.countries))
        return sorted(codes)

    @property
    def region_ids(self) -> list[int]:
        """The regions claims can be linked to: the stored ones."""
        return [r.id for r in self.regions if r.id is not None]


def country(session: Session, code: str, store: bool = True) -> Country:
    """The country row for an ISO code, created on first use (not `store`: a row not added,
    for a filter, which reads only)."""
    row = session.get(Country, code)
    if row is None:
        row = Country(code=code, name=name_of(code))
        if store:
            session.add(row)
            session.flush()
    return row


def find_region(session: Session, name: str, store: bool = True) -> Region | None:
    """A region by name; a built-in one (`EU`) is created the first time it is named (not
    `store`: a row not added, whose members Places.codes takes from the built-in list)."""
    stored = _stored_region(session, name)
    if stored is not None:
        return stored
    builtin = _builtin_region(name)
    if builtin is None:
        return None
    stored = _stored_region(session, builtin.name)
    if stored is not None or not store:
        return stored or Region(name=builtin.name, note=builtin.note)
    return add_region(session, builtin.name, builtin.countries, builtin.note)


def _builtin_region(name: str) -> BuiltinRegion | None:
    wanted = normalize_name(name)
    for builtin in BUILTIN_REGIONS:
        if wanted in {normalize_name(n) for n in (builtin.name, *builtin.aliases)}:
            return builtin
    return None


def _stored_region(session: Session, name: str) -> Region | None:
    wanted = normalize_name(name)
    for region in session.scalars(select(Region)):
        if normalize_name(region.name) == wanted:
            return region
    return None


def resolve_places(session: Session, names: Iterable[str], field_name: str = "country",
                   store: bool = True) -> Places:
    """Each name is a country (code, name or alias) or a region; anything else is refused.

    A country or built-in region named for the first time is stored (a claim is about to be
    linked to it); not with `store` false, for a filter, which only reads: a page naming a
    country no claim is about must not take the write lock (two such pages at once, one was
    refused as busy)."""
    places = Places()
    for name in names:
        known = _known_country(session, name)
        if known is not None:
            if known not in places.countries:
                places.countries.append(known)
            continue
        resolved = resolve_country(name)
        if resolved:
            row = country(session, resolved[0], store)
            if row not in places.countries:
                places.countries.append(row)
            continue
        region = find_region(session, name, store)
        if region is None:
            raise Invalid(field_name, name, "not a known country or region"
                          + (did_you_mean(name, place_names(session)) or
                             " (see `kb countries --all`)"))
        if region not in places.regions:
            places.regions.append(region)
    return places


def place_names(session: Session) -> list[str]:
    """Every name a place can be given by, for suggestions: countries, then regions."""
    import pycountry

    names = [n for c in pycountry.countries
             for n in (getattr(c, "common_name", None), c.name) if n]
    names += [r for r, in session.execute(select(Region.name))]
    names += [n for b in BUILTIN_REGIONS for n in (b.name, *b.aliases)]
    return names


def _known_country(session: Session, name: str) -> Country | None:
    """A code or alias of a country already in the database, without loading pycountry."""
    from kb.countries import ALIASES

    key = normalize_name(name)
    code = ALIASES.get(key) or (key.upper() if len(key) == 2 and key.isalpha() else None)
    return session.get(Country, code) if code else None


def normalize_theme(path: str) -> str:
    """`Hardware / Chips` -> `hardware/chips`: lower case, hyphens for spaces, no empty parts."""
    parts = [" ".join(part.split()).lower().replace(" ", "-") for part in path.split("/")]
    if not path.strip() or any(not part for part in parts):
        raise Invalid("theme", path, "expected a slash path such as hardware/chips")
    return "/".join(parts)


def themes(session: Session, paths: Iterable[str]) -> list[Theme]:
    rows: list[Theme] = []
    for raw in paths:
        path = normalize_theme(raw)
        row = session.scalar(select(Theme).where(Theme.path == path))
        if row is None:
            known = session.scalars(select(Theme.path).where(
                Theme.id.in_(select(ClaimTheme.theme_id))))
            notices.add(session, "theme", f"new theme {path!r}{did_you_mean(path, known)}")
            row = Theme(path=path)
            session.add(row)
            session.flush()
        if row not in rows:
            rows.append(row)
    return rows


def theme_paths(session: Session) -> list[str]:
    """Every theme path a filter accepts, parents included (`hardware` for `hardware/chips`)."""
    paths: set[str] = set()
    for path in session.scalars(select(Theme.path)):
        parts = path.split("/")
        paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(paths)


def theme_subtree(path: str) -> ColumnElement[bool]:
    """A condition on Theme.path matching `path` and its descendants, as an index range."""
    # "/" sorts just before "0", so [path/, path0) is exactly the descendants.
    return or_(Theme.path == path, (Theme.path >= path + "/") & (Theme.path < path + "0"))


def actors(session: Session, names: Iterable[str], kind: str | None = None) -> list[Actor]:
    rows: list[Actor] = []
    for raw in names:
        name = " ".join(raw.split())
        if not name:
            raise Invalid("actor", raw, "must not be empty")
        row = find_actor(session, name)
        if row is None:
            row = Actor(name=name, kind=kind)
            session.add(row)
            session.flush()
        if row not in rows:
            rows.append(row)
    return rows


def find_actor(session: Session, name: str) -> Actor | None:
    # The database lowers both sides: Python's and PostgreSQL's (C locale) lower() disagree
    # beyond ASCII, and a mismatch here would insert a duplicate.
    wanted = " ".join(name.split())
    return session.scalar(select(Actor).where(func.lower(Actor.name) == func.lower(wanted)))


def add_region(session: Session, name: str, members: Iterable[str], note: str | None = None
               ) -> Region:
    """Create a region, or replace the members of an existing one of that name."""
    name = " ".join(name.split())
    if not name:
        raise Invalid("region", name, "must not be empty")
    if resolve_country(name):
        raise Invalid("region", name, "is the name of a country")
    codes = []
    for member in members:
        resolved = resolve_country(member)
        if not resolved:
            raise Invalid("country", member, "not a known country")
        codes.append(resolved[0])
    region = _stored_region(session, name) or Region(name=name)
    region.note = note if note is not None else region.note
    region.countries = [country(session, code) for code in sorted(set(codes))]
    session.add(region)
    session.flush()
    return region


def list_regions(session: Session) -> list[dict[str, object]]:
    claims = dict(
        session.execute(
            select(ClaimRegion.region_id, func.count()).group_by(ClaimRegion.region_id)
        ).all()
    )
    rows: list[dict[str, object]] = [
        {"name": r.name, "countries": [c.code for c in r.countries],
         "claims": claims.get(r.id, 0), "note": r.note}
        for r in session.scalars(select(Region))
    ]
    stored = {normalize_name(str(row["name"])) for row in rows}
    rows += [{"name": b.name, "countries": list(b.countries), "claims": 0, "note": b.note}
             for b in BUILTIN_REGIONS if normalize_name(b.name) not in stored]
    return sorted(rows, key=lambda row: str(row["name"]))


def list_countries(session: Session) -> list[dict[str, object]]:
    """Countries that claims are about, with how many claims name each (most first)."""
    rows = session.execute(
        select(Country.code, Country.name, func.count(ClaimCountry.claim_id))
        .join(ClaimCountry, ClaimCountry.country_code == Country.code)
        .group_by(Country.code, Country.name)
        .order_by(func.count(ClaimCountry.claim_id).desc(), Country.code)
    ).all()
    return [{"code": code, "name": name, "claims": count} for code, name, count in rows]


def list_all_countries(session: Session) -> list[dict[str, object]]:
    """Every country kb knows, with the aliases it accepts and its claim count."""
    import pycountry

    from kb.countries import ALIASES, country_name

    claims = dict(session.execute(
        select(ClaimCountry.country_code, func.count()).group_by(ClaimCountry.country_code)
    ).all())
    aliases: dict[str, list[str]] = {}
    for alias, code in ALIASES.items():
        aliases.setdefault(code, []).append(alias)
    rows = []
    for record in pycountry.countries:
        name = country_name(record)
        also = [n for n in (record.name, getattr(record, "official_name", None), record.alpha_3)
                if n and n != name]
        rows.append({"code": record.alpha_2, "name": name,
                     "aliases": also + sorted(aliases.get(record.alpha_2, [])),
                     "claims": claims.get(record.alpha_2, 0)})
    return sorted(rows, key=lambda row: str(row["code"]))


def list_actors(session: Session) -> list[dict[str, object]]:
    """Actors with how many claims name each (most first)."""
    rows = session.execute(
        select(Actor.name, Actor.kind, func.count(ClaimActor.claim_id))
        .outerjoin(ClaimActor, ClaimActor.actor_id == Actor.id)
        .group_by(Actor.id, Actor.name, Actor.kind)
        .order_by(func.count(ClaimActor.claim_id).desc(), Actor.name)
    ).all()
    return [{"name": name, "kind": kind, "claims": count} for name, kind, count in rows]


def theme_paths_in_use(session: Session) -> list[str]:
    """The themes `list_themes` lists, without counting: those some claim has, and their
    parents (stored or not)."""
    return sorted(_with_parents(session.scalars(select(Theme.path).where(
        exists().where(ClaimTheme.theme_id == Theme.id)))))


def _with_parents(paths: Iterable[str]) -> set[str]:
    """These theme paths and every parent of each (`a/b/c`: `a/b`, `a`), stored or not."""
    out: set[str] = set()
    for path in paths:
        parts = path.split("/")
        out.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return out


def list_themes(session: Session) -> list[dict[str, object]]:
    """Every theme with its own claim count and the count including its descendants."""
    own = dict(
        session.execute(
            select(Theme.path, func.count(ClaimTheme.claim_id))
            .outerjoin(ClaimTheme, ClaimTheme.theme_id == Theme.id)
            .group_by(Theme.path)
        ).all()
    )
    # A claim tagged with two themes under one parent counts once for the parent.
    pairs = session.execute(
        select(Theme.path, ClaimTheme.claim_id).join(ClaimTheme, ClaimTheme.theme_id == Theme.id)
    ).all()
    total: Counter[str] = Counter()
    paths = _with_parents(own)
    seen: set[tuple[str, int]] = set()
    for path, claim_id in pairs:
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            ancestor = "/".join(parts[:i])
            if (ancestor, claim_id) not in seen:
                seen.add((ancestor, claim_id))
                total[ancestor] += 1
    # A theme whose claims are all gone (a typo since corrected) is no longer listed.
    return [{"theme": p, "claims": own.get(p, 0), "with_subthemes": total[p]}
            for p in sorted(paths) if total[p]]


@dataclass
class ThemeMove:
    """What renaming a theme did: claims moved, and themes merged into existing ones."""

    claims: int = 0
    themes: int = 0
    merged: list[str] = field(default_factory=list)


def rename_theme(session: Session, old: str, new: str) -> ThemeMove:
    """Rename a theme and its sub-themes; where the new path exists, merge into it.

    `hardwre/chips` -> `hardware/chips` moves the claims over and drops the misspelling.
    """
    old_path, new_path = normalize_theme(old), normalize_theme(new)
    moving = list(session.scalars(select(Theme).where(theme_subtree(old_path))
                                  .order_by(Theme.path)))
    if not moving:
        raise NotFound(f"no theme {old_path!r}" + (did_you_mean(old_path, theme_paths(session))
                                                   or " (see `kb themes`)"))
    if new_path == old_path or new_path.startswith(old_path + "/"):
        raise Invalid("theme", new, f"cannot move {old_path!r} into itself")
    move = ThemeMove()
    affected = sorted(set(session.scalars(select(ClaimTheme.claim_id).where(
        ClaimTheme.theme_id.in_([t.id for t in moving])))))
    before = _theme_paths_of(session, affected)
    for theme in moving:
        target_path = new_path + theme.path[len(old_path):]
        target = session.scalar(select(Theme).where(Theme.path == target_path))
        links = list(session.scalars(select(ClaimTheme).where(ClaimTheme.theme_id == theme.id)))
        move.claims += len(links)
        move.themes += 1
        if target is None:
            theme.path = target_path
            continue
        move.merged.append(target_path)
        already = set(session.scalars(select(ClaimTheme.claim_id)
                                      .where(ClaimTheme.theme_id == target.id)))
        for link in links:
            if link.claim_id not in already:
                session.add(ClaimTheme(theme_id=target.id, claim_id=link.claim_id,
                                       date_start=link.date_start))
            session.delete(link)
        session.flush()
        session.delete(theme)
    session.flush()
    _record_renames(session, before)
    return move


def _theme_paths_of(session: Session, claim_ids: list[int]) -> dict[int, list[str]]:
    paths: dict[int, list[str]] = {claim_id: [] for claim_id in claim_ids}
    for start in range(0, len(claim_ids), 1000):
        for claim_id, path in session.execute(
                select(ClaimTheme.claim_id, Theme.path).join(Theme, Theme.id == ClaimTheme.theme_id)
                .where(ClaimTheme.claim_id.in_(claim_ids[start:start + 1000]))):
            paths[claim_id].append(path)
    return {claim_id: sorted(found) for claim_id, found in paths.items()}


def _record_renames(session: Session, before: dict[int, list[str]]) -> None:
    """Each claim whose themes a rename changed says so in its history (what they were)."""
    from kb.models import utcnow
    from kb.services import revisions

    after = _theme_paths_of(session, list(before))
    changed = [claim_id for claim_id in before if before[claim_id] != after[claim_id]]
    for claim_id in changed:
        revisions.write(session, claim_id, "renamed", {"themes": before[claim_id]})
    if changed:
        session.execute(update(Claim).where(Claim.id.in_(changed)).values(updated_at=utcnow()))


def require_actor(session: Session, name: str) -> Actor:
    row = find_actor(session, name)
    if row is None:
        near = did_you_mean(name, session.scalars(select(Actor.name)))
        raise NotFound(f"no actor named {name!r}"
                       + (near or " (actors are added with claims: --actor; see `kb actors`)"))
    return row


# The conditions below are correlated EXISTS probes, not IN (subquery): a listing walks the
# claims newest first along ix_claim_date_start and stops at its LIMIT, probing each claim's
# links by primary key, instead of first collecting every claim of a popular country.


def claims_about(places: Places) -> ColumnElement[bool]:
    """Claims tagged with any of these countries, with any region, or a member of it."""
    by_country = exists().where(ClaimCountry.claim_id == Claim.id,
                                ClaimCountry.country_code.in_(places.codes))
    if not places.region_ids:
        return by_country
    by_region = exists().where(ClaimRegion.claim_id == Claim.id,
                               ClaimRegion.region_id.in_(places.region_ids))
    return or_(by_country, by_region)


def claim_ids_about(places: Places) -> ColumnElement[bool]:
    """`claims_about` as `Claim.id IN (the places' link rows)`, for counting: a popular
    country's ids come off its own index range instead of a probe per claim (38k ids for
    the US at 100k claims: 78 ms against 187 ms on a busy machine). A LIMITed listing keeps
    `claims_about`, which stops at its limit while walking claims newest first."""
    by_country = Claim.id.in_(select(ClaimCountry.claim_id).where(
        ClaimCountry.country_code.in_(places.codes)))
    if not places.region_ids:
        return by_country
    return or_(by_country, Claim.id.in_(select(ClaimRegion.claim_id).where(
        ClaimRegion.region_id.in_(places.region_ids))))


def theme_ids(session: Session, paths: Iterable[str]) -> list[int]:
    """The ids of these themes and all their descendants."""
    found: set[int] = set()
    for raw in paths:
        path = normalize_theme(raw)
        subtree = set(session.scalars(select(Theme.id).where(theme_subtree(path))))
        if not subtree:
            raise NotFound(f"no theme {path!r}" + (did_you_mean(path, theme_paths(session))
                                                   or " (see `kb themes`)"))
        found |= subtree
    return sorted(found)


def claims_with_themes(ids: list[int]) -> ColumnElement[bool]:
    """Claims tagged with any of these themes."""
    return exists().where(ClaimTheme.claim_id == Claim.id, ClaimTheme.theme_id.in_(ids))


def claims_with_actor(actor: Actor) -> ColumnElement[bool]:
    return exists().where(ClaimActor.claim_id == Claim.id, ClaimActor.actor_id == actor.id)
