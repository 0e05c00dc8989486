"""Bulk import on PostgreSQL beside SQLite, into a database analysed while it was small.

    python bench/postgres.py                  # 100k claims (starts its own PostgreSQL 15)
    python bench/postgres.py --claims 20000

A team's server holds a small, analysed database; then someone imports a large file. With
plans cached for the small tables (foreign-key checks), PostgreSQL's import went quadratic
(issue 11: 50k claims in 112-133 s). Each backend gets the same corpus: `--small` claims
imported and ANALYZEd first, then `--claims` more, timed as a user runs it (`kb import`, a
subprocess). The target: PostgreSQL within 2x of SQLite's rate on the same machine.
Prints one table; copy the figures into bench/RESULTS.md.

Also printed: the CPU seconds of the importing process and of the PostgreSQL server (its
backends' time, read from /proc when they end), steadier than wall time on a shared machine.
Measured here (2 cores shared with other engineers' test runs, load average 4 to 7),
`python bench/postgres.py`, 100k claims into 1k analysed ones (see bench/RESULTS.md):
  before (commit 1004342, force_custom_plan, executemany, per-row index triggers): SQLite
    22.9 s, PostgreSQL 206.9 s (9.03x); CPU client 23.3 s + server 84.8 s (6.29x SQLite's)
  after (branch pgspeed: COPY, index triggers paused and filled in one statement, tables
    analysed as they grow): SQLite 53.5 s, PostgreSQL 92.9 s (1.74x); CPU client 18.7 s +
    server 28.0 s (1.55x SQLite's 30.1 s)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COUNTRIES = ["US", "CN", "GB", "DE", "FR", "JP", "KR", "IN", "BR", "TW", "IL", "CA", "AU",
             "SG", "AE", "ZA", "NG", "MX", "ID", "VN"]
THEMES = [f"{top}/{sub}" for top in ("hardware", "energy", "policy", "models", "trade")
          for sub in ("chips", "grid", "export-controls", "costs", "open")]
WORDS = ("chips grid power nuclear export controls model frontier open weights adoption "
         "industry cost efficiency inference training compute subsidy tariff semiconductor "
         "lithography data centre latency capital labour productivity growth risk").split()


def generate(path: Path, claims: int, first: int, seed: int) -> None:
    """Claim lines with their source inline (one source per 20 claims), 1-2 countries, 1-2
    themes, an actor, and every 10th claim citing the one before it as evidence."""
    rng = random.Random(seed)
    with path.open("w") as out:
        for number in range(first, first + claims):
            group = number // 20
            line = {
                "id": number,
                "source_record": {"key": f"bench{seed}s{group}", "title": f"Report {group}",
                                  "type": "report", "date": f"20{10 + group % 16}"},
                "text": " ".join(rng.choices(WORDS, k=14)),
                "quote": " ".join(rng.choices(WORDS, k=8)),
                "countries": rng.sample(COUNTRIES, rng.randint(1, 2)),
                "themes": rng.sample(THEMES, rng.randint(1, 2)),
                "actors": [f"Actor {rng.randint(1, 200)}"],
                "date": f"20{10 + number % 16}-0{1 + number % 9}",
            }
            if number % 10 == 0 and number > first:
                line["evidence"] = [{"relation": "supports", "claim": number - 1}]
            out.write(json.dumps(line) + "\n")


@dataclass
class Timing:
    wall: float  # seconds
    client: float  # CPU seconds of the `kb import` process
    server: float  # CPU seconds of the PostgreSQL server's processes (0 for SQLite)


def server_cpu(url: str) -> float:
    """CPU seconds the PostgreSQL server has used so far: the postmaster's own and that of
    its backends that ended (Linux /proc: a backend's time joins its parent's when it exits)."""
    if not url.startswith("postgresql"):
        return 0.0
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:  # the backend's /proc entry is read while it lives
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    engine.dispose()
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime: fields 14-17 of proc(5), here counted after the name.
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def kb_import(url: str, db: str, corpus: Path) -> Timing:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = server_cpu(url)
    client = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kb", "--db", db, "import", str(corpus)], check=True,
                   env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timing(wall, after.ru_utime + after.ru_stime - client.ru_utime - client.ru_stime,
                  server_cpu(url) - server)


def analyse(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def measure(url: str, db: str, small: Path, big: Path) -> Timing:
    kb_import(url, db, small)
    analyse(url)
    return kb_import(url, db, big)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    args = parser.parse_args()

    from tests.backends import Databases, postgres_server

    with tempfile.TemporaryDirectory(prefix="kb-bench-pg-") as scratch:
        work = Path(scratch)
        small, big = work / "small.jsonl", work / "big.jsonl"
        generate(small, args.small, 1, seed=1)
        generate(big, args.claims, 1, seed=2)
        rows = []
        sqlite_file = work / "bench.sqlite3"
        timing = measure(f"sqlite:///{sqlite_file}", str(sqlite_file), small, big)
        rows.append(("sqlite", timing))
        with postgres_server() as admin:
            url = Databases(admin, work).new()
            timing = measure(url, url, small, big)
            rows.append(("postgresql", timing))
    print(f"import of {args.claims:,} claims into a database of {args.small:,} analysed claims")
    print(f"{'backend':<12}{'seconds':>10}{'claims/s':>12}{'vs sqlite':>11}"
          f"{'client CPU s':>14}{'server CPU s':>14}{'CPU vs sqlite':>15}")
    base = rows[0][1]
    for name, t in rows:
        print(f"{name:<12}{t.wall:>10.1f}{args.claims / t.wall:>12,.0f}"
              f"{t.wall / base.wall:>10.2f}x{t.client:>14.1f}{t.server:>14.1f}"
              f"{(t.client + t.server) / (base.client + base.server):>14.2f}x")


if __name__ == "__main__":
    main()
