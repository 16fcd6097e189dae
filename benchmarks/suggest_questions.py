"""Benchmark: suggested questions (``rg.suggest``) on the demos, rel-f1 and the
real-database corpus.

For each database: how many questions ``rg.suggest`` proposes (at most
``--limit``), of which kinds, the seconds it takes (after ``rg.connect``,
which is timed apart), and whether every question passes ``check`` and gives
labels again when built afresh (``rg.Task.from_query`` and its train split,
outside ``suggest``). rel-f1 is built from ``../shared/data/f1`` when that
folder is there (skipped, and said so, otherwise).

Run::

    python -m benchmarks.suggest_questions [--db NAME ...] [--limit 10] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.corpus import CORPUS

F1 = Path(__file__).resolve().parents[2] / "shared" / "data" / "f1"


def sources() -> dict[str, Callable[[], Any]]:
    """Each database's name and how to open its source (a path or frames)."""
    from relgraph.bench.demo import make_ecommerce, make_trials

    out: dict[str, Callable[[], Any]] = {
        "ecommerce": lambda: make_ecommerce(scale=1.0, seed=0),
        "trials": lambda: make_trials(scale=1.0, seed=0),
    }
    if F1.is_dir():
        out["rel-f1 (raw)"] = lambda: str(F1)
    for name, db in CORPUS.items():
        out[name] = db.source
    return out


def run_one(name: str, source: Callable[[], Any], limit: int) -> dict[str, Any]:
    import relgraph as rg

    start = time.perf_counter()
    db = rg.connect(source())
    connect = time.perf_counter() - start
    start = time.perf_counter()
    found = rg.suggest(db, limit=limit)
    seconds = time.perf_counter() - start
    failed = []
    for s in found:
        try:
            if rg.Task.from_query(db, s.query).table("train").empty:
                failed.append(f"{s.query}: no training example")
        except rg.RelgraphError as exc:
            failed.append(f"{s.query}: {str(exc).splitlines()[0]}")
    return {
        "database": name,
        "connect_s": round(connect, 2),
        "suggest_s": round(seconds, 2),
        "questions": len(found),
        "kinds": dict(Counter(s.kind for s in found)),
        "failed": failed,
        "queries": [s.query for s in found],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", help="a database (repeatable; default all)")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    all_sources = sources()
    if not F1.is_dir():
        print(f"skipping rel-f1: {F1} not found")
    names = args.db or list(all_sources)
    rows = [run_one(n, all_sources[n], args.limit) for n in names]
    header = ("database", "connect s", "suggest s", "questions", "failed")
    print(f"{header[0]:16} {header[1]:>9} {header[2]:>9} {header[3]:>9} {header[4]:>6}  kinds")
    for r in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in r["kinds"].items()) or "-"
        print(
            f"{r['database']:16} {r['connect_s']:9.1f} {r['suggest_s']:9.1f} "
            f"{r['questions']:9d} {len(r['failed']):6d}  {kinds}"
        )
    for r in rows:
        for f in r["failed"]:
            print(f"  {r['database']}: FAILED {f}")
    total = sum(r["questions"] for r in rows)
    failed = sum(len(r["failed"]) for r in rows)
    slowest = max(rows, key=lambda r: r["suggest_s"])
    print(
        f"{total} questions on {len(rows)} databases, {failed} failed check or labels; "
        f"slowest suggest: {slowest['database']} {slowest['suggest_s']:.1f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
