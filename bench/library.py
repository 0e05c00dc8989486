"""A researcher's library imported: kb beside the parse-and-insert floor, entries per second.

    python bench/library.py                  # 1,000 and 5,000 entries, BibTeX, CSL-JSON, RIS
    python bench/library.py --sizes 5000 --formats bibtex

Each library is generated (articles, proceedings, reports, books; non-ASCII and institutional
authors, LaTeX accents and macros; DOIs, URLs, volumes, pages), and each run imports it into a
fresh store copied from a migrated template, parsing and decoding included, in one
transaction, as `kb import FILE` does. The floor is bibtexparser's parse plus a plain sqlite3
`executemany` of the raw fields (no decoding, no duplicate checks, no authors table).

The machine these run on is shared, so each row gives CPU time (time.process_time) beside
wall time, and the ratio to the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

FAMILIES = ["Müller", "Đorđević", "Østergaard", "Nuñez", "Zhang", "Smith", "O'Neil",
            "van der Berg", "Łukasiewicz", "Çelik", "Johnson", "Sato", "Dubois", "Kowalski"]
GIVEN = ["Anna", "José", "Zoë", "Hans-Peter", "Li", "Mary Ann", "Søren", "Étienne", "A. B."]
# The same names as a .bib file often writes them: LaTeX accents.
LATEX = {"Müller": r"M{\"u}ller", "Đorđević": r"{\DJ}or{\dj}evi{\'c}",
         "Østergaard": r"{\O}stergaard", "Nuñez": r"Nu\~{n}ez", "Łukasiewicz": r"{\L}ukasiewicz",
         "Çelik": r"\c{C}elik", "José": r"Jos\'e", "Zoë": r"Zo\"{e}", "Søren": r"S{\o}ren",
         "Étienne": r"\'Etienne"}
INSTITUTIONS = ["International Energy Agency", "World Bank", "OECD", "RAND Corporation",
                "Bundesamt für Sicherheit in der Informationstechnik"]
WORDS = ("chips grid power nuclear export controls model frontier open weights adoption "
         "industry cost efficiency inference training compute subsidy tariff semiconductor "
         "lithography latency capital labour productivity growth risk safety alignment "
         "regulation standard treaty alliance supply chain").split()
KINDS = ["article", "inproceedings", "report", "book"]


def _title(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(4, 9))
    title = " ".join(words).capitalize()
    if rng.random() < 0.3:
        title = "{" + title.split()[0].upper() + "} " + " ".join(title.split()[1:])
    if rng.random() < 0.2:
        title += r" --- the \emph{" + rng.choice(WORDS) + "} case"
    return title


def _person(rng: random.Random, latex: bool) -> tuple[str, str]:
    family, given = rng.choice(FAMILIES), rng.choice(GIVEN)
    if latex:
        family, given = LATEX.get(family, family), LATEX.get(given, given)
    return family, given


def works(size: int, seed: int = 12) -> list[dict[str, object]]:
    """The library as plain records, which each format writes its own way."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for number in range(size):
        kind = KINDS[number % len(KINDS)]
        people = [_person(rng, latex=False) for _ in range(rng.randint(1, 4))]
        institutional = kind == "report" and rng.random() < 0.5
        out.append({
            "key": f"w{number}", "kind": kind, "title": _title(rng), "people": people,
            "institution": rng.choice(INSTITUTIONS) if institutional or kind == "report"
            else None, "institutional": institutional,
            "year": rng.randint(1950, 2026), "month": rng.randint(1, 12),
            "container": "Journal of " + rng.choice(WORDS).capitalize() if kind == "article"
            else "Proceedings of " + rng.choice(WORDS).capitalize() if kind == "inproceedings"
            else None,
            "publisher": "Springer" if kind in ("book", "inproceedings") else None,
            "doi": f"10.{1000 + number % 50}/bench.{number}" if rng.random() < 0.7 else None,
            "url": f"https://example.org/works/{number}" if rng.random() < 0.6 else None,
            "volume": str(rng.randint(1, 80)), "pages": f"{rng.randint(1, 300)}--"
            f"{rng.randint(301, 600)}", "seed": rng.random(),
        })
    return out


def to_bibtex(records: list[dict[str, object]]) -> str:
    rng = random.Random(7)
    chunks = []
    for r in records:
        people = r["people"]
        assert isinstance(people, list)
        if r["institutional"]:
            author = "{" + str(r["institution"]) + "}"
        else:
            author = " and ".join(
                f"{LATEX.get(f, f) if rng.random() < 0.5 else f}, "
                f"{LATEX.get(g, g) if rng.random() < 0.5 else g}" for f, g in people)
        fields = {"author": author, "title": r["title"], "year": r["year"],
                  "month": ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                            "oct", "nov", "dec"][int(str(r["month"])) - 1],
                  "volume": r["volume"], "pages": r["pages"], "doi": r["doi"], "url": r["url"]}
        kind = str(r["kind"])
        if kind == "article":
            fields["journal"] = r["container"]
        elif kind == "inproceedings":
            fields["booktitle"] = r["container"]
            fields["publisher"] = r["publisher"]
        elif kind == "report":
            fields["institution"] = r["institution"]
        else:
            fields["publisher"] = r["publisher"]
            fields["address"] = "Berlin"
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v is not None)
        entry = "techreport" if kind == "report" else kind
        chunks.append(f"@{entry}{{{r['key']},\n{body}\n}}\n")
    return "\n".join(chunks)


