"""The command line as a user meets it: creating and migrating the database, where it lives,
what an error looks like (on every click kb allows), regions, and listings' CSV columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.db import HEAD_REVISION
from tests.backends import BACKEND
from tests.conftest import KB, REPO, sqlite_only

if TYPE_CHECKING:
    from pathlib import Path


def run_kb(*args: str, env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real `kb` in a subprocess, with this checkout's package (not an installed one)."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, "-m", "kb", *args], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=120)


# --- kb init and kb db ... ---------------------------------------------------------------

def test_init_creates_and_migrates_then_db_commands_move_the_schema(empty_url: str) -> None:
    fresh = KB(empty_url)
    assert fresh.ok("db", "current") == "base (behind: run `kb db upgrade`)\n"
    shown = fresh.ok("init")
    assert shown.strip() in (fresh.db, empty_url.replace("postgres@", "postgres@"))
    assert fresh.ok("db", "current") == f"{HEAD_REVISION} (head)\n"
    assert fresh.ok("init") == shown  # twice changes nothing

    assert fresh.ok("db", "downgrade", "0002") == "0002\n"
    assert fresh.ok("db", "current") == "0002 (behind: run `kb db upgrade`)\n"
    assert fresh.ok("db", "upgrade", "0003") == "0003\n"
    assert fresh.ok("db", "upgrade") == f"{HEAD_REVISION}\n"
    assert fresh.ok("db", "downgrade", "base") == "base\n"
    assert fresh.ok("db", "current") == "base (behind: run `kb db upgrade`)\n"
    # Any other command migrates on first use.
    assert fresh.ok("claim", "list", "--format", "json") == "[]\n"
    assert fresh.ok("db", "current") == f"{HEAD_REVISION} (head)\n"


def test_an_unknown_revision_is_one_line(kb: KB) -> None:
    result = kb("db", "downgrade", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid revision 'nope': ")
    assert len(result.stderr.splitlines()) == 1


# --- where the database is ---------------------------------------------------------------

@sqlite_only
def test_the_default_database_lives_in_the_users_data_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "KB_DATABASE_URL": ""}
    made = run_kb("init", env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    expected = home / "data" / "kb" / "kb.sqlite3"
    assert made.stdout == f"{expected}\n"
    assert expected.exists()
    added = run_kb("source", "add", "--title", "Where it lives", "--key", "here", env=env)
    assert (added.returncode, added.stdout) == (0, "here\n")
    assert "here" in run_kb("source", "list", env=env).stdout


@sqlite_only
def test_kb_database_url_names_the_database_and_db_overrides_it(tmp_path: Path) -> None:
    from_env, from_option = tmp_path / "env.sqlite3", tmp_path / "option.sqlite3"
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "KB_DATABASE_URL": f"sqlite:///{from_env}"}
    runner = CliRunner(env=env)
    result = runner.invoke(cli, ["source", "add", "--title", "T", "--key", "fromenv"])
    assert (result.exit_code, result.stdout) == (0, "fromenv\n"), result.output
    assert from_env.exists() and not (tmp_path / "data").exists()
    result = runner.invoke(cli, ["--db", str(from_option), "source", "list", "--format", "json"])
    assert (result.exit_code, result.stdout) == (0, "[]\n")
    listed = runner.invoke(cli, ["source", "list", "--format", "json"])
    assert [s["key"] for s in json.loads(listed.stdout)] == ["fromenv"]


# --- errors, through the real `kb` -------------------------------------------------------

def test_errors_are_one_line_from_the_real_kb(seeded: KB) -> None:
    """On every click kb allows (8.1 had no NoArgsIsHelpError: each error was a traceback)."""
    for args, code, line in [
        (["claim", "show", "abc"], 2,
         "Error: Invalid value for 'CLAIM_ID': 'abc' is not a valid integer."),
        (["source", "show", "nope"], 1,
         "Error: source 'nope' not found (see `kb source list`)"),
        (["nosuchcommand"], 2, "Error: No such command 'nosuchcommand'."),
    ]:
        result = run_kb("--db", seeded.db, *args)
        assert (result.returncode, result.stderr, result.stdout) == (code, line + "\n", ""), \
            args
    # click words this one differently across versions; one line all the same.
    result = run_kb("--db", seeded.db, "claim", "list", "--bogus")
    assert result.returncode == 2 and result.stderr.startswith("Error: No such option")
    assert len(result.stderr.splitlines()) == 1


def test_debug_shows_the_traceback(seeded: KB) -> None:
    result = run_kb("--db", seeded.db, "--debug", "source", "show", "nope")
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.rstrip().splitlines()[-1] == (
        "kb.errors.NotFound: source 'nope' not found (see `kb source list`)")


def test_a_group_without_a_command_shows_its_help() -> None:
    result = CliRunner().invoke(cli, ["claim"])
    assert "Usage:" in result.output and "Traceback" not in result.output
    assert result.exit_code in (0, 2)  # click 8.2 made it 2


def test_a_file_that_cannot_be_written_is_one_line(seeded: KB, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.jsonl"
    result = seeded("export", "claims", "--format", "jsonl", "-o", str(target))
    assert result.exit_code == 1
    assert result.stderr == f"Error: No such file or directory: {target}\n"


def test_a_closed_pipe_is_quiet(kb: KB, tmp_path: Path) -> None:
    """`kb claim list | head -1`: no error, no traceback when the reader goes away."""
    path = tmp_path / "claims.jsonl"
    lines: list[dict[str, Any]] = [{"source_record": {"key": "s", "title": "S"}}]
    lines += [{"source": "s", "text": f"claim {i} " + "words " * 40} for i in range(600)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    kb.ok("import", str(path))
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    # ~300 kB of JSON: more than a pipe usually holds, so kb writes into a closed pipe.
    listing = subprocess.Popen([sys.executable, "-m", "kb", "--db", kb.db, "claim", "list",
                                "--format", "json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=environment)
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.readline()
    listing.stdout.close()
    with listing.stderr:
        assert listing.stderr.read() == b""
    # 1 where the write failed (click quietens EPIPE); 0 where the pipe took it all.
    assert listing.wait(timeout=60) in (0, 1)


# --- regions -----------------------------------------------------------------------------

def test_region_add_then_claims_find_it(kb: KB) -> None:
    assert kb.ok("region", "add", "Five Eyes", "US", "gb", "Canada", "AU", "NZ",
                 "--note", "intelligence alliance") == "Five Eyes: AU CA GB NZ US\n"
    kb.ok("source", "add", "--title", "Alliance report", "--key", "alliance")
    kb.ok("claim", "add", "--source", "alliance", "--text", "They share signals",
          "--country", "Five Eyes")
    (claim,) = json.loads(kb.ok("claim", "list", "--country", "Five Eyes", "--format", "json"))
    assert claim["regions"] == ["Five Eyes"]
    regions = {r["name"]: r for r in json.loads(kb.ok("region", "--format", "json"))}
    assert regions["Five Eyes"]["countries"] == ["AU", "CA", "GB", "NZ", "US"]
    assert regions["Five Eyes"]["note"] == "intelligence alliance"
    # Again replaces the members.
    assert kb.ok("region", "add", "Five Eyes", "US", "GB") == "Five Eyes: GB US\n"
    refused = kb("region", "add", "Nowhere", "Atlantis")
    assert (refused.exit_code, refused.stderr) == (
        2, "Error: invalid country 'Atlantis': not a known country\n")


# --- listings' CSV columns ---------------------------------------------------------------

LISTINGS = [["claim", "list"], ["search", "nuclear"], ["source", "list"], ["countries"],
            ["themes"], ["region"]]


@pytest.mark.parametrize("listing", LISTINGS, ids=" ".join)
def test_a_csv_header_is_the_records_fields_with_rows_or_none(
        seeded: KB, kb: KB, listing: list[str]) -> None:
    full = seeded.ok(*listing, "--format", "csv").splitlines()
    empty = kb.ok(*listing, "--format", "csv").splitlines()
    assert len(full) > 1, "the seeded listing has rows"
    # An empty database lists no rows, but for the built-in regions (the EU).
    assert len(empty) == (2 if listing == ["region"] else 1)
    assert empty[0] == full[0]
    record = json.loads(seeded.ok(*listing, "--format", "json"))[0]
    assert full[0].split(",") == list(record)


# --- the filter options are ClaimFilter's fields ------------------------------------------

def test_every_claim_filter_field_has_one_option() -> None:
    from dataclasses import fields

    from kb.cli.filters import FILTER_OPTIONS
    from kb.services.query import ClaimFilter

    assert list(FILTER_OPTIONS) == [f.name for f in fields(ClaimFilter)]
    for command in (["claim", "list"], ["search"], ["export", "claims"],
                    ["export", "citations"]):
        group = cli
        for name in command[:-1]:
            group = group.commands[name]  # type: ignore[assignment]
        params = {p.name for p in group.commands[command[-1]].params}
        assert set(FILTER_OPTIONS) <= params, command


def test_each_filter_option_filters(seeded: KB) -> None:
    """Each option narrows the listing (a parsed option that fills no field would not)."""
    every = len(json.loads(seeded.ok("claim", "list", "--format", "json")))
    some = {"--country": "US", "--theme": "energy", "--source": "npr2026china",
            "--since": "2026-03", "--until": "2025", "--status": "supported",
            "--search": "chips", "--limit": "3", "--actor": "Nvidia"}
    for option, value in some.items():
        count = len(json.loads(seeded.ok("claim", "list", option, value, "--format", "json")))
        assert count < every, option


@pytest.mark.skipif(BACKEND != "sqlite", reason="the subprocess test above covers both")
def test_version_is_printed() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "version" in result.stdout


def test_a_broken_pipe_is_left_to_click_and_other_os_errors_are_one_line() -> None:
    import errno

    from kb.cli import Refused, translated

    with pytest.raises(BrokenPipeError), translated(lambda: False):
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")
    with pytest.raises(Refused) as refused, translated(lambda: False):
        raise PermissionError(errno.EACCES, "Permission denied", "/root/x")
    assert (refused.value.format_message(), refused.value.exit_code) == (
        "Permission denied: /root/x", 1)
    with pytest.raises(PermissionError), translated(lambda: True):  # --debug
        raise PermissionError(errno.EACCES, "Permission denied", "/root/x")
