"""Benchmark: how ``rg.predict`` (the ``icl`` default) scales with the number of
entities: the prediction step's entities per second after the features are
computed, and whether the time per entity stays flat (issue 19's bulk target:
at least 10,000 entities per second on two cores).

Case: the e-commerce demo at ``--scale`` (4: 20,000 customers), churn of every
customer at one anchor, ``fast`` mode, for growing numbers of entities (1,000,
4,000, 16,000 by default). Each size runs with the default predictor choice and
with the transformer and LightGBM asked for, each with a reason per row
(``top_signal``, the default) and without (``reasons=False``, bulk scoring).
Each run is the first question on a database file connected for it (the
connection not timed: no feature row of an earlier run is kept), timed in its
steps as ``predict`` reports them (``labels``: the task and its entities; ``features``;
``prediction``: the context's fit, the predictions and the reasons of every row
when asked),
after one warm-up run. Entities per second are ``entities / prediction`` and
``entities / (features + prediction)``.

Run::

    python -m benchmarks.icl_bulk [--scale 4] [--sizes 1000,4000,16000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import write_report

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "icl_bulk.json"
CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
#: The target of the issue: prediction-step entities per second on two cores.
TARGET_PER_SECOND = 10_000
PREDICTORS = (None, "transformer", "lightgbm")


def time_size(
    connect: Callable[[], Any],
    entities: list,
    predictor: str | None,
    reasons: bool,
    repeat: int,
) -> dict[str, Any]:
    """Median step seconds of ``rg.predict`` for ``entities`` over ``repeat``
    runs, each on a database ``connect()`` has just opened (not timed), so no
    feature row of an earlier run is kept."""
    import relgraph as rg

    runs = []
    for _ in range(repeat):
        db = connect()
        start = time.perf_counter()
        pred = rg.predict(db, CHURN, entities=entities, predictor=predictor, reasons=reasons)
        wall = time.perf_counter() - start
        runs.append({**pred.attrs["timings"], "wall": wall})
    steps = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    n = len(pred)
    return {
        "entities": n,
        "predictor_used": pred.attrs["context"].get("predictor"),
        "seconds": steps,
        "prediction_entities_per_second": n / max(steps["prediction"], 1e-9),
        "after_labels_entities_per_second": n / max(steps["features"] + steps["prediction"], 1e-9),
        "wall_entities_per_second": n / max(steps["wall"], 1e-9),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--sizes", default="1000,4000,16000")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    import relgraph as rg
    from relgraph.bench.demo import make_ecommerce, write_duckdb

    folder = Path(tempfile.mkdtemp(prefix="icl_bulk_"))
    write_duckdb(make_ecommerce(scale=args.scale, seed=0), folder / "shop.duckdb")

    def connect() -> Any:
        return rg.connect(folder / "shop.duckdb")

    ids = connect().table("customers")["customer_id"].tolist()
    sizes = [int(s) for s in args.sizes.split(",")]
    # warm-up: imports, the transformer, DuckDB's plans, the file cache
    rg.predict(connect(), CHURN, entities=ids[:200])
    cases: dict[str, Any] = {}
    for predictor, reasons in itertools.product(PREDICTORS, (True, False)):
        name = (predictor or "default") + ("" if reasons else " (no reasons)")
        cases[name] = []
        for size in sizes:
            result = time_size(connect, ids[:size], predictor, reasons, args.repeat)
            cases[name].append(result)
            s = result["seconds"]
            print(
                f"{name:25s} {result['entities']:>6,} entities ({result['predictor_used']}): "
                f"labels {s['labels']:.2f} s, features {s['features']:.2f} s, "
                f"prediction {s['prediction']:.2f} s -> "
                f"{result['prediction_entities_per_second']:,.0f}/s predicting, "
                f"{result['after_labels_entities_per_second']:,.0f}/s with features"
            )
    report = {
        "query": CHURN,
        "scale": args.scale,
        "customers": len(ids),
        "repeat": args.repeat,
        "target_prediction_entities_per_second": TARGET_PER_SECOND,
        "cases": cases,
    }
    shutil.rmtree(folder, ignore_errors=True)
    write_report(args.out, "icl_bulk", report)
    return report


if __name__ == "__main__":
    main()