def _plain(text: str) -> str:
    import re

    text = text.replace("---", "—").replace(r"\emph{", "").replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text)


def to_csl_json(records: list[dict[str, object]]) -> str:
    types = {"article": "article-journal", "inproceedings": "paper-conference",
             "report": "report", "book": "book"}
    items = []
    for r in records:
        people = r["people"]
        assert isinstance(people, list)
        item: dict[str, object] = {
            "id": r["key"], "type": types[str(r["kind"])], "title": _plain(str(r["title"])),
            "author": [{"literal": r["institution"]}] if r["institutional"] else
            [{"family": f, "given": g} for f, g in people],
            "issued": {"date-parts": [[r["year"], r["month"]]]},
            "volume": r["volume"], "page": str(r["pages"]).replace("--", "-")}
        for name, value in (("container-title", r["container"]),
                            ("publisher", r["publisher"] or r["institution"]),
                            ("DOI", r["doi"]), ("URL", r["url"])):
            if value:
                item[name] = value
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)


def to_ris(records: list[dict[str, object]]) -> str:
    types = {"article": "JOUR", "inproceedings": "CPAPER", "report": "RPRT", "book": "BOOK"}
    lines = []
    for r in records:
        people = r["people"]
        assert isinstance(people, list)
        lines.append(f"TY  - {types[str(r['kind'])]}")
        lines.append(f"ID  - {r['key']}")
        lines.append(f"TI  - {_plain(str(r['title']))}")
        if r["institutional"]:
            lines.append(f"AU  - {r['institution']}")
        else:
            lines += [f"AU  - {f}, {g}" for f, g in people]
        lines.append(f"PY  - {r['year']}/{int(str(r['month'])):02d}//")
        if r["container"]:
            lines.append(f"T2  - {r['container']}")
        if r["publisher"] or r["institution"]:
            lines.append(f"PB  - {r['publisher'] or r['institution']}")
        lines.append(f"VL  - {r['volume']}")
        start, end = str(r["pages"]).split("--")
        lines += [f"SP  - {start}", f"EP  - {end}"]
        if r["doi"]:
            lines.append(f"DO  - {r['doi']}")
        if r["url"]:
            lines.append(f"UR  - {r['url']}")
        lines.append("ER  - ")
        lines.append("")
    return "\n".join(lines)


WRITERS = {"bibtex": (to_bibtex, ".bib"), "csl-json": (to_csl_json, ".json"),
           "ris": (to_ris, ".ris")}


def kb_import(path: Path, fmt: str, db: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of `kb import` in this process (parse, decode, check, insert)."""
    from kb.db import Database
    from kb.services import citations

    database = Database(f"sqlite:///{db}")
    wall, cpu = time.perf_counter(), time.process_time()
    loaded = citations.parse(path.read_bytes(), fmt, str(path))
    with database.write() as session:
        report = citations.import_references(session, loaded)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    database.dispose()
    return wall, cpu, len(report.added)


def floor_import(path: Path, db: Path) -> tuple[float, float, int]:
    """bibtexparser's parse and a plain sqlite3 insert of the raw fields."""
    import bibtexparser

    wall, cpu = time.perf_counter(), time.process_time()
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE source (id INTEGER PRIMARY KEY, key TEXT UNIQUE, type TEXT, "
                 "title TEXT, author TEXT, container TEXT, year TEXT, doi TEXT, url TEXT)")
    with conn:
        conn.executemany(
            "INSERT INTO source (key, type, title, author, container, year, doi, url) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((e.key, e.entry_type, *(str(e.fields_dict[f].value) if f in e.fields_dict
                                     else None for f in ("title", "author", "journal", "year",
                                                         "doi", "url")))
             for e in library.entries))
    conn.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, len(library.entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--formats", nargs="+", default=list(WRITERS), choices=list(WRITERS))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from kb.db import Database
    from kb.formats import bibtex

    work = Path(tempfile.mkdtemp(prefix="kb-library-"))
    try:
        template = work / "template.sqlite3"
        database = Database(f"sqlite:///{template}")
        database.ensure_current()
        database.dispose()
        bibtex._converter()  # pylatexenc's tables once, as any long import pays them once
        print(f"{'size':>6} {'format':<9} {'what':<6} {'entries':>7} {'wall s':>7} "
              f"{'cpu s':>6} {'entries/s (wall)':>16} {'entries/s (cpu)':>15} {'cpu ratio':>9}")
        for size in args.sizes:
            records = works(size)
            floor_cpu = None
            for fmt in args.formats:
                write, suffix = WRITERS[fmt]
                path = work / f"library-{size}{suffix}"
                path.write_text(write(records), encoding="utf-8")
                rows: list[tuple[str, float, float, int]] = []
                if fmt == "bibtex":
                    wall, cpu, count = floor_import(path, work / f"floor-{size}.sqlite3")
                    floor_cpu = cpu
                    rows.append(("floor", wall, cpu, count))
                db = work / f"kb-{size}-{fmt}.sqlite3"
                shutil.copy(template, db)
                rows.append(("kb", *kb_import(path, fmt, db)))
                for what, wall, cpu, count in rows:
                    ratio = f"{floor_cpu / cpu:.2f}" if floor_cpu and what == "kb" else ""
                    print(f"{size:>6} {fmt:<9} {what:<6} {count:>7} {wall:>7.2f} {cpu:>6.2f} "
                          f"{count / wall:>16,.0f} {count / cpu:>15,.0f} {ratio:>9}",
                          flush=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (this process): {peak:.0f} MB")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
