"""Benchmark: does the GNN find the ecommerce demo's multi-hop signal?

The demo plants churn that follows the quality of the products a customer
bought (customers -> orders -> order_items -> products) and other buyers'
reviews of them (relgraph/bench/demo/ecommerce.py). The gbdt model with
``max_hops=1`` sees only the customer's own orders and reviews; with
``max_hops=4`` it also aggregates the items, their products and those
products' reviews; the GNN passes messages over ``len(fanout)`` hops, and
with ``id_embeddings`` it also learns a vector per product (what a product
means, learned from the labels: its buyers churn). All run on the same task,
side by side, with the history baseline as the floor.

The demo's default ``product_shock=3.5`` makes a defective product a small
part of churn (gbdt scores the same with 1 and with 4 hops there), so the
benchmark also runs the demo with ``product_shock=10``, where the signal is
strong, to see which models find it. The report (markdown, JSON, chart) goes
to ``benchmarks/results/demo-multihop/``.

Run::

    python -m benchmarks.demo_multihop [--scale 0.3] [--seeds 2] [--shocks 3.5,10]
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
    ("gnn (3 hops, row ids)", "gnn", {"layers": 3, "fanout": [16, 8, 4], "id_embeddings": 10_000}),
    ("gnn (2 hops)", "gnn", {}),
    ("gbdt (max_hops=1)", "gbdt", {"max_hops": 1}),
    ("gbdt (max_hops=4)", "gbdt", {"max_hops": 4}),
    ("history", "history", {}),
]


def run_setting(scale: float, shock: float, seeds: int):
    """Every model of :data:`MODELS` on the demo made with ``product_shock=shock``."""
    db = rg.connect(make_ecommerce(scale=scale, product_shock=shock))
    task = rg.Task.from_query(db, CHURN)
    name = f"ecommerce churn, product_shock={shock:g}"
    merged = None
    for label, model, params in MODELS:
        print(f"{name}: {label} ...", flush=True)
        ev = evaluate_models(task, [model], seeds, name=name, params={model: params})
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
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--shocks", default="3.5,10", help="product_shock values, comma-separated")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    shocks = [float(s) for s in args.shocks.split(",")]
    evaluations = [run_setting(args.scale, shock, args.seeds) for shock in shocks]
    report = Report("ecommerce demo: multi-hop signal", evaluations)
    report.write(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
