"""`kb serve`'s pages, timed on the server: p50 / p95 per page over bench/run.py's corpus.

    python bench/web.py                    # 100k claims
    python bench/web.py --sizes 1000000    # the 1M corpus (several minutes to build)
    python bench/web.py --keep /tmp/kbw    # keep (and reuse) the corpus and database
    python bench/web.py --postgresql       # the same pages on a PostgreSQL 15 server

The time is the ASGI application's, from the request's arrival to the response's last byte
(a wrapper around the app): what the server spends, without the client. The corpus is the one
bench/run.py generates, loaded by `kb import`. A listing's facet counts have their budget
(`create_app(facet_budget=...)`, 20 ms, less what the listing took past 10 ms; 35 ms for the
lazily loaded counts), and so have the comparison's cells (25 ms): the "many" columns say how
many facets (cells) ran out of it. Each page is timed twice: on a server that keeps nothing
(every visit is a first visit after a change to the database) and on one that keeps its
counts until the database changes, as `kb serve` does: repeat visits, timed after three
passes of the same visits, each followed by the counts it left to the background (waited
for, at most --settle seconds).

With --postgresql the SQLite database is copied (`kb db copy`, then ANALYZE) into a
throwaway PostgreSQL 15 server this script starts, and the pages are timed there: the web
process's wall time then includes the server's work, which its CPU column leaves out.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from starlette.types import ASGIApp, Receive, Scope, Send

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # kb from this checkout, installed or not
TARGET_P95_MS = {100_000: 50.0, 1_000_000: 150.0}


def corpus_tools() -> Any:
    spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Timed:
    """Records how long the wrapped app takes for each request: wall time, and the process's
    CPU time (SQLite runs in the process), which a machine busy with other work inflates far
    less than the wall clock."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last = self.last_cpu = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, cpu = time.perf_counter(), time.process_time()
        await self.app(scope, receive, send)
        self.last = time.perf_counter() - start
        self.last_cpu = time.process_time() - cpu


def settle(app: Any, most: float = 30.0) -> None:
    """Wait until the server's background counting is done (at most `most` seconds)."""
    views = app.state.views
    deadline = time.perf_counter() + most
    while views.counting and time.perf_counter() < deadline:
        time.sleep(0.05)


