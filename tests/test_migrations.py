"""The standard migration tests, plus an upgrade of a database populated at an older revision."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from kb.db import HEAD_REVISION, Database, alembic_config
from tests.conftest import KB


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = set(inspect(conn).get_table_names())
    engine.dispose()
    return found


def test_single_head_and_the_app_knows_it(empty_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_url))
    assert script.get_heads() == [HEAD_REVISION]


def test_upgrade_base_to_head_then_no_drift_from_models(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    command.check(config)  # raises if autogenerate finds any difference


def test_round_trip_head_base_head_leaves_nothing_behind(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    at_head = tables(empty_url)
    command.downgrade(config, "base")
    assert tables(empty_url) == {"alembic_version"}
    command.upgrade(config, "head")
    assert tables(empty_url) == at_head


def test_every_revision_steps_up_and_down(empty_url: str) -> None:
    config = alembic_config(empty_url)
    revisions = list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))
    for revision in revisions:
        command.upgrade(config, revision.revision)
        down = revision.down_revision
        assert down is None or isinstance(down, str), "one parent: the history is a line"
        command.downgrade(config, down or "base")
        command.upgrade(config, revision.revision)


def test_database_populated_at_0001_upgrades_with_rows_intact(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "0001")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO source (key, type, title, issued, created_at, updated_at) VALUES "
            "('old2024', 'report', 'An older report', '2024', '2024-05-01 10:00:00', "
            "'2024-05-01 10:00:00')",
            "INSERT INTO claim (source_id, text, quote, locator, date, date_start, date_end, "
            "created_at, updated_at) VALUES (1, 'Chips are scarce', 'chips are scarce', "
            "'p. 3', '2024', '2024-01-01', '2024-12-31', '2024-05-01 10:00:00', "
            "'2024-05-01 10:00:00')",
            "INSERT INTO country VALUES ('CN', 'China')",
            "INSERT INTO claim_country VALUES ('CN', 1)",
            "INSERT INTO theme (path) VALUES ('hardware/chips')",
            "INSERT INTO claim_theme VALUES (1, 1)",
        ):
            conn.execute(text(statement))
    engine.dispose()
    database = Database(empty_url)
    database.ensure_current()  # what `kb` does on first use
    assert database.current_revision() == HEAD_REVISION
    database.dispose()

    old = KB(empty_url)
    listed = old.ok("claim", "list", "--country", "China", "--format", "json")
    assert '"text": "Chips are scarce"' in listed
    assert '"themes": [\n      "hardware/chips"' in listed
    # Made before kb recorded who: "unknown", as `kb log` says.
    assert "2024-05-01T10:00:00  unknown  created" in old.ok("claim", "history", "1")
    assert old.ok("search", "scarce")  # the search index covers rows made before it


def edit_a_life(kb: KB) -> None:
    """Claims with a past: edits of every kind of field, a theme renamed under them, a region,
    a standing that changed when its evidence went."""
    kb.ok("claim", "edit", "1", "--text", "edited once")
    kb.ok("claim", "edit", "1", "--text", "edited twice", "--theme", "x/y", "--actor", "NPR")
    kb.ok("claim", "edit", "2", "--quote", "a new quote", "--locator", "p. 9", "--date", "2025")
    kb.ok("claim", "edit", "3", "--country", "Southeast Asia", "--country", "US")
    kb.ok("themes", "rename", "x/y", "x/z")
    kb.ok("evidence", "add", "4", "--supports", "--claim", "5")
    kb.ok("claim", "rm", "5", "--force")  # claim 4 loses its support: a change of standing


def histories(kb: KB) -> dict[int, tuple[str, list[dict[str, Any]]]]:
    """Every claim's history as `kb claim history` prints it, for people and as JSON."""
    ids = [c["id"] for c in json.loads(kb.ok("claim", "list", "--format", "json"))]
    return {i: (kb.ok("claim", "history", str(i)),
                json.loads(kb.ok("claim", "history", str(i), "--format", "json")))
            for i in ids}


# Columns migration 0008 added and its downgrade drops (the refusal names them): a claim's
# stance and whom it is attributed to. Everything else a revision says must come back.
DROPPED_BELOW_0008 = ("stance", "attributed_to")


