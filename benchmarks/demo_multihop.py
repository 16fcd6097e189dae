"""Benchmark: does the GNN find the ecommerce demo's multi-hop signal?

The demo plants churn that follows the quality of the products a customer
bought (customers -> orders -> order_items -> products) and other buyers'
reviews of them (relgraph/bench/demo/ecommerce.py). The gbdt model with
``max_hops=1`` sees only the customer's own orders and reviews; with
``max_hops=2`` it also sees their items; the GNN passes messages over
``len(fanout)`` hops. All run on the same task, side by side, with the
history baseline as the floor; the report (markdown, JSON, chart) goes to
``benchmarks/results/demo-multihop/``.

Run::

    python -m benchmarks.demo_multihop [--scale 0.3] [--seeds 2]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.evaluate.evaluation import evaluate_models
from relgraph.evaluate.report import Report

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "demo-multihop"
CHURN = (
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -90, 0, days) > 0"
)
#: (label in the report, --models name, hyperparameters)
MODELS = [
    ("gnn (3 hops)", "gnn", {"layers": 3, "fanout": [16, 8, 4]}),
    ("gnn (2 hops)", "gnn", {}),
    ("gbdt (max_hops=1)", "gbdt", {"max_hops": 1}),
    ("gbdt (max_hops=2)", "gbdt", {"max_hops": 2}),
    ("history", "history", {}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    db = rg.connect(make_ecommerce(scale=args.scale))
    task = rg.Task.from_query(db, CHURN)
    merged = None
    for label, name, params in MODELS:
        print(f"{label} ...", flush=True)
        ev = evaluate_models(
            task, [name], args.seeds, name="ecommerce churn", params={name: params}
        )
        runs = [dataclasses.replace(run, model=label) for run in ev.runs]
        if merged is None:
            merged = dataclasses.replace(ev, runs=runs)
        else:
            merged.runs.extend(runs)
        test = merged.summary(label, "test", "auroc")
        print(
            f"  test auroc {test['mean']:.4f} +- {test['std']:.4f}, "
            f"fit {ev.runs[0].fit_seconds:.1f} s",
            flush=True,
        )
    report = Report("ecommerce demo: multi-hop signal", [merged])
    report.write(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
