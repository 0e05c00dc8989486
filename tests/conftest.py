"""Shared fixtures: a database migrated once per session and copied for each test.

The backend is SQLite unless KB_TEST_BACKEND=postgresql (see tests/backends.py).
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.db import Database, sqlite_path
from tests.backends import BACKEND, Databases, dump, postgres_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

REPO = Path(__file__).resolve().parents[1]
# Everything the tests read lives in the repo (tests/data/README.md says where each file is from).
DATA = REPO / "tests" / "data"
ARTICLE = REPO / "seeds" / "npr_2026_ai_divergence.article.txt"

if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
    # click < 8.2 mixes stderr into stdout unless told not to (and `result.stderr` then
    # raises); 8.2 keeps them apart. The suite runs on the lowest click kb allows too.
    CliRunner.__init__ = functools.partialmethod(  # type: ignore[method-assign,assignment]
        CliRunner.__init__, mix_stderr=False)

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="about SQLite files")


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    scratch = tmp_path_factory.mktemp("databases")
    if BACKEND == "postgresql":
        with postgres_server() as admin_url:
            yield Databases(admin_url, scratch)
    else:
        yield Databases(None, scratch)


@pytest.fixture(scope="session")
def template_url(databases: Databases) -> str:
    url = databases.new()
    database = Database(url)
    database.ensure_current()
    database.dispose()  # no connection may stay open on a template (and the WAL is folded in)
    return url


@pytest.fixture(scope="session")
def seeded_url(databases: Databases, template_url: str) -> str:
    url = databases.new(template_url)
    result = CliRunner().invoke(cli, ["--db", url, "seed"])
    assert result.exit_code == 0, result.output
    return url


@dataclass
class KB:
    """Runs kb commands against one database, as a researcher would."""

    url: str

    @property
    def db(self) -> str:
        """What to pass to --db: the file for SQLite (as a user would), else the URL."""
        path = sqlite_path(self.url)
        return str(path) if path else self.url

    @property
    def path(self) -> Path:
        path = sqlite_path(self.url)
        assert path is not None, "a SQLite-only test"
        return path

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--db", self.db, *args], input=input)

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result.stdout

    def dump(self) -> str:
        return dump(self.url)


@pytest.fixture
def new_kb(databases: Databases, template_url: str) -> Callable[[], KB]:
    """Makes further empty kb databases in a test: `new_kb()`."""

    class Fresh(KB):
        def __init__(self) -> None:
            super().__init__(databases.new(template_url))

    return Fresh


@pytest.fixture
def kb(new_kb: Callable[[], KB]) -> KB:
    return new_kb()


@pytest.fixture
def seeded(databases: Databases, seeded_url: str) -> KB:
    return KB(databases.new(seeded_url))


@pytest.fixture
def empty_url(databases: Databases) -> str:
    """A database with no schema at all (for migration tests)."""
    return databases.new()
