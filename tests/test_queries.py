"""Query behaviour a researcher relies on: spans of partial dates, and constant query counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event

from kb.db import Database
from kb.services import claims, sources
from kb.services.claims import ClaimFields
from kb.services.query import ClaimFilter, query_claims
from kb.services.sources import SourceFields

if TYPE_CHECKING:
    from tests.conftest import KB


def test_partial_dates_cover_their_whole_span(kb: KB) -> None:
    db = Database(kb.url)
    with db.write() as session:
        sources.add(session, SourceFields(title="Report"), key="r")
        for date in ("2024", "2025-03", "2025-12-31", "2026-01-01"):
            claims.add(session, "r", ClaimFields(text=f"claim of {date}", date=date))

    def dates(**window: Any) -> list[str]:
        with db.read() as session:
            return sorted(c["date"] for c in query_claims(session, ClaimFilter(**window)))

    assert dates(since="2025") == ["2025-03", "2025-12-31", "2026-01-01"]
    assert dates(until="2025-03-01") == ["2024", "2025-03"]  # March 2025 overlaps 1 March
    assert dates(since="2024-06-15", until="2024-06-15") == ["2024"]
    assert dates(since="2025-04", until="2025-11") == []
    assert dates(since="2025-12", until="2025-12") == ["2025-12-31"]
    db.dispose()


def test_listing_claims_costs_a_fixed_number_of_queries(kb: KB) -> None:
    db = Database(kb.url)

    def add(n: int) -> None:
        with db.write() as session:
            sources.add(session, SourceFields(title=f"Source {n}", authors=["Doe, J"]),
                        key=f"s{n}")
            for i in range(n):
                claims.add(session, f"s{n}", ClaimFields(
                    text=f"claim {i}", countries=["US", "CN"], themes=[f"t/{i % 5}"],
                    actors=[f"actor {i % 3}"]))

    def count_queries() -> int:
        statements: list[str] = []
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        with db.read() as session:
            rows = query_claims(session, ClaimFilter(countries=["US"]))
        event.remove(db.engine, "before_cursor_execute", listener)
        assert all(r["countries"] == ["CN", "US"] for r in rows)
        return len(statements)

    add(3)
    few = count_queries()
    add(60)
    assert count_queries() == few
    db.dispose()


def test_a_theme_listing_follows_edited_dates(kb: KB) -> None:
    kb.ok("source", "add", "--title", "S", "--key", "s")
    old = kb.ok("claim", "add", "--source", "s", "--text", "old", "--theme", "x/y",
                "--date", "2020").strip()
    new = kb.ok("claim", "add", "--source", "s", "--text", "new", "--theme", "x/y",
                "--date", "2024").strip()

    def order(*args: str) -> list[str]:
        import json

        rows = json.loads(kb.ok("claim", "list", "--theme", "x/y", "--format", "json", *args))
        return [str(r["id"]) for r in rows]

    assert order() == [new, old]
    kb.ok("claim", "edit", old, "--date", "2025-06")
    assert order() == [old, new]
    assert order("--until", "2024-12") == [new]


def test_a_listing_shows_each_claim_as_claim_show_does(seeded: KB) -> None:
    """Listings read rows and `claim show` reads objects; a researcher sees one shape."""
    import json

    listed = json.loads(seeded.ok("claim", "list", "--format", "json"))
    assert {r["status"] for r in listed} >= {"supported", "unverified"}
    assert any(r["regions"] for r in listed) and any(r["actors"] for r in listed)
    for row in listed:
        shown = json.loads(seeded.ok("claim", "show", str(row["id"]), "--format", "json"))
        shown.pop("evidence")  # the links themselves are `claim show`'s own
        shown.pop("evidence_for_other_claims")
        shown.pop("ignored_evidence")  # why standing leaves links out: `claim show` explains
        shown.pop("quote_check")  # the check's details; both carry quote_status and anchor
        assert row == shown