def without_stance(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A history without what the downgrade through 0008 drops and names: the stance columns
    and who made each change (`by`)."""
    return [{**{k: v for k, v in revision.items() if k != "by"},
             "claim": {k: v for k, v in revision["claim"].items()
                       if k not in DROPPED_BELOW_0008},
             "changes": {k: v for k, v in revision["changes"].items()
                         if k not in DROPPED_BELOW_0008}} for revision in history]


def test_0005_round_trip_keeps_every_revision_of_every_claim(seeded: KB) -> None:
    edit_a_life(seeded)
    before = histories(seeded)
    assert [r["action"] for r in before[1][1]] == ["created", "edited", "edited", "renamed"]
    assert before[4][1][-1]["reason"] == "claim 5 was removed"
    refusal = seeded("db", "downgrade", "0004").stderr
    assert "column claim.stance (" in refusal and "column claim.attributed_to (" in refusal
    seeded.ok("db", "downgrade", "0004", "--yes")
    assert seeded.ok("db", "upgrade") == f"{HEAD_REVISION}\n"
    after = histories(seeded)
    assert {i: without_stance(json_) for i, (_, json_) in after.items()} == {
        i: without_stance(json_) for i, (_, json_) in before.items()}
    # As printed for people, the fields each revision changed: the same, line for line (the
    # revision rows themselves differ in BY, which the downgrade dropped and named).
    assert {i: changed_lines(table) for i, (table, _) in after.items()} == {
        i: changed_lines(table) for i, (table, _) in before.items()}


def changed_lines(table: str) -> list[str]:
    return [line for line in table.splitlines() if line.startswith("    ")]


def test_a_history_a_downgrade_dropped_is_never_replaced_by_a_false_one(seeded: KB) -> None:
    seeded.ok("claim", "edit", "1", "--text", "edited once")
    seeded.ok("claim", "edit", "1", "--text", "edited twice")
    unedited = history_of(seeded, 6)
    about_a_region = next(c["id"] for c in json.loads(
        seeded.ok("claim", "list", "--format", "json")) if c["regions"])
    refusal = seeded("db", "downgrade", "0001")
    assert refusal.exit_code == 1
    assert "2 claim revisions (table claim_revision; an upgrade cannot bring them back)" in (
        refusal.stderr)
    seeded.ok("db", "downgrade", "0001", "--yes")
    assert seeded.ok("db", "upgrade") == f"{HEAD_REVISION}\n"

    # The edited claim: its past is unknown, and its history says so, from the upgrade on.
    (begins,) = json.loads(seeded.ok("claim", "history", "1", "--format", "json"))
    upgraded = dt.datetime.fromisoformat(begins["at"])
    assert abs(upgraded - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(
        minutes=5)
    created = json.loads(seeded.ok("claim", "show", "1", "--format", "json"))["created"]
    assert begins["action"] == "unrecorded"
    assert begins["note"] == (f"history before {upgraded.date()} not kept; created {created} "
                              "and changed since")
    assert begins["claim"]["text"] == "edited twice"
    assert seeded.ok("claim", "history", "1") == (
        f"REV  AT                   BY       ACTION\n"
        f"#1   {begins['at']}  unknown  unrecorded\n    {begins['note']}\n")
    # A claim its row says was never changed: its creation is its history, as before.
    assert history_of(seeded, 6) == unedited
    # A claim about a region was changed by the downgrade (the region became its countries).
    (changed,) = json.loads(seeded.ok("claim", "history", str(about_a_region), "--format",
                                      "json"))
    assert (changed["action"], changed["at"]) == ("unrecorded", begins["at"])
    # Edits after the upgrade follow on, and survive 0005's round trip.
    seeded.ok("claim", "edit", "1", "--text", "edited after")
    history = history_of(seeded, 1)
    seeded.ok("db", "downgrade", "0004", "--yes")
    seeded.ok("db", "upgrade")
    assert history_of(seeded, 1) == history


def history_of(kb: KB, claim_id: int) -> list[dict[str, Any]]:
    """A claim's history without what a downgrade below 0008 drops (and names): who made each
    change, and the stance. These tests are about what the history says happened."""
    return without_stance(json.loads(
        kb.ok("claim", "history", str(claim_id), "--format", "json")))
