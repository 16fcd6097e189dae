"""Benchmark: PQL label generation at many anchor times in one SQL query.

Generates the e-commerce demo database at about ``--rows`` rows (with the
graph-build benchmark's generator), then times

    PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id

at ``--anchors`` weekly anchor times with ``Task.table_at`` (parse, check,
compile, run on DuckDB, fetch as a DataFrame), ``--repeat`` times. Reports
seconds, labelled examples per second and database rows per second.

Run::

    python -m benchmarks.labels [--rows 10000000] [--anchors 100] [--db shop.duckdb]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.graph_build import _run_child, peak_rss_mb

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "labels.json"
QUERY = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
TARGET_SECONDS = 20.0


def measure(db_path: str, n_anchors: int, repeat: int) -> dict[str, Any]:
    import pandas as pd

    import relgraph as rg

    start = time.perf_counter()
    db = rg.connect(db_path)
    connect_seconds = time.perf_counter() - start
    db_rows = sum(t.num_rows for t in db.schema.tables.values())
    anchors = [pd.Timestamp("2023-01-08") + pd.Timedelta(weeks=i) for i in range(n_anchors)]
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        task = rg.Task.from_query(db, QUERY)
        table = task.table_at(anchors)
        runs.append(time.perf_counter() - start)
    examples = len(table)
    seconds = statistics.median(runs)
    return {
        "connect_seconds": connect_seconds,
        "db_rows": db_rows,
        "tables": {n: t.num_rows for n, t in db.schema.tables.items()},
        "anchors": n_anchors,
        "first_anchor": str(anchors[0]),
        "last_anchor": str(anchors[-1]),
        "examples": examples,
        "positive_rate": float(table["label"].mean()) if examples else None,
        "runs_seconds": runs,
        "seconds": seconds,
        "examples_per_second": examples / seconds,
        "db_rows_per_second": db_rows / seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def run(rows: int, n_anchors: int, repeat: int, seed: int, db: str | None) -> dict[str, Any]:
    import duckdb
    import sqlglot

    with tempfile.TemporaryDirectory(prefix="relgraph-bench-") as tmp:
        db_path = db or os.path.join(tmp, "shop.duckdb")
        generated = None
        if not (db and Path(db).exists()):
            generated = _run_child("generate", db_path, str(rows), str(seed), "0")
        result = measure(db_path, n_anchors, repeat)
    return {
        "benchmark": "labels",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "sqlglot": sqlglot.__version__,
        },
        "query": QUERY,
        "dataset": {
            "name": "ecommerce",
            "seed": seed,
            "scale": generated["scale"] if generated else None,
            "generate_seconds": generated["seconds"] if generated else None,
        },
        **result,
        "target": {"seconds": TARGET_SECONDS, "met": result["seconds"] < TARGET_SECONDS},
    }


def format_report(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"labels: {r['query']}",
            f"  database: ecommerce, {r['db_rows']:,} rows "
            f"({', '.join(f'{k} {v:,}' for k, v in r['tables'].items())}); "
            f"{r['machine']['cpu_count']} CPUs",
            f"  {r['anchors']} weekly anchors {r['first_anchor'][:10]} .. {r['last_anchor'][:10]}, "
            f"one SQL query",
            f"  examples: {r['examples']:,} (positive rate {r['positive_rate']:.3f})",
            f"  seconds (median of {len(r['runs_seconds'])}): {r['seconds']:.2f} "
            f"(runs: {', '.join(f'{s:.2f}' for s in r['runs_seconds'])})",
            f"  examples/s: {r['examples_per_second']:,.0f}; database rows/s: "
            f"{r['db_rows_per_second']:,.0f}; peak RSS {r['peak_rss_mb']:,.0f} MiB",
            f"  target: < {TARGET_SECONDS:.0f} s: {'met' if r['target']['met'] else 'NOT met'}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.labels", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="about this many rows")
    parser.add_argument("--anchors", type=int, default=100, help="weekly anchor times")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", help="use (or keep) the generated DuckDB file at this path")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    args = parser.parse_args(argv)
    if args.rows <= 0 or args.anchors <= 0 or args.repeat <= 0:
        parser.error("--rows, --anchors and --repeat must be positive")
    result = run(args.rows, args.anchors, args.repeat, args.seed, args.db)
    print(format_report(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
