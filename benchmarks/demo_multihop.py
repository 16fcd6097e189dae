"""Benchmark: does the GNN find the ecommerce demo's multi-hop signal?

The demo plants churn that follows the quality of the products a customer
bought (customers -> orders -> order_items -> products) and other buyers'
reviews of them (relgraph/bench/demo/ecommerce.py). The gbdt model with
``max_hops=1`` sees only the customer's own orders and reviews; with
``max_hops=4`` it also aggregates the items, their products and those
products' reviews; the GNN passes messages over ``len(fanout)`` hops, and
with ``node_summaries`` every sampled node also carries summaries of the rows
referencing it at the anchor (a product: its sales and reviews so far, their
average rating). All run on the same task, side by side, with the history
baseline as the floor.

The demo's default ``product_shock=3.5`` makes a defective product a small
part of churn (gbdt scores the same with 1 and with 4 hops there), so the
benchmark also runs the demo with ``product_shock=10``, where the signal is
strong, to see which models find it. It runs at ``scale=1.0`` (5,000
customers, 2,800 to 4,300 test examples): at 0.3 the nets had too few
examples to learn the signal from (single 3-hop nets with node summaries
scored 0.812 at scale 1.0 and 0.745-0.748 at 0.3, against gbdt(max_hops=1)'s
0.785 and 0.735). Differences of one or two AUROC points are within the noise of a
test split of a few thousand examples, so every
model is also compared with ``gbdt (max_hops=1)`` on the same test examples
by a paired bootstrap (each model's probabilities averaged over its seeds).
The report (markdown, JSON, chart) goes to ``benchmarks/results/demo-multihop/``.

Run::

    python -m benchmarks.demo_multihop [--scale 1.0] [--seeds 1] [--shocks 3.5,10]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.evaluate.evaluation import evaluate_models
from relgraph.evaluate.paired import paired_bootstrap
from relgraph.evaluate.report import Report
from relgraph.metrics import auroc

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "demo-multihop"
CHURN = (
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -90, 0, days) > 0"
)
#: (label in the report, --models name, hyperparameters); the gnn models also
#: get the flat 1-hop summaries of the entity (``entity_aggregates=1``, their
#: default); ``node_summaries`` gives every sampled node the summaries of the
#: rows referencing it (2: also of the rows it references).
MODELS = [
    (
        "gnn (3 hops, node summaries)",
        "gnn",
        {"layers": 3, "fanout": [16, 8, 4], "node_summaries": 1},
    ),
    ("gnn (2 hops, node summaries of linked rows)", "gnn", {"node_summaries": 2}),
    ("gnn (2 hops)", "gnn", {}),
    ("gbdt (max_hops=1)", "gbdt", {"max_hops": 1}),
    ("gbdt (max_hops=4)", "gbdt", {"max_hops": 4}),
    ("history", "history", {}),
]
#: The model every other one is compared with on the same test examples.
BASELINE = "gbdt (max_hops=1)"


def run_setting(scale: float, shock: float, seeds: int):
    """Every model of :data:`MODELS` on the demo made with ``product_shock=shock``."""
    db = rg.connect(make_ecommerce(scale=scale, product_shock=shock))
    task = rg.Task.from_query(db, CHURN)
    name = f"ecommerce churn, product_shock={shock:g}"
    merged = None
    for label, model, params in MODELS:
        print(f"{name}: {label} ...", flush=True)
        ev = evaluate_models(
            task, [model], seeds, name=name, params={model: params}, keep_predictions=True
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
    return merged, task.table("test")["label"].to_numpy(dtype=float)


def paired_against(evaluation, task_labels: np.ndarray, reference: str = BASELINE) -> list[dict]:
    """Each model's test AUROC minus ``reference``'s on the same examples
    (probabilities averaged over seeds), with a paired bootstrap interval."""

    def mean_probability(model: str) -> np.ndarray:
        runs = [r for r in evaluation.runs if r.model == model]
        return np.mean([r.test_predictions["probability"].to_numpy() for r in runs], axis=0)

    ref = mean_probability(reference)
    out = []
    for model in dict.fromkeys(r.model for r in evaluation.runs):
        if model == reference:
            continue
        result = paired_bootstrap(task_labels, mean_probability(model), ref, auroc)
        out.append({"task": evaluation.task, "model": model, "reference": reference})
        out[-1].update(result.to_dict())
    return out


def paired_markdown(rows: list[dict]) -> str:
    lines = [
        "## Paired comparison with gbdt (max_hops=1)",
        "",
        "Test AUROC of each model minus gbdt (max_hops=1)'s on the same test examples "
        "(probabilities averaged over seeds); 95 % interval and the share of 1,000 "
        "bootstrap resamples of the examples in which the model scored higher.",
        "",
        "| setting | model | difference | 95 % interval | resamples where higher |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['model']} | {r['difference']:+.4f} | "
            f"{r['low']:+.4f} .. {r['high']:+.4f} | {100 * r['p_better']:.1f} % |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--shocks", default="3.5,10", help="product_shock values, comma-separated")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    shocks = [float(s) for s in args.shocks.split(",")]
    evaluations, paired = [], []
    for shock in shocks:
        evaluation, labels = run_setting(args.scale, shock, args.seeds)
        evaluations.append(evaluation)
        paired += paired_against(evaluation, labels)
    report = Report("ecommerce demo: multi-hop signal", evaluations)
    report.write(args.out)
    section = paired_markdown(paired)
    with open(args.out / "report.md", "a") as f:
        f.write("\n" + section)
    (args.out / "paired.json").write_text(json.dumps(paired, indent=2) + "\n")
    print(section)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
