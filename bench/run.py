"""kb's benchmark: each figure beside a baseline measured in the same run on the same rows.

    python bench/run.py                # 100k and 1M claims (about 10 minutes on 2 cores)
    python bench/run.py --sizes 100000 # one size

Prints a table per size and writes nothing else; copy the figures into bench/RESULTS.md.

Two corpora per size: kb's own JSON Lines shape (source lines, then claims with evidence),
and the shape scrapers write, each claim line carrying its source inline (`source_record`,
one source per 20 claims). The import floor is raw sqlite3 `executemany` of the inline file,
JSON parsing included, into a minimal schema (claim, source, claim_country, claim_theme,
theme, an FTS5 index over text and quote kept by a trigger).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from kb.services.query import ClaimFilter

COUNTRIES = ["US", "CN", "GB", "DE", "FR", "JP", "KR", "IN", "BR", "RU", "TW", "IL", "CA",
             "AU", "NL", "SG", "AE", "SA", "ZA", "NG", "KE", "EG", "MX", "AR", "ID", "VN",
             "TH", "MY", "PH", "PK", "BD", "TR", "IR", "UA", "PL", "SE", "FI", "NO", "DK",
             "ES", "IT", "CH", "AT", "BE", "IE", "NZ", "CL", "CO", "PE", "ET"]
TOP = ["hardware", "energy", "policy", "models", "economy", "security", "trade", "adoption",
       "ecosystem", "infrastructure"]
SUB = ["chips", "grid", "export-controls", "frontier", "costs", "military", "tariffs",
       "industry", "open", "data-centers"]
THEMES = [f"{t}/{s}" for t in TOP for s in SUB[:6]]
# Words the way prose uses them: a Zipf distribution over a 20,000-word vocabulary whose most
# frequent ranks are English function words, then the domain's terms, then invented words.
FUNCTION_WORDS = ("the of and to in a is that for on by with as are from it its at be this "
                  "will has have was not an or which their more than but they can would").split()
DOMAIN_WORDS = ("chips grid power nuclear export controls model frontier open weights adoption "
                "industry cost efficiency inference training compute subsidy tariff "
                "semiconductor lithography data centre latency capital labour productivity "
                "growth risk safety alignment regulation standard treaty alliance supply chain "
                "rare earths").split()


def vocabulary(size: int = 20_000, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    words = FUNCTION_WORDS + DOMAIN_WORDS
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou")
                       for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


WORDS = vocabulary()
ZIPF = list(itertools.accumulate(1 / rank for rank in range(1, len(WORDS) + 1)))
# What a researcher searches for: content words, common to rare (ranks 35 to 1,035).
SEARCHED = WORDS[len(FUNCTION_WORDS):len(FUNCTION_WORDS) + 1000]


def prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, cum_weights=ZIPF, k=words))


def generate(path: Path, claims: int, seed: int = 7) -> None:
    """A synthetic corpus in kb's JSON Lines shape: sources, then claims with evidence."""
    rng = random.Random(seed)
    n_sources = max(10, claims // 100)
    weights = [1 / (i + 1) for i in range(len(COUNTRIES))]  # a few countries dominate
    with path.open("w") as out:
        for s in range(n_sources):
            out.write(json.dumps({"source_record": {
                "key": f"src{s}", "title": f"Report {s} on {prose(rng, 6)}",
                "type": "report", "date": f"{rng.randint(2015, 2026)}"}}) + "\n")
        for i in range(1, claims + 1):
            year = rng.randint(2015, 2026)
            record = {
                "id": i, "source": f"src{rng.randrange(n_sources)}",
                "text": prose(rng, rng.randint(12, 30)),
                "quote": prose(rng, rng.randint(8, 25)),
                "locator": f"p. {rng.randint(1, 300)}",
                "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "countries": sorted(set(rng.choices(COUNTRIES, weights, k=rng.randint(1, 3)))),
                "themes": sorted(set(rng.choices(THEMES, k=rng.randint(1, 3)))),
            }
            if rng.random() < 0.5 and i > 1:
                relations = ["supports", "refutes", "qualifies"]
                # One claim in ten with evidence has a second link, the other way or a
                # qualification: ~1.7% of claims are contested, as in a real base.
                ways = rng.sample(relations, 2 if rng.random() < 0.1 else 1)
                record["evidence"] = [evidence_link(rng, way, i, n_sources) for way in ways]
            out.write(json.dumps(record) + "\n")


def evidence_link(rng: random.Random, relation: str, claim: int, n_sources: int
                  ) -> dict[str, object]:
    """Another claim (an earlier one) or a source, half and half."""
    if rng.random() < 0.5:
        return {"relation": relation, "claim": rng.randint(1, claim - 1)}
    return {"relation": relation, "source": f"src{rng.randrange(n_sources)}"}


def generate_inline(path: Path, claims: int, seed: int = 13) -> None:
    """Claims with their source inline, as a scraper writes them: one source per 20 claims."""
    rng = random.Random(seed)
    n_sources = max(10, claims // 20)
    titles = [f"Report {s} on {prose(rng, 6)}" for s in range(n_sources)]
    with path.open("w") as out:
        for _ in range(claims):
            s = rng.randrange(n_sources)
            year = rng.randint(2015, 2026)
            out.write(json.dumps({
                "source_record": {"key": f"src{s}", "title": titles[s], "type": "report",
                                  "date": f"{2015 + s % 12}"},
                "text": prose(rng, rng.randint(12, 30)),
                "quote": prose(rng, rng.randint(8, 25)),
                "locator": f"p. {rng.randint(1, 300)}",
                "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "countries": sorted(set(rng.choices(COUNTRIES, k=rng.randint(1, 3)))),
                "themes": sorted(set(rng.choices(THEMES, k=rng.randint(1, 3)))),
            }) + "\n")


FLOOR_SCHEMA = """
CREATE TABLE source (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, type TEXT NOT NULL,
                     title TEXT NOT NULL, issued TEXT);
CREATE TABLE claim (id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES source,
                    text TEXT NOT NULL, quote TEXT, locator TEXT, date TEXT);
CREATE INDEX ix_claim_source_id ON claim (source_id);
CREATE TABLE theme (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL);
CREATE TABLE claim_country (country TEXT NOT NULL, claim_id INTEGER NOT NULL REFERENCES claim,
                            PRIMARY KEY (country, claim_id)) WITHOUT ROWID;
CREATE TABLE claim_theme (theme_id INTEGER NOT NULL REFERENCES theme,
                          claim_id INTEGER NOT NULL REFERENCES claim,
                          PRIMARY KEY (theme_id, claim_id)) WITHOUT ROWID;
CREATE VIRTUAL TABLE claim_fts USING fts5(text, quote, content = 'claim', content_rowid = 'id');
CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN
    INSERT INTO claim_fts (rowid, text, quote) VALUES (new.id, new.text, new.quote);
END;
"""


def floor_import(corpus: Path, db: Path) -> float:
    """The floor for an inline-source import: raw sqlite3 executemany, JSON parsing
    included, into a minimal schema whose FTS5 index a trigger keeps."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(FLOOR_SCHEMA)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    source_ids: dict[str, int] = {}
    theme_ids: dict[str, int] = {}
    sources: list[tuple[int, str, str, str, str]] = []
    claims: list[tuple[int, int, str, str, str, str]] = []
    countries: list[tuple[str, int]] = []
    themes: list[tuple[int, int]] = []

    def flush() -> None:
        conn.executemany("INSERT INTO source VALUES (?, ?, ?, ?, ?)", sources)
        conn.executemany("INSERT INTO claim VALUES (?, ?, ?, ?, ?, ?)", claims)
        conn.executemany("INSERT INTO claim_country VALUES (?, ?)", countries)
        conn.executemany("INSERT INTO claim_theme VALUES (?, ?)", themes)
        for rows in (sources, claims, countries, themes):
            rows.clear()

    with corpus.open() as lines:
        for claim_id, line in enumerate(lines, start=1):
            record = json.loads(line)
            s = record["source_record"]
            source_id = source_ids.get(s["key"])
            if source_id is None:
                source_id = source_ids[s["key"]] = len(source_ids) + 1
                sources.append((source_id, s["key"], s["type"], s["title"], s["date"]))
            claims.append((claim_id, source_id, record["text"], record["quote"],
                           record["locator"], record["date"]))
            countries += [(c, claim_id) for c in record["countries"]]
            for path in record["themes"]:
                if path not in theme_ids:
                    theme_ids[path] = len(theme_ids) + 1
                    conn.execute("INSERT INTO theme VALUES (?, ?)", (theme_ids[path], path))
                themes.append((theme_ids[path], claim_id))
            if len(claims) >= 5000:
                flush()
    flush()
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - start


def table_sizes(db: Path) -> tuple[int, list[tuple[str, int]]]:
    """Bytes in use (dbstat: b-tree pages, free pages left out) and the biggest tables, each
    with its indexes and, for the FTS5 index, its shadow tables."""
    conn = sqlite3.connect(db)
    owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master"))
    sizes: dict[str, int] = {}
    for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        table = owner.get(name, name)
        if table.startswith("claim_fts_"):
            table = "claim_fts (index)"
        sizes[table] = sizes.get(table, 0) + size
    conn.close()
    return sum(sizes.values()), sorted(sizes.items(), key=lambda item: -item[1])


def kb(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb", "--db", str(db), *args],
                          capture_output=True, text=True, check=True)


def timed(command: list[str], runs: int = 10) -> float:
    """Median wall time of a whole process, in seconds, after one warm-up run.

    With bytecode caching on, as in a researcher's install: where PYTHONDONTWRITEBYTECODE is
    set (this machine sets it), every kb module would be compiled from source in every run
    while the baselines' libraries load from their installed .pyc files."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, capture_output=True, check=True, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def baseline_import(corpus: Path, db: Path) -> float:
    """Raw sqlite3 executemany of the same rows into the same schema (the floor)."""
    start = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    source_ids: dict[str, int] = {}
    theme_ids: dict[str, int] = {}
    now = "2026-01-01 00:00:00"
    claims, countries, themes, evidence = [], [], [], []

    def flush() -> None:
        conn.executemany("INSERT INTO claim (id, source_id, text, quote, locator, date, "
                         "date_start, date_end, created_at, updated_at) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", claims)
        conn.executemany("INSERT INTO claim_country VALUES (?, ?)", countries)
        conn.executemany("INSERT INTO claim_theme (theme_id, claim_id, date_start) "
                         "VALUES (?, ?, ?)", themes)
        for rows in (claims, countries, themes):
            rows.clear()

    for code in COUNTRIES:
        conn.execute("INSERT OR IGNORE INTO country VALUES (?, ?)", (code, code))
    with corpus.open() as lines:
        for line in lines:
            record = json.loads(line)
            if "source_record" in record:
                s = record["source_record"]
                cursor = conn.execute("INSERT INTO source (key, type, title, issued, created_at,"
                                      " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                                      (s["key"], s["type"], s["title"], s["date"], now, now))
                source_ids[s["key"]] = cursor.lastrowid  # type: ignore[assignment]
                continue
            claim_id = record["id"]
            claims.append((claim_id, source_ids[record["source"]], record["text"],
                           record["quote"], record["locator"], record["date"], record["date"],
                           record["date"], now, now))
            countries += [(c, claim_id) for c in record["countries"]]
            for path in record["themes"]:
                if path not in theme_ids:
                    theme_ids[path] = conn.execute("INSERT INTO theme (path) VALUES (?)",
                                                   (path,)).lastrowid  # type: ignore[assignment]
                themes.append((theme_ids[path], claim_id, record["date"]))
            for link in record.get("evidence", []):
                evidence.append((claim_id, link["relation"], source_ids.get(link.get("source")),
                                 link.get("claim"), now))
            if len(claims) >= 5000:
                flush()
    flush()
    conn.executemany("INSERT INTO evidence (claim_id, relation, source_id, evidence_claim_id, "
                     "created_at) VALUES (?, ?, ?, ?, ?)", evidence)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - start


# Two-word searches, every match ranked: two of the 20 most frequent content words (each in
# ~3-10% of claims), two of ranks 500-1,000 (rare), and the worst case: two English function
# words (each in most claims).
SEARCHES = {"common": SEARCHED[:20], "rare": SEARCHED[500:1000],
            "function words": FUNCTION_WORDS[:10]}


def make_search(words: list[str]) -> Callable[[], ClaimFilter]:
    from kb.services.query import ClaimFilter

    rng = random.Random(5)
    return lambda: ClaimFilter(search=" ".join(rng.sample(words, 2)), limit=50)


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def query_latencies(db: Path, claims: int, rounds: int = 60
                    ) -> dict[str, tuple[float, float, float, float]]:
    """Median and p95 (ms) of the service-layer queries a researcher runs most: wall time,
    then this thread's CPU time (steadier than wall time on a machine others share)."""
    from kb.db import Database
    from kb.services.query import ClaimFilter, query_claims

    rng = random.Random(3)
    database = Database(f"sqlite:///{db}")
    cases = {
        "country": lambda: ClaimFilter(countries=[rng.choice(COUNTRIES[:10])], limit=50),
        "theme": lambda: ClaimFilter(themes=[rng.choice(TOP)], limit=50),
        "country+theme+dates": lambda: ClaimFilter(
            countries=[rng.choice(COUNTRIES[:10])], themes=[rng.choice(THEMES)],
            since=f"{rng.randint(2016, 2024)}", until=f"{rng.randint(2024, 2026)}", limit=50),
        "source": lambda: ClaimFilter(
            source=f"src{rng.randrange(min(1000, max(10, claims // 100)))}", limit=50),
        "full text": lambda: ClaimFilter(search=" ".join(rng.sample(SEARCHED, 2)), limit=50),
        "full text + country": lambda: ClaimFilter(
            search=" ".join(rng.sample(SEARCHED, 2)), countries=[rng.choice(COUNTRIES[:10])],
            limit=50),
        "first 50 (all)": lambda: ClaimFilter(limit=50),
    }
    cases.update({f"search {name} (best 50 of every match)": make_search(words)
                  for name, words in SEARCHES.items()})
    results = {}
    with database.read() as session:
        for name, make in cases.items():
            query_claims(session, make())  # warm the cache
            samples, cpu = [], []
            for _ in range(rounds // 3 if "function words" in name else rounds):
                where = make()
                start, start_cpu = time.perf_counter(), time.thread_time()
                query_claims(session, where)
                samples.append((time.perf_counter() - start) * 1000)
                cpu.append((time.thread_time() - start_cpu) * 1000)
            results[name] = (*percentiles(samples), *percentiles(cpu))
    database.dispose()
    return results


def print_latencies(latencies: dict[str, tuple[float, float, float, float]], size: int
                    ) -> None:
    for name, (p50, p95, cpu50, cpu95) in latencies.items():
        target = "<= 5 / 20 ms"
        if name.startswith("search"):
            target = "p95 <= 20 ms" if size <= 100_000 else "p95 <= 100 ms"
        print(f"| query {name}, p50 / p95 | {p50:.2f} / {p95:.2f} ms (CPU {cpu50:.2f} / "
              f"{cpu95:.2f} ms) | | | {target} |")


def run(size: int, work: Path, template: Path) -> None:
    corpus, inline = work / f"corpus-{size}.jsonl", work / f"inline-{size}.jsonl"
    generate(corpus, size)
    generate_inline(inline, size)
    ours, theirs = work / f"kb-{size}.sqlite3", work / f"raw-{size}.sqlite3"
    ours_inline, floor = work / f"kb-inline-{size}.sqlite3", work / f"floor-{size}.sqlite3"
    for db in (ours, theirs, ours_inline):
        shutil.copy(template, db)

    raw_seconds = baseline_import(corpus, theirs)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    kb("import", str(corpus), db=ours)
    kb_seconds = time.perf_counter() - start
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024

    floor_seconds = floor_import(inline, floor)
    start = time.perf_counter()
    inline_run = subprocess.run([sys.executable, "-m", "kb", "--db", str(ours_inline), "import",
                                 str(inline)], capture_output=True, text=True)
    inline_seconds = time.perf_counter() - start

    # The newest 100,000 claims at most: a claim's export cost does not grow with the
    # database, and the whole of a million is a long wait on a shared machine.
    exported, export_size = work / f"export-{size}.jsonl", min(size, 100_000)
    start = time.perf_counter()
    kb("export", "claims", "--format", "jsonl", "--limit", str(export_size), "-o",
       str(exported), db=ours)
    export_seconds = time.perf_counter() - start

    print(f"\n## {size:,} claims\n")
    print("| measure | kb | baseline | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| import, claims/s (source lines, kb's schema) | {size / kb_seconds:,.0f} | "
          f"{size / raw_seconds:,.0f} (raw sqlite3 executemany, kb's schema) | "
          f"{raw_seconds / kb_seconds:.2f}x | >= 0.5x |")
    if inline_run.returncode == 0:
        print(f"| import, claims/s (sources inline) | {size / inline_seconds:,.0f} | "
              f"{size / floor_seconds:,.0f} (floor: raw executemany, minimal schema) | "
              f"{floor_seconds / inline_seconds:.2f}x | >= 0.5x |")
    else:
        refusal = (inline_run.stderr.strip().splitlines() or ["?"])[-1]
        print(f"| import, claims/s (sources inline) | not supported yet ({refusal}) | "
              f"{size / floor_seconds:,.0f} (floor: raw executemany, minimal schema) | "
              f"- | >= 0.5x |")
    print(f"| import peak memory | {peak_mb:,.0f} MB | | | flat, < 300 MB |")
    print(f"| export JSON Lines ({export_size:,} claims), claims/s | "
          f"{export_size / export_seconds:,.0f} | "
          f"{size / kb_seconds:,.0f} (kb's import) | {kb_seconds / export_seconds:.2f}x | "
          ">= 2x |")
    size_mb = sum(p.stat().st_size for p in work.glob(f"kb-{size}.sqlite3*")) / 2**20
    used, tables = table_sizes(ours)
    shares = ", ".join(f"{name} {100 * part / used:.0f}%" for name, part in tables[:5])
    print(f"| database size | {size_mb:,.0f} MB file, {used / 2**20:,.0f} MB in use "
          f"({used / 2**20 * 1e6 / size:,.0f} MB per million claims; {shares}) | | | "
          "<= 800 MB per million |")
    print_latencies(query_latencies(ours, size), size)

    help_kb = timed([sys.executable, "-m", "kb", "--help"])
    help_base = timed([sys.executable, "-c", "import click"])
    print(f"| `kb --help` wall time | {help_kb * 1000:.0f} ms | {help_base * 1000:.0f} ms "
          f"(import click) | {help_kb / help_base:.2f}x | <= 2x |")
    listing = timed([sys.executable, "-m", "kb", "--db", str(ours), "claim", "list",
                     "--country", "CN", "--limit", "50"])
    listing_base = timed([sys.executable, "-c", "import sqlalchemy.orm, click"])
    print(f"| `kb claim list --country CN --limit 50` | {listing * 1000:.0f} ms | "
          f"{listing_base * 1000:.0f} ms (import sqlalchemy.orm, click) | "
          f"{listing / listing_base:.2f}x | <= 1.5x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--keep", type=Path, help="keep the corpora and databases here")
    parser.add_argument("--queries", type=Path, metavar="DB",
                        help="only the query latencies, on a kb database made from this "
                             "script's corpus (e.g. kept with --keep)")
    args = parser.parse_args()
    if args.queries:
        with sqlite3.connect(args.queries) as conn:
            claims = conn.execute("SELECT count(*) FROM claim").fetchone()[0]
        print(f"queries on {args.queries} ({claims:,} claims)")
        print_latencies(query_latencies(args.queries, claims), claims)
        return
    from kb.db import Database

    work = args.keep or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    template = work / "template.sqlite3"
    if not template.exists():
        database = Database(f"sqlite:///{template}")
        database.ensure_current()
        database.dispose()  # checkpoints the WAL, so a plain file copy is complete
    print(f"kb benchmark — {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version}")
    try:
        for size in args.sizes:
            run(size, work, template)
    finally:
        if args.keep is None:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
