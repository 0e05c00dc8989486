"""One path for every write: a claim, its evidence and its source are the same whichever door
they came in by (`kb claim add` or `kb import`), and their history tells the truth."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.formats.claim_files import CLAIM_FIELDS
from kb.services import sources
from kb.services.claims import issued_date

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.backends import Databases
    from tests.conftest import KB

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

words = st.text(alphabet="abc xyz\t", min_size=1, max_size=20).filter(lambda t: t.strip())
padded = st.one_of(st.none(), st.text(alphabet="ab \n", max_size=8))
dates = st.one_of(st.none(), st.sampled_from(["2025", "2025-06", "2024-02-29", ""]))
places = st.lists(st.sampled_from(["China", "U.S.", "PRC", "Global South", "uk"]), max_size=3)
themes = st.lists(st.sampled_from(["Hardware / Chips", "energy/grid", "hardware"]), max_size=2)
actors = st.lists(st.sampled_from(["Nvidia", " Huawei ", "nvidia"]), max_size=2)
SOURCE: dict[str, Any] = {
          "key": "iea2025electricity", "title": "  Electricity 2025 ", "type": "report",
          "authors": ["{International Energy Agency}", "Birol, Fatih"], "date": "2025-02",
          "url": "https://www.iea.org/reports/electricity-2025", "doi": "10.1000/IEA.2025"}
optional = st.one_of(st.none(), st.text(alphabet="ab \t", min_size=1, max_size=6)
                     .filter(lambda t: t.strip()))
source_records = st.fixed_dictionaries({
    "title": words,
    "authors": st.lists(st.sampled_from(["{NPR}", "Birol, Fatih", "Ada  Lovelace",
                                         "van Dijk, Jan"]), max_size=3),
    # EDTF: a BCE year, a range, an uncertain year, a season (claims take none of them).
    "date": st.one_of(st.none(), st.sampled_from(["2025", "2025-02", "2024-02-29", "-0333",
                                                  "2014-12-31/2015-01-01", "1850~", "1985-21"])),
    "url": st.one_of(st.none(), st.sampled_from(["https://Example.org:443/a/", "http://x.org"])),
    "doi": st.one_of(st.none(), st.sampled_from(["10.1000/ABC", "https://doi.org/10.1000/xyz"])),
    "container": optional, "publisher": optional, "note": optional,
    "language": st.one_of(optional, st.sampled_from(["english", " American ", "zh-cn"])),
    "accessed": st.one_of(st.none(), st.sampled_from(["2026-01-05", "2026-01~"])),
    "type": st.sampled_from(["report", "article-newspaper", "webpage"]),
    "extra": st.one_of(st.none(), st.sampled_from([{"volume": "12", "page": "10-20"},
                                                   {"ISSN": "1234-5678"}])),
})


@pytest.fixture
def new_seeded(databases: Databases, seeded_url: str) -> Any:
    from tests.conftest import KB

    return lambda: KB(databases.new(seeded_url))


def source_args(record: dict[str, Any]) -> list[str]:
    args = ["source", "add"]
    for name, value in record.items():
        if name == "authors":
            for author in value:
                args += ["--author", author]
        elif name == "extra":
            for variable, text in (value or {}).items():
                args += ["--field", f"{variable}={text}"]
        elif value is not None:
            args += [f"--{name}", value]
    return args


def claim_args(claim: dict[str, Any]) -> list[str]:
    args = ["--text", claim["text"]]
    for name in ("quote", "locator", "date"):
        if claim.get(name) is not None:
            args += [f"--{name}", claim[name]]
    for name, option in (("countries", "--country"), ("themes", "--theme"),
                         ("actors", "--actor")):
        for value in claim.get(name, []):
            args += [option, value]
    return args


def import_lines(kb: KB, tmp_path: Path, lines: list[dict[str, Any]], name: str = "in.jsonl"
                 ) -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = kb("import", str(path))
    assert result.exit_code == 0, result.output
    return result.stderr


def seen(kb: KB, claim_id: str) -> dict[str, Any]:
    """What a researcher sees of a claim: its fields, evidence and history (no clock times)."""
    shown = json.loads(kb.ok("claim", "show", claim_id, "--format", "json"))
    for name in ("id", "created", "updated"):
        shown.pop(name)
    for link in shown["evidence"]:
        link.pop("id")
    history = json.loads(kb.ok("claim", "history", claim_id, "--format", "json"))
    for revision in history:
        revision.pop("at")
    return {"claim": shown, "history": history}


def source_seen(kb: KB, key: str) -> dict[str, Any]:
    """What a researcher sees of a source: its fields, claims and history (no clock times)."""
    shown: dict[str, Any] = json.loads(kb.ok("source", "show", key, "--format", "json"))
    for claim in shown["claims"]:
        for name in ("created", "updated"):
            claim.pop(name)
    history = kb.ok("source", "history", key).splitlines()
    assert history[0].split()[1:] == ["create", "by", sources.actor()], history
    shown["history"] = [line.split(maxsplit=1)[1] if not line.startswith(" ") else line
                        for line in history]
    return shown


@SETTINGS
@given(text=words, quote=padded, locator=padded, date=dates, countries=places, themes=themes,
       actors=actors, evidence_quote=padded, source=source_records)
def test_an_imported_claim_is_the_claim_claim_add_makes(
        new_seeded: Any, tmp_path: Path, text: str, quote: str | None, locator: str | None,
        date: str | None, countries: list[str], themes: list[str], actors: list[str],
        evidence_quote: str | None, source: dict[str, Any]) -> None:
    claim = {"text": text, "quote": quote, "locator": locator, "date": date,
             "countries": countries, "themes": themes, "actors": actors}
    by_hand, by_file = new_seeded(), new_seeded()
    source = {"key": SOURCE["key"], **source}

    by_hand.ok(*source_args(source))
    first = by_hand.ok("claim", "add", "--source", SOURCE["key"], *claim_args(claim)).strip()
    second = by_hand.ok("claim", "add", "--source", "npr2026china", "--text", "Other").strip()
    link_args = ["--quote", evidence_quote] if evidence_quote is not None else []
    by_hand.ok("evidence", "add", first, "--refutes", "--claim", second, *link_args)
    by_hand.ok("evidence", "add", first, "--supports", "--source", "npr2026china",
               "--locator", " p. 2 ")

    import_lines(by_file, tmp_path, [
        {"id": 1, "source_record": {k: v for k, v in source.items() if v is not None},
         **claim, "evidence": [
            {"relation": "refutes", "claim": 2, "quote": evidence_quote},
            {"relation": "supports", "source": "npr2026china", "locator": " p. 2 "}]},
        {"id": 2, "source": "npr2026china", "text": "Other"}])

    assert seen(by_file, first) == seen(by_hand, first)
    assert seen(by_file, second) == seen(by_hand, second)
    assert source_seen(by_file, SOURCE["key"]) == source_seen(by_hand, SOURCE["key"])
    for kb in (by_hand, by_file):  # one later edit shows that edit and nothing else
        kb.ok("claim", "edit", first, "--locator", "para. 9", "--country", "Japan")
    assert seen(by_file, first) == seen(by_hand, first)
    (_, edit) = seen(by_file, first)["history"]
    assert set(edit["changes"]) <= {"locator", "countries", "regions"}


def test_an_imported_claim_takes_its_source_date_and_a_stripped_quote(seeded: KB,
                                                                      tmp_path: Path) -> None:
    import_lines(seeded, tmp_path, [{"source": "npr2026china", "text": "No date given",
                                     "quote": "  padded quote  "}])
    (claim,) = json.loads(seeded.ok("claim", "list", "--search", "given", "--format", "json"))
    assert (claim["date"], claim["quote"]) == ("2026-02-17", "padded quote")


def test_a_source_date_richer_than_a_claim_date_leaves_the_claim_undated() -> None:
    assert str(issued_date("2025-07")) == "2025-07"
    for edtf in ("2014-12-31/2015-01-01", "-0333", "1850~", "1985-21", "13th cent"):
        assert issued_date(edtf) is None


def test_a_creation_stores_no_history_row(kb: KB, tmp_path: Path) -> None:
    kb.ok("source", "add", "--key", "s", "--title", "S")
    kb.ok("claim", "add", "--source", "s", "--text", "by hand")
    import_lines(kb, tmp_path, [{"source": "s", "text": "from a file"}])
    assert "claim_revision:" not in kb.dump()
    history = json.loads(kb.ok("claim", "history", "2", "--format", "json"))
    assert [(h["action"], h["claim"]["text"]) for h in history] == [("created", "from a file")]


# The JSON Lines contract ----------------------------------------------------------------------


def test_inline_sources_are_created_once_and_reused(seeded: KB, tmp_path: Path) -> None:
    inline = {"key": "new2025", "title": "A new report", "doi": "10.5555/new"}
    same_work = {"key": "other-key", "title": "A new report", "doi": "https://doi.org/10.5555/NEW"}
    here = {"key": "npr2026china", "title": "Whatever the line says"}
    stderr = import_lines(seeded, tmp_path, [
        {"source_record": inline, "text": "first"},
        {"source_record": inline, "text": "second"},
        {"source_record": same_work, "text": "third"},
        {"source_record": here, "text": "fourth"},
        {"source": "new2025", "text": "fifth"}])
    assert stderr == "imported 5 claim(s), 1 source(s), 0 evidence link(s)\n"
    report = json.loads(seeded.ok("source", "show", "new2025", "--format", "json"))
    assert [c["text"] for c in report["claims"]] == ["first", "second", "third", "fifth"]
    china = json.loads(seeded.ok("source", "show", "npr2026china", "--format", "json"))
    assert china["title"] != "Whatever the line says" and china["claims"][-1]["text"] == "fourth"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("claims.csv", "source,text,country\nnpr2026china,Chips,China\n",
     "Error: line 1: unknown column 'country' (did you mean 'countries'?); nothing was imported"),
    ("claims.jsonl", '{"source": "npr2026china", "text": "Chips", "country": ["China"]}\n',
     "Error: line 1: unknown key 'country' (did you mean 'countries'?); nothing was imported"),
    ("claims.jsonl", '{"source": "npr2026china", "text": "ok"}\n'
     '{"source": "npr2026china", "text": "Chips", "evidence": [{"relation": "supports", '
     '"source": "npr2026china", "qoute": "x"}]}\n',
     "Error: line 2: unknown evidence key 'qoute' (did you mean 'quote'?); nothing was imported"),
    ("claims.jsonl", '{"text": "Chips", "source_record": {"key": "k", "title": "T", '
     '"autors": ["A"]}}\n',
     "Error: line 1: source_record: unknown key 'autors' (did you mean 'authors'?); "
     "nothing was imported"),
    ("claims.jsonl", '{"source": "ainews2026great", "text": "Chips", "source_record": '
     '{"key": "npr2026china", "title": "T"}}\n',
     "Error: line 1: invalid source 'ainews2026great': names another source than its "
     "source_record ('npr2026china'); nothing was imported"),
    ("claims.jsonl", '{"text": "Chips"}\n',
     "Error: line 1: invalid source None: every claim needs the key of an existing source or "
     "its source_record; nothing was imported"),
    ("claims.jsonl", '{"id": 1, "source": "npr2026china", "text": "a"}\n'
     '{"id": 2, "source": "npr2026china", "text": "b", "evidence": [{"relation": "refutes", '
     '"claim": 1}, {"relation": "refutes", "claim": 1}]}\n',
     "Error: line 2: claim 1 refutes this claim twice; nothing was imported"),
])
def test_a_file_kb_cannot_read_whole_is_refused_naming_why(seeded: KB, tmp_path: Path,
                                                           name: str, content: str,
                                                           message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    before = seeded.dump()
    result = seeded("import", str(path))
    assert (result.exit_code, result.stderr) == (1, message + "\n")
    assert seeded.dump() == before


def test_a_filtered_export_imports_back_with_the_claims_its_evidence_cites(
        seeded: KB, tmp_path: Path, new_kb: Callable[[], KB]) -> None:
    seeded.ok("evidence", "add", "14", "--refutes", "--source", "ainews2026great")
    seeded.ok("evidence", "add", "14", "--supports", "--claim", "2")
    seeded.ok("evidence", "add", "2", "--supports", "--claim", "3")
    out = tmp_path / "contested.jsonl"
    seeded.ok("export", "claims", "--status", "contested", "--format", "jsonl", "-o", str(out))
    empty = new_kb()
    result = empty("import", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == "imported 4 claim(s), 2 source(s), 4 evidence link(s)"
    (contested,) = json.loads(empty.ok("claim", "list", "--status", "contested", "--format",
                                       "json"))
    original = json.loads(seeded.ok("claim", "show", "14", "--format", "json"))
    assert contested["text"] == original["text"]
    listed = {c["text"]: c["status"] for c in json.loads(empty.ok("claim", "list", "--format",
                                                                  "json"))}
    shown = {c["text"]: c["status"] for c in json.loads(seeded.ok("claim", "list", "--format",
                                                                  "json"))}
    assert listed == {text: shown[text] for text in listed}


# CSV: one set of columns ----------------------------------------------------------------------


def test_csv_has_the_claim_columns_whatever_the_rows(seeded: KB) -> None:
    header = ",".join(CLAIM_FIELDS)
    assert seeded.ok("claim", "list", "--search", "nothingmatches", "--format", "csv") == \
        header + "\n"
    assert seeded.ok("claim", "list", "--limit", "1", "--format", "csv").splitlines()[0] == header
    assert seeded.ok("export", "claims", "--format", "csv").splitlines()[0] == header


def test_csv_export_imports_back(seeded: KB, tmp_path: Path, new_kb: Callable[[], KB]) -> None:
    out = tmp_path / "claims.csv"
    seeded.ok("export", "claims", "--format", "csv", "-o", str(out))
    target = new_kb()
    target.ok("seed")
    before = json.loads(target.ok("claim", "list", "--format", "json"))
    target.ok("import", str(out))
    after = json.loads(target.ok("claim", "list", "--format", "json"))
    added = [c for c in after if c["id"] > max(b["id"] for b in before)]
    fields = ("source", "text", "quote", "locator", "date", "countries", "regions", "themes",
              "actors")
    assert sorted(tuple(map(str, (c[f] for f in fields))) for c in added) == \
        sorted(tuple(map(str, (c[f] for f in fields))) for c in before)


# Evidence and removals --------------------------------------------------------------------------


def test_the_same_evidence_link_cannot_be_added_twice(seeded: KB) -> None:
    link = seeded.ok("evidence", "add", "20", "--refutes", "--claim", "21").strip()
    before = seeded.dump()
    result = seeded("evidence", "add", "20", "--refutes", "--claim", "21")
    assert (result.exit_code, result.stderr) == (
        1, f"Error: claim 21 already refutes claim 20 (evidence {link})\n")
    result = seeded("evidence", "add", "1", "--supports", "--source", "npr2026china")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: source 'npr2026china' already supports claim 1 "
                                    "(evidence ")
    assert seeded.dump() == before
    seeded.ok("evidence", "add", "20", "--supports", "--claim", "21")  # another relation


def test_removing_a_source_names_each_standing_it_changes(seeded: KB) -> None:
    seeded.ok("source", "add", "--key", "doomed", "--title", "Doomed")
    doomed = seeded.ok("claim", "add", "--source", "doomed", "--text", "Soon gone").strip()
    seeded.ok("evidence", "add", "5", "--refutes", "--claim", doomed)
    seeded.ok("evidence", "add", "5", "--supports", "--source", "ainews2026great")
    seeded.ok("evidence", "add", "6", "--refutes", "--source", "doomed")
    result = seeded("source", "rm", "doomed", "--force")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "standing of claim 5: contested -> supported (source 'doomed' was removed)\n"
        "standing of claim 6: refuted -> unverified (source 'doomed' was removed)\n"
        "removed doomed and 1 claim(s)\n")
    history = json.loads(seeded.ok("claim", "history", "6", "--format", "json"))
    assert history[-1]["action"] == "standing"
    assert history[-1]["changes"] == {"status": {"from": "refuted", "to": "unverified"}}
    assert "because source 'doomed' was removed" in seeded.ok("claim", "history", "6")
    assert seeded("claim", "show", doomed).exit_code == 1


def test_removing_a_source_deletes_in_a_constant_number_of_statements(seeded: KB) -> None:
    from sqlalchemy import event

    from kb.db import Database
    from kb.services import sources

    for n in range(30):
        seeded.ok("claim", "add", "--source", "npr2026china", "--text", f"claim {n}")
    database = Database(seeded.url)
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    with database.write() as session:
        removal = sources.remove(session, "npr2026china", force=True)
    database.dispose()
    assert removal.claims == 31
    # 14, plus the source's own history row, plus 3 for the change log whatever the number of
    # claims (the removed evidence logged with one INSERT ... SELECT, the claims read once and
    # logged in one executemany).
    # PostgreSQL's writers also bound their wait for the write lock: 3 more, as constant.
    assert len(statements) < 22, statements


# History storage: migration 0005 both ways ------------------------------------------------------

T0, T1, T2 = "2024-05-01 10:00:00", "2024-06-01 09:00:00", "2024-07-01 08:00:00"
STATE = {"source": "old2024", "text": "Chips are scarce", "quote": "chips are scarce",
         "locator": "p. 3", "date": "2024", "countries": ["CN"], "regions": [],
         "themes": ["hardware/chips"], "actors": []}
# Claim id: its revisions as 0002-0004 stored them (the full state after each change).
LEGACY: dict[int, list[tuple[str, str, dict[str, Any]]]] = {
    1: [("created", T0, {**STATE, "text": "Chips are short", "locator": None}),
        ("edited", T1, {**STATE, "locator": None}), ("edited", T2, STATE)],
    2: [("created", T0, STATE)],
    3: [("created", T1, STATE)],  # a creation logged at another time than the claim's
}


def visible_before_0005(rows: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """`kb claim history` as kb computed it from full snapshots (0002-0004)."""
    import datetime as dt

    out: list[dict[str, Any]] = []
    previous: dict[str, Any] = {}
    for number, (action, at, snapshot) in enumerate(rows, start=1):
        state = json.loads(snapshot)
        changes = {k: {"from": previous.get(k), "to": v} for k, v in state.items()
                   if previous.get(k) != v} if previous else {}
        out.append({"revision": number, "action": action,
                    "at": dt.datetime.fromisoformat(str(at)).isoformat(),
                    "by": None,  # no one was recorded before migration 0008
                    "changes": changes, "claim": state})
        previous = state
    return out


def stored_snapshots(url: str) -> dict[int, list[tuple[str, str, str]]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    found: dict[int, list[tuple[str, str, str]]] = {}
    with engine.connect() as conn:
        for claim_id, action, at, snapshot in conn.execute(text(
                "SELECT claim_id, action, changed_at, snapshot FROM claim_revision "
                "ORDER BY claim_id, id")):
            found.setdefault(claim_id, []).append((action, at, snapshot))
    engine.dispose()
    return found


def test_history_survives_migration_0005_up_and_down(empty_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from kb.db import alembic_config
    from tests.conftest import KB

    config = alembic_config(empty_url)
    command.upgrade(config, "0004")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO source (key, type, title, issued, created_at, updated_at)"
                          " VALUES ('old2024', 'report', 'Old', '2024', :t, :t)"), {"t": T0})
        conn.execute(text("INSERT INTO country VALUES ('CN', 'China')"))
        conn.execute(text("INSERT INTO theme (path) VALUES ('hardware/chips')"))
        for claim_id, revisions in LEGACY.items():
            conn.execute(text(
                "INSERT INTO claim (id, source_id, text, quote, locator, date, date_start, "
                "date_end, created_at, updated_at) VALUES (:id, 1, :text, :quote, :locator, "
                "'2024', '2024-01-01', '2024-12-31', :t, :t)"), {**STATE, "id": claim_id, "t": T0})
            conn.execute(text("INSERT INTO claim_country VALUES ('CN', :id)"), {"id": claim_id})
            conn.execute(text("INSERT INTO claim_theme (theme_id, claim_id) VALUES (1, :id)"),
                         {"id": claim_id})
            for action, at, state in revisions:
                conn.execute(text("INSERT INTO claim_revision (claim_id, action, changed_at, "
                                  "snapshot) VALUES (:id, :action, :at, :snapshot)"),
                             {"id": claim_id, "action": action, "at": at,
                              "snapshot": json.dumps(state)})
    engine.dispose()
    legacy = stored_snapshots(empty_url)
    expected = {claim_id: visible_before_0005(rows) for claim_id, rows in legacy.items()}

    command.upgrade(config, "0005")
    kb = KB(empty_url)
    for claim_id, history in expected.items():
        assert json.loads(kb.ok("claim", "history", str(claim_id), "--format", "json")) == \
            history
    engine = create_engine(empty_url)
    with engine.connect() as conn:  # claim 2's creation says nothing its row does not
        stored = conn.execute(text("SELECT claim_id, action FROM claim_revision "
                                   "ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in stored] == [(1, "edited"), (1, "edited"), (3, "created")]

    kb.ok("claim", "edit", "2", "--locator", "p. 4")  # a new-style edit, then back down
    # Going down through 0008 forgets who made each change (it was not recorded before it).
    expected[2] = [{**h, "by": None} for h in json.loads(
        kb.ok("claim", "history", "2", "--format", "json"))]
    command.downgrade(config, "0004")
    assert {claim_id: visible_before_0005(rows)
            for claim_id, rows in stored_snapshots(empty_url).items()} == expected
    command.upgrade(config, "0005")
    for claim_id, history in expected.items():
        assert json.loads(kb.ok("claim", "history", str(claim_id), "--format", "json")) == \
            history


def test_removing_a_claim_names_the_standing_it_changes(seeded: KB) -> None:
    before = json.loads(seeded.ok("claim", "show", "14", "--format", "json"))
    assert [(e["relation"], e["claim"]) for e in before["evidence"]] == [("supports", 15)]
    result = seeded("claim", "rm", "15", "--force")
    assert result.exit_code == 0, result.output
    assert result.stderr == ("standing of claim 14: supported -> unverified (claim 15 was "
                             "removed)\nremoved claim 15\n")
    history = json.loads(seeded.ok("claim", "history", "14", "--format", "json"))
    assert [h["action"] for h in history] == ["created", "standing"]


def test_jsonl_round_trip_keeps_every_csl_variable_of_a_source(kb: KB, tmp_path: Path,
                                                              new_kb: Callable[[], KB]) -> None:
    kb.ok("source", "add", "--title", "Chips and power", "--key", "doe2025chips", "--date",
          "2025", "--field", "volume=12", "--field", "page=10-20", "--field", "ISSN=1234-5678")
    kb.ok("claim", "add", "--source", "doe2025chips", "--text", "Chips need power")
    out = tmp_path / "all.jsonl"
    kb.ok("export", "claims", "--format", "jsonl", "-o", str(out))
    empty = new_kb()
    empty.ok("import", str(out))
    shown = json.loads(empty.ok("source", "show", "doe2025chips", "--format", "json"))
    assert shown["extra"] == {"volume": "12", "page": "10-20", "ISSN": "1234-5678"}
