"""Benchmark: how long a fitted ``gnn`` model takes to predict 1,000 entities.

Issue 6's target: prediction for 1,000 entities in under 2 s on this 2-core
CPU, with the default model (three nets, the target's history and the 1-hop
summaries as seed inputs). Prediction time does not depend on what the
weights learned, so each case fits the default model for one epoch without
the refit, then predicts 1,000 examples (the task's test examples, then
validation and training examples until there are 1,000).

The seed inputs are computed per (entity, anchor) and kept for later batches;
each timed run starts without them, as a new batch of examples would. One
warm-up, then the median of ``--repeat`` runs; the seed inputs (SQL over past
labels and the summaries) are also timed on their own. Output goes to
``benchmarks/results/gnn_latency.json``.

Run::

    python -m benchmarks.gnn_latency [--raw ../shared/data/f1] [--repeat 3]
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.common import latency_arguments, write_report

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gnn_latency.json"
TARGET_SECONDS = 2.0
EXAMPLES = 1_000
CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"


def time_case(task: Any, repeat: int) -> dict[str, Any]:
    """Fit the default gnn briefly, then time predicting :data:`EXAMPLES` examples."""
    import pandas as pd

    from relgraph.models.gnn.model import GNNModel

    splits = [task.table(s) for s in ("test", "val", "train")]
    examples = pd.concat(splits).head(EXAMPLES).drop(columns="label").reset_index(drop=True)
    model = GNNModel(epochs=1, refit_with_val=False).fit(task)

    def fresh() -> None:
        model._seed_stores.clear()  # as for examples never seen before

    fresh()
    model.predict(examples)  # warm-up
    totals, seed_inputs = [], []
    for _ in range(repeat):
        fresh()
        start = time.perf_counter()
        model.predict(examples)
        totals.append(time.perf_counter() - start)
        fresh()
        rows, anchors, ok = model._seeds(examples)
        start = time.perf_counter()
        model._prepare(rows[ok], anchors[ok], None)
        seed_inputs.append(time.perf_counter() - start)
    return {
        "examples": len(examples),
        "nets": len(model.members_),
        "seed_input_columns": len(model.seed_scaler_.columns) if model.seed_scaler_ else 0,
        "seconds": {
            "total": statistics.median(totals),
            "seed_inputs": statistics.median(seed_inputs),
        },
        "runs": totals,
    }


def main() -> None:
    args = latency_arguments(__doc__, repeat=3, out=DEFAULT_OUT)

    import relgraph as rg
    from relgraph.bench.demo import make_ecommerce

    tasks: dict[str, Any] = {}
    if args.raw.is_dir():
        from relgraph.bench.rel_f1 import load_rel_f1
        from relgraph.bench.rel_f1_tasks import REL_F1_TASKS

        f1 = load_rel_f1(args.raw)
        for name in ("driver-dnf", "driver-top3", "driver-position"):
            tasks[f"rel-f1 {name}"] = REL_F1_TASKS[name].task(f1)
    else:
        print(f"skipping rel-f1: {args.raw} not found")
    shop = rg.connect(make_ecommerce(scale=0.5))
    tasks["ecommerce churn"] = rg.Task.from_query(shop, CHURN)

    cases = {}
    print(f"{'case':<24} {'examples':>8} {'seed inputs':>11} {'total':>7} {'target':>7}")
    for name, task in tasks.items():
        case = cases[name] = time_case(task, args.repeat)
        s = case["seconds"]
        verdict = "met" if s["total"] < TARGET_SECONDS else "NOT met"
        print(
            f"{name:<24} {case['examples']:>8} {s['seed_inputs']:>11.3f} {s['total']:>7.3f} "
            f"{'<' + str(TARGET_SECONDS):>7} {verdict}",
            flush=True,
        )
    write_report(
        args.out,
        "gnn_latency",
        {"repeat": args.repeat, "target_seconds": TARGET_SECONDS, "cases": cases},
    )


if __name__ == "__main__":
    main()
