"""The standard migration tests, plus an upgrade of a database populated at an older revision."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from kb.db import HEAD_REVISION, Database, alembic_config

if TYPE_CHECKING:
    from pathlib import Path


def config_for(path: Path):  # type: ignore[no-untyped-def]
    return alembic_config(f"sqlite:///{path}")


def test_single_head_and_the_app_knows_it(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(config_for(tmp_path / "x.db"))
    assert script.get_heads() == [HEAD_REVISION]


def test_upgrade_base_to_head_then_no_drift_from_models(tmp_path: Path) -> None:
    config = config_for(tmp_path / "x.db")
    command.upgrade(config, "head")
    command.check(config)  # raises if autogenerate finds any difference


def test_round_trip_head_base_head_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    config = config_for(path)
    command.upgrade(config, "head")
    tables = set(inspect(create_engine(f"sqlite:///{path}")).get_table_names())
    command.downgrade(config, "base")
    left = set(inspect(create_engine(f"sqlite:///{path}")).get_table_names())
    assert left == {"alembic_version"}
    command.upgrade(config, "head")
    assert set(inspect(create_engine(f"sqlite:///{path}")).get_table_names()) == tables


def test_every_revision_steps_up_and_down(tmp_path: Path) -> None:
    config = config_for(tmp_path / "x.db")
    revisions = list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))
    for revision in revisions:
        command.upgrade(config, revision.revision)
        command.downgrade(config, revision.down_revision or "base")
        command.upgrade(config, revision.revision)


def test_database_populated_at_0001_upgrades_with_rows_intact(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    command.upgrade(config_for(path), "0001")
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            INSERT INTO source (key, type, title, issued, created_at, updated_at)
            VALUES ('old2024', 'report', 'An older report', '2024', '2024-05-01 10:00:00',
                    '2024-05-01 10:00:00');
            INSERT INTO claim (source_id, text, quote, locator, date, date_start, date_end,
                               created_at, updated_at)
            VALUES (1, 'Chips are scarce', 'chips are scarce', 'p. 3', '2024', '2024-01-01',
                    '2024-12-31', '2024-05-01 10:00:00', '2024-05-01 10:00:00');
            INSERT INTO country VALUES ('CN', 'China');
            INSERT INTO claim_country VALUES ('CN', 1);
            INSERT INTO theme (path) VALUES ('hardware/chips');
            INSERT INTO claim_theme VALUES (1, 1);
        """)
    database = Database(f"sqlite:///{path}")
    database.ensure_current()  # what `kb` does on first use
    assert database.current_revision() == HEAD_REVISION
    database.dispose()

    from click.testing import CliRunner

    from kb.cli import cli

    listed = CliRunner().invoke(cli, ["--db", str(path), "claim", "list", "--country", "China",
                                      "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert '"text": "Chips are scarce"' in listed.stdout
    assert '"themes": [\n      "hardware/chips"' in listed.stdout
    history = CliRunner().invoke(cli, ["--db", str(path), "claim", "history", "1"])
    assert "2024-05-01T10:00:00  created" in history.stdout
