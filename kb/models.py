"""The schema as SQLAlchemy 2.x typed ORM classes. Only Alembic migrations create it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RELATIONS = ("supports", "refutes", "qualifies")
STATUSES = ("unverified", "supported", "refuted", "contested")
ACTOR_KINDS = ("organization", "person", "product")
STANCES = ("asserts", "hedges", "reports", "predicts", "denies")
STRENGTHS = ("strong", "moderate", "weak")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)


def on_backend(dialect: str, index: Index) -> Index:
    """An index made on one backend only (migrations/env.py compares it there only).

    PostgreSQL reads rows in `date_start DESC NULLS LAST` order (newest first, undated last)
    from an index only if the index holds that order; SQLite cannot declare NULLS LAST in an
    index, and needs not: its DESC puts NULLs last, so it reads its plain index backwards."""
    index.info["dialect"] = dialect
    return index.ddl_if(dialect=dialect)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


IntPK = Annotated[int, mapped_column(primary_key=True)]
Timestamp = Annotated[dt.datetime, mapped_column(DateTime, default=utcnow)]
# Dates as the user gave them (YYYY, YYYY-MM or YYYY-MM-DD); spans live beside them.
PartialDateText = Annotated[str | None, mapped_column(String(10))]


class Source(Base):
    """A citable work: an article, a report, a broadcast, a paper.

    The fields people query and deduplicate on are columns; every other CSL variable a
    library carries (volume, page, ISSN, publisher-place, editor ...) is in `extra` under its
    CSL name. CSL has ~100 variables, most empty for any one work and none queried, so one
    JSON object keeps them all without a migration per variable, and reads back as CSL-JSON.
    """

    __tablename__ = "source"
    __table_args__ = (Index("ix_source_issued_start", "issued_start", "issued_end"),
                      {"sqlite_autoincrement": True})

    id: Mapped[IntPK]
    key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40), default="article")
    title: Mapped[str] = mapped_column(Text)
    container: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    # EDTF (ISO 8601-2): 2025-07-22, -0333, 1985-21, 1850~, 2014-12-31/2015-01-01 ...
    issued: Mapped[str | None] = mapped_column(Text)
    # A date with no EDTF form ("13th cent"), kept as the library wrote it.
    issued_literal: Mapped[str | None] = mapped_column(Text)
    # The span as day numbers (kb.dates.day_number: 0001-01-01 is 1; BCE below it).
    issued_start: Mapped[int | None] = mapped_column(Integer)
    issued_end: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(Text)
    # Not unique: distinct works share placeholder URLs (see sources.find_duplicate).
    url_normalized: Mapped[str | None] = mapped_column(Text, index=True)
    doi: Mapped[str | None] = mapped_column(String(255), unique=True)
    accessed: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    archived_url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    note: Mapped[str | None] = mapped_column(Text)
    reports_on_id: Mapped[int | None] = mapped_column(
        ForeignKey("source.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]

    authors: Mapped[list[SourceAuthor]] = relationship(
        order_by="SourceAuthor.position", cascade="all, delete-orphan", lazy="selectin"
    )
    reports_on: Mapped[Source | None] = relationship(remote_side="Source.id")


class SourceAuthor(Base):
    """One author in order; `literal` marks an organisation ("{NPR}"), never split into names."""

    __tablename__ = "source_author"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("source.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    family: Mapped[str | None] = mapped_column(Text)
    given: Mapped[str | None] = mapped_column(Text)
    literal: Mapped[bool] = mapped_column(default=False)


class Country(Base):
    __tablename__ = "country"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class Region(Base):
    """A named set of countries: "Global South", "Southeast Asia", "Africa"."""

    __tablename__ = "region"

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    countries: Mapped[list[Country]] = relationship(
        secondary="region_country", order_by="Country.code", lazy="selectin"
    )


class RegionCountry(Base):
    __tablename__ = "region_country"
    __table_args__ = {"sqlite_with_rowid": False}

    region_id: Mapped[int] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), primary_key=True)


class Theme(Base):
    """A slash path: `hardware/chips` lies under `hardware`."""

    __tablename__ = "theme"

    id: Mapped[IntPK]
    path: Mapped[str] = mapped_column(String(400), unique=True)


class Actor(Base):
    """An organisation, person or product a claim is about."""

    __tablename__ = "actor"
    __table_args__ = (
        CheckConstraint(
            "kind IS NULL OR kind IN ('organization', 'person', 'product')", name="kind"
        ),
    )

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str | None] = mapped_column(String(20))


class Claim(Base):
    """One assertion made by one source, with the quote it rests on."""

    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        on_backend("sqlite", Index("ix_claim_date_start", "date_start", "id")),
        Index("ix_claim_source_id", "source_id", "date_start"),
        # Ids are cited: a deleted claim's id is never given again (migration 0009).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[IntPK]
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text)
    quote: Mapped[str | None] = mapped_column(Text)
    locator: Mapped[str | None] = mapped_column(Text)  # no bound: migration 0009
    date: Mapped[PartialDateText]
    date_start: Mapped[dt.date | None] = mapped_column(Date)
    date_end: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    # Who added it (KB_USER, else the OS user); None for claims from before migration 0008.
    created_by: Mapped[str | None] = mapped_column(String(200))
    # How the source stands toward it (STANCES); `stance_cues` the hedging words found in the
    # quote ("could likely"), `attributed_to` whom a reported claim is attributed to.
    stance: Mapped[str] = mapped_column(String(10), default="asserts",
                                        server_default="asserts")
    stance_cues: Mapped[str | None] = mapped_column(Text)
    attributed_to: Mapped[str | None] = mapped_column(Text)

    source: Mapped[Source] = relationship(lazy="joined", innerjoin=True)
    countries: Mapped[list[Country]] = relationship(
        secondary="claim_country", order_by="Country.code"
    )
    regions: Mapped[list[Region]] = relationship(secondary="claim_region", order_by="Region.name")
    themes: Mapped[list[Theme]] = relationship(secondary="claim_theme", order_by="Theme.path")
    actors: Mapped[list[Actor]] = relationship(secondary="claim_actor", order_by="Actor.name")
    evidence: Mapped[list[Evidence]] = relationship(
        foreign_keys="Evidence.claim_id", order_by="Evidence.id",
        cascade="all, delete-orphan", passive_deletes=True,
    )


# Link tables put the filter column first and skip the rowid: a country's claims are one
# contiguous range of the primary key.
class ClaimCountry(Base):
    __tablename__ = "claim_country"
    __table_args__ = {"sqlite_with_rowid": False}

    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ClaimRegion(Base):
    __tablename__ = "claim_region"
    __table_args__ = {"sqlite_with_rowid": False}

    region_id: Mapped[int] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), primary_key=True
    )
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ClaimTheme(Base):
    """`date_start` repeats the claim's (kept by triggers), so that one theme's claims can be
    read newest first straight from ix_claim_theme_newest and a listing stops at its limit."""

    __tablename__ = "claim_theme"
    __table_args__ = (
        on_backend("sqlite", Index("ix_claim_theme_newest", "theme_id", "date_start",
                                   "claim_id")),
        {"sqlite_with_rowid": False},
    )

    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    date_start: Mapped[dt.date | None] = mapped_column(Date)


# Newest first, the undated last, read straight from the index on PostgreSQL too (0014).
on_backend("postgresql", Index("ix_claim_newest_first", Claim.date_start.desc().nulls_last(),
                               Claim.id.desc()))
on_backend("postgresql", Index("ix_claim_theme_newest_first", ClaimTheme.theme_id,
                               ClaimTheme.date_start.desc().nulls_last(),
                               ClaimTheme.claim_id.desc()))


class ClaimActor(Base):
    __tablename__ = "claim_actor"
    __table_args__ = {"sqlite_with_rowid": False}

    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Evidence(Base):
    """A source or another claim that supports, refutes or qualifies a claim."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(
            "relation IN ('supports', 'refutes', 'qualifies')", name="relation"
        ),
        CheckConstraint(
            "(source_id IS NULL) <> (evidence_claim_id IS NULL)", name="one_target"
        ),
        CheckConstraint("evidence_claim_id IS NULL OR evidence_claim_id <> claim_id",
                        name="not_self"),
        Index("ix_evidence_claim_id", "claim_id", "relation"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[IntPK]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("source.id", ondelete="RESTRICT"), index=True
    )
    evidence_claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("claim.id", ondelete="RESTRICT"), index=True
    )
    quote: Mapped[str | None] = mapped_column(Text)
    locator: Mapped[str | None] = mapped_column(Text)  # no bound: migration 0009
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Timestamp]
    strength: Mapped[str | None] = mapped_column(String(10))  # STRENGTHS, or not stated

    source: Mapped[Source | None] = relationship(lazy="joined")