def _p50_p95(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"{statistics.median(ordered):.1f} / {p95:.1f}"


def _time(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def build(size: int, work: Path) -> Path:
    db, done = work / f"web-{size}.sqlite3", work / f"web-{size}.complete"
    if db.exists() and done.exists():
        return db
    # Never import into what an interrupted build left: the corpus would be there twice.
    # (A WAL file says nothing: any reader that exits without closing leaves one.)
    for leftover in work.glob(f"web-{size}.sqlite3*"):
        leftover.unlink()
    tools = corpus_tools()
    corpus = work / f"corpus-{size}.jsonl"
    tools.generate(corpus, size)
    subprocess.run([sys.executable, "-m", "kb", "--db", str(db), "import", str(corpus)],
                   check=True, capture_output=True)
    corpus.unlink()
    done.touch()
    return db


def pages(rng: random.Random, size: int, tools: Any) -> dict[str, Callable[[], str]]:
    countries, themes, tops = tools.COUNTRIES[:10], tools.THEMES, tools.TOP
    words = tools.SEARCHED
    sources = max(10, size // 100)
    return {
        "/claims (all, facets)": lambda: "/claims",
        "/claims?country=": lambda: f"/claims?country={rng.choice(countries)}",
        "/claims?theme= (top level)": lambda: f"/claims?theme={rng.choice(tops)}",
        "/claims?country&theme&since": lambda: (
            f"/claims?country={rng.choice(countries)}&theme={rng.choice(themes)}"
            f"&since={rng.randint(2016, 2024)}"),
        "/claims?status=contested": lambda: "/claims?status=contested",
        "/claims?q= (2 words)": lambda: "/claims?q=" + "+".join(rng.sample(words, 2)),
        "/claims?q=&country=": lambda: (
            "/claims?q=" + rng.choice(words) + f"&country={rng.choice(countries)}"),
        # The worst a single word does: the corpus's most common searched words, in ~11% of
        # the claims (at 1M, past the page's time to rank them: the latest added first).
        "/claims?q= (one of the 5 commonest words)": lambda: (
            "/claims?q=" + rng.choice(words[:5])),
        "/claims?offset= (pages 2-20)": lambda: f"/claims?offset={50 * rng.randint(1, 19)}",
        "/claims?q=prefix* (htmx partial, search as you type)": lambda: (
            "/claims?q=" + rng.choice(words)[:4] + "*"),
        "/claims/facets?theme= (lazy, top level)": lambda: (
            f"/claims/facets?theme={rng.choice(tops)}"),
        "/claims/facets?country= (lazy, popular)": lambda: (
            f"/claims/facets?country={rng.choice(countries[:3])}"),
        "/claims/ID": lambda: f"/claims/{rng.randint(1, size)}",
        "/sources/KEY": lambda: f"/sources/src{rng.randrange(sources)}",
        "/countries/CODE": lambda: f"/countries/{rng.choice(countries)}",
        "/countries/CODE/timeline": lambda: f"/countries/{rng.choice(countries[3:])}/timeline",
        "/themes/PATH": lambda: f"/themes/{rng.choice(themes)}",
        "/compare (2 countries, theme + since)": lambda: (
            f"/compare?country={rng.choice(countries[:3])}&country={rng.choice(countries[3:])}"
            f"&theme={rng.choice(themes)}&since=2025"),
        "/compare?country=US&country=CN (unfiltered)": lambda: "/compare?country=US&country=CN",
        "/compare (2 popular countries, depth 2)": lambda: (
            f"/compare?country={rng.choice(countries[:2])}&country={rng.choice(countries[2:4])}"
            "&depth=2"),
        "/countries": lambda: "/countries",
        "/themes": lambda: "/themes",
        "/sources": lambda: "/sources",
    }


@contextmanager
def on_postgresql(db: Path) -> Iterator[str]:
    """A PostgreSQL copy of the SQLite database `db`, analysed, on a server started for it."""
    from sqlalchemy import create_engine, text

    from tests.backends import Databases, postgres_server

    with postgres_server() as admin:
        url = Databases(admin, db.parent).new()
        subprocess.run([sys.executable, "-m", "kb", "--db", str(db), "db", "copy", url],
                       check=True, capture_output=True)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
        yield url


def run(size: int, work: Path, rounds: int, settle_for: float, postgresql: bool) -> None:
    start = time.perf_counter()
    db = build(size, work)
    if not postgresql:
        print(f"\n## {size:,} claims, SQLite (corpus built and imported in "
              f"{time.perf_counter() - start:.0f} s)\n")
        timed_pages(f"sqlite:///{db}", size, rounds, settle_for)
        return
    with on_postgresql(db) as url:
        print(f"\n## {size:,} claims, PostgreSQL (corpus built, imported and copied in "
              f"{time.perf_counter() - start:.0f} s)\n")
        timed_pages(url, size, rounds, settle_for)


def timed_pages(url: str, size: int, rounds: int, settle_for: float) -> None:
    from starlette.testclient import TestClient

    from kb.db import Database
    from kb.web.access import Access
    from kb.web.app import create_app

    tools = corpus_tools()
    database = Database(url)
    # Two servers on the database: one keeps what it counted over every claim until the
    # database changes (kb serve as it runs: a repeat visit), one counts on every visit (as
    # the first visit after any change does).
    apps = {kept: create_app(database, Access(token="bench"), keep_counts=kept)
            for kept in (False, True)}
    servers = {kept: Timed(app) for kept, app in apps.items()}
    clients = {kept: TestClient(timed) for kept, timed in servers.items()}
    # The process as `kb serve` sets it up: kb's collector threshold, then what is loaded
    # frozen out of the collector's walks.
    from kb.cli import tune_collector

    tune_collector()
    gc.freeze()
    rng = random.Random(5)
    target = TARGET_P95_MS.get(size, 50.0)
    # The same run's yardsticks: the service query a listing makes (bench/run.py's "first 50
    # (all)") and a fixed piece of Python work; on a machine busy with other work both grow,
    # and every figure below with them.
    from kb.services.query import ClaimFilter, query_claims

    with database.read() as session:
        query = [_time(lambda: query_claims(session, ClaimFilter(limit=50))) for _ in range(30)]
    python = [_time(lambda: sum(range(1_000_000))) for _ in range(10)]
    print(f"Yardsticks in this run: query_claims(limit=50) p50 {statistics.median(query):.2f} ms"
          f"; sum(range(10**6)) p50 {statistics.median(python):.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("Server-side wall time, p50 / p95 ms. *First visit*: nothing kept (as after any "
          "change to the database); *repeat*: counts kept since the last change. \"many\": "
          "facets (4 a listing) or comparison cells past their budget.\n")
    # First every page on the server that keeps nothing, then every page on the one that
    # keeps its counts: its counting in the background must not slow the other's pages.
    addresses = pages(rng, size, tools)
    results: dict[str, list[str]] = {name: [] for name in addresses}
    for kept in (False, True):
        client, timed = clients[kept], servers[kept]
        client.get("/?token=bench")  # logged in when its turn comes: its counting starts then
        for name, make in addresses.items():
            headers = {"HX-Request": "true"} if "htmx" in name else {}
            client.get(make(), headers=headers)  # warm
            if kept:  # visits before, each pass followed by the counts it left to be made
                for _ in range(3):
                    for _ in range(rounds):
                        client.get(make(), headers=headers)
                    settle(apps[kept], most=settle_for)
            samples, cpu, many, counted = [], [], 0, 0
            for _ in range(rounds):
                response = client.get(make(), headers=headers)
                assert response.status_code == 200, (name, response.status_code,
                                                      response.text[:300])
                samples.append(timed.last * 1000)
                cpu.append(timed.last_cpu * 1000)
                many += response.text.count('class="muted many"')
                counted += response.text.count('data-facet="')
                # A comparison's cells: how many showed "more" for want of time to count them.
                many += response.text.count('data-count="many"')
                counted += response.text.count("data-count=")
            results[name].append(_p50_p95(samples))
            if not kept:  # (the other server's CPU time includes its background counting)
                results[name].append(_p50_p95(cpu))
            results[name].append(f"{many}/{counted}" if counted else "")
    print("| page | first visit | CPU | \"many\" | repeat visit | \"many\" | target p95 |")
    print("|---|---|---|---|---|---|---|")
    for name, cells in results.items():
        print(f"| {name} | " + " | ".join(cells) + f" | <= {target:.0f} ms |")
    for client in clients.values():
        client.close()
    facet_times(database, tools)
    database.dispose()


def _one_facet(session: Any, count: Any, where: Any) -> object:
    from kb.services import facets

    return facets._listed(session, count, facets.claim_ids(session, where))


def facet_times(database: Any, tools: Any) -> None:
    """Each facet's count alone, with no budget (best of 3): what "many" hides."""
    from dataclasses import replace

    from kb.services import facets
    from kb.services.query import ClaimFilter

    country, top, theme = tools.COUNTRIES[0], tools.TOP[0], tools.THEMES[0]
    cases = {
        "every claim": ClaimFilter(), f"country={country}": ClaimFilter(countries=[country]),
        f"theme={top} (top level)": ClaimFilter(themes=[top]),
        f"theme={theme}": ClaimFilter(themes=[theme]),
        f"country={tools.COUNTRIES[1]}&theme={theme}&since=2020": ClaimFilter(
            countries=[tools.COUNTRIES[1]], themes=[theme], since="2020"),
        f"q={tools.SEARCHED[0]}": ClaimFilter(search=tools.SEARCHED[0]),
    }
    counters = {"country": facets._countries, "theme": facets._themes,
                "status": facets._statuses, "source": facets._sources}
    print("\nEach facet's count alone, no budget (best of 3, ms):\n")
    print("| claims counted | " + " | ".join(counters) + " |")
    print("|---|" + "---|" * len(counters))
    with database.read() as session:
        for label, where in cases.items():
            row = []
            for name, count in counters.items():
                own = replace(where, **facets._OWN[name])  # type: ignore[arg-type]
                work = functools.partial(_one_facet, session, count, own)
                row.append(f"{min(_time(work) for _ in range(3)):.1f}")
            print(f"| {label} | " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the databases here")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds to wait, at most, for the background counts after each "
                             "of three passes of visits before a page's repeat visits are timed")
    parser.add_argument("--postgresql", action="store_true",
                        help="time the pages on a PostgreSQL 15 server (started here) holding "
                             "a copy of the SQLite corpus")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="kb-bench-web-"))
    work.mkdir(parents=True, exist_ok=True)
    import sqlite3

    print(f"kb serve benchmark — Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    try:
        for size in args.sizes:
            run(size, work, args.rounds, args.settle, args.postgresql)
    finally:
        if args.keep is None:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
