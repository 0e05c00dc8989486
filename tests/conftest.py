"""Shared fixtures: a database migrated once per session and copied for each test."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.db import Database

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ARTICLE = SHARED / "seeds" / "000_1f9490e3b794c15f.txt"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "kb.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.ensure_current()
    database.dispose()
    return path


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "kb.sqlite3"
    shutil.copy(template_db, path)
    result = CliRunner().invoke(cli, ["--db", str(path), "seed"])
    assert result.exit_code == 0, result.output
    return path


@dataclass
class KB:
    """Runs kb commands against one database file, as a researcher would."""

    path: Path

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--db", str(self.path), *args], input=input)

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result.stdout

    def dump(self) -> str:
        """Every row of the database, to prove a refused command changed nothing."""
        with sqlite3.connect(self.path) as conn:
            return "\n".join(conn.iterdump())


@pytest.fixture
def kb(tmp_path: Path, template_db: Path) -> KB:
    path = tmp_path / "kb.sqlite3"
    shutil.copy(template_db, path)
    return KB(path)


@pytest.fixture
def seeded(tmp_path: Path, seeded_template: Path) -> KB:
    path = tmp_path / "kb.sqlite3"
    shutil.copy(seeded_template, path)
    return KB(path)