class ClaimRevision(Base):
    """One change to a claim, so a researcher can see what changed when.

    The claim row is the newest state; `prior` holds what the changed fields were before this
    change (JSON), so a creation needs no row and the history is read back from the claim
    (kb.services.revisions)."""

    __tablename__ = "claim_revision"
    __table_args__ = (Index("ix_claim_revision_claim_id", "claim_id", "id"),)

    id: Mapped[IntPK]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[Timestamp]
    prior: Mapped[str] = mapped_column(Text)  # JSON: the changed fields' earlier values
    actor: Mapped[str | None] = mapped_column(String(200))  # None: before migration 0008


class SourceRevision(Base):
    """What changed in a source, by whom and when: created, edited, overwritten, deleted.

    `before` and `after` hold only the fields that changed (JSON); a deleted source's rows stay,
    named by key.
    """

    __tablename__ = "source_revision"
    __table_args__ = (Index("ix_source_revision_key", "source_key", "id"),)

    id: Mapped[IntPK]
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("source.id", ondelete="SET NULL"), index=True)
    source_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[Timestamp]
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class SourceText(Base):
    """One version of a source's text as retrieved: the raw file, the text taken from it, and
    how (kb.formats.extract).

    The raw bytes live IN the database, not in files beside it: `kb backup` (SQLite's backup
    API) and `kb db copy` (row by row) then carry every snapshot with nothing else to keep in
    step, a PostgreSQL team shares them like any other row, and a file moved or deleted on
    one researcher's disk can never leave a snapshot without its original. extract.MAX_BYTES
    (50 MB) bounds what one version can cost.
    """

    __tablename__ = "source_text"
    __table_args__ = (Index("ix_source_text_source_id", "source_id", "version", unique=True),)

    id: Mapped[IntPK]
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(100))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    extractor: Mapped[str] = mapped_column(String(40))
    extractor_version: Mapped[str] = mapped_column(String(40))
    page_starts: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    retrieved: Mapped[str | None] = mapped_column(String(10))
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Timestamp]
    created_by: Mapped[str] = mapped_column(String(200))


