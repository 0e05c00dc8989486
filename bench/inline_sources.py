"""What inline sources cost an import, per source beside per claim.

    python bench/inline_sources.py                  # 100,000 claims, 5,000 inline sources
    python bench/inline_sources.py --claims 20000   # one source per 20 claims

The corpus is bench/run.py's inline shape (`generate_inline`). The import runs in this process
(`kb import` through click's runner) so that the time spent placing sources can be told apart:
the per-source part (look-ups, `sources.new_values`, the source, author and revision inserts)
and the per-line part (each claim line finding its source). CPU time is printed beside wall
time: on a shared machine it is the figure to compare.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=100_000)
    args = parser.parse_args()

    from click.testing import CliRunner

    from bench.run import generate_inline
    from kb.cli import cli
    from kb.db import Database
    from kb.services import bulk

    work = Path(tempfile.mkdtemp(prefix="kb-inline-"))
    try:
        corpus, db = work / "inline.jsonl", work / "kb.sqlite3"
        generate_inline(corpus, args.claims)
        database = Database(f"sqlite:///{db}")
        database.ensure_current()
        database.dispose()

        spent = {"wall": 0.0, "cpu": 0.0, "per_source": 0.0}
        started: list[float | None] = [None]
        place = bulk.Importer._place_sources
        look_up = getattr(bulk.Importer, "_look_up", None)  # None before the one source rule

        def marked(self: Any, identities: Any) -> None:
            started[0] = time.process_time()
            assert look_up is not None
            look_up(self, identities)

        def timed(self: Any) -> None:
            wall, cpu, started[0] = time.perf_counter(), time.process_time(), None
            place(self)
            end = time.process_time()
            spent["wall"] += time.perf_counter() - wall
            spent["cpu"] += end - cpu
            if started[0] is not None:
                spent["per_source"] += end - started[0]

        bulk.Importer._place_sources = timed  # type: ignore[method-assign]
        if look_up is not None:
            bulk.Importer._look_up = marked  # type: ignore[method-assign]
        wall, cpu = time.perf_counter(), time.process_time()
        result = CliRunner().invoke(cli, ["--db", str(db), "import", str(corpus)])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if result.exit_code != 0:
            raise SystemExit(result.output)
        print(result.output.strip().splitlines()[-1])
        n_sources = int(result.output.split(" source(s)")[0].rsplit(" ", 1)[-1])
        claims_cpu = cpu - spent["cpu"]
        print(f"wall {wall:.1f} s, {args.claims / wall:,.0f} claims/s; "
              f"CPU {cpu:.1f} s, {args.claims / cpu:,.0f} claims/s")
        print(f"CPU per claim (all but placing sources): {claims_cpu / args.claims * 1e6:.0f} us")
        print(f"CPU placing sources: {spent['cpu']:.2f} s, "
              f"{spent['cpu'] / n_sources * 1e6:.0f} us per new source")
        if look_up is not None:
            print(f"  of which per new source (look-ups, rows, inserts): "
                  f"{spent['per_source'] / n_sources * 1e6:.0f} us; per line finding its "
                  f"source: {(spent['cpu'] - spent['per_source']) / args.claims * 1e6:.1f} us")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