class QuoteCheck(Base):
    """A claim's quote checked against one version of its source's text (kb.formats.anchor).

    `anchor_start:anchor_end` index the stored text (Python string offsets); exact, prefix and
    suffix form the W3C TextQuoteSelector. `nearest` is the closest passage for a quote not
    found; `reanchored` what became of the previous version's anchor in this one (unchanged,
    moved, changed, orphaned, ambiguous). `accepted_by` names the person who accepted a
    candidate, which then counts as verified.
    """

    __tablename__ = "quote_check"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"),
                                          primary_key=True)
    text_id: Mapped[int] = mapped_column(ForeignKey("source_text.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(12))
    anchor_start: Mapped[int | None] = mapped_column(Integer)
    anchor_end: Mapped[int | None] = mapped_column(Integer)
    exact: Mapped[str | None] = mapped_column(Text)
    prefix: Mapped[str | None] = mapped_column(Text)
    suffix: Mapped[str | None] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    occurrences: Mapped[int] = mapped_column(Integer, default=0)
    similarity: Mapped[float | None] = mapped_column(Float)
    nearest: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[str | None] = mapped_column(Text)  # JSON list
    normaliser_version: Mapped[int] = mapped_column(Integer)
    reanchored: Mapped[str | None] = mapped_column(String(10))
    checked_at: Mapped[Timestamp]
    accepted_by: Mapped[str | None] = mapped_column(String(200))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ClaimRetraction(Base):
    """A claim withdrawn (`retracted_at`, `reason`) or superseded by another; never deleted.

    A row exists only for a claim that is one or the other, so the claims table and its
    listings pay nothing for the rare case."""

    __tablename__ = "claim_retraction"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"),
                                          primary_key=True)
    retracted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("claim.id", ondelete="SET NULL"), index=True)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))


class SourceNotice(Base):
    """A notice about a source: a retraction, an expression of concern, a correction ...

    Only `kind` retraction (or withdrawal, removal) takes the source's evidence out of
    standing; an expression of concern is recorded and shown, not treated as a retraction."""

    __tablename__ = "source_notice"

    id: Mapped[IntPK]
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    notice_doi: Mapped[str | None] = mapped_column(String(255))
    date: Mapped[str | None] = mapped_column(String(10))
    recorded_at: Mapped[Timestamp]
    recorded_by: Mapped[str] = mapped_column(String(200))


class ChangeLog(Base):
    """Changes no other history holds: evidence added or removed, claims removed, retracted,
    superseded, quotes accepted, texts attached. Source changes are in source_revision,
    claim edits in claim_revision, claim creations in the claim row (created_at, created_by).

    `source_key` is the key of the source concerned (the claim's), for `kb log --source`.
    """

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_at", "changed_at"),)

    id: Mapped[IntPK]
    changed_at: Mapped[Timestamp]
    actor: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(10))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))
    source_key: Mapped[str | None] = mapped_column(String(200), index=True)
    detail: Mapped[str | None] = mapped_column(Text)  # JSON
