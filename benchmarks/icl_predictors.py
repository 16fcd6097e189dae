"""Benchmark: the in-context model's predictors side by side, in one run.

``icl-lightgbm`` fits a small LightGBM model on the context at query time;
``icl-transformer`` predicts with the pre-trained context transformer (no
fitting); ``icl-blend`` averages both. Each is scored on the same test
examples, with the same context, features and mode, under the rolling
protocol (each example sees all rows up to its own anchor) and, for rel-f1,
also RelBench's (the database cut at the test time):

- rel-f1 (from the raw CSVs, skipped when absent): driver-dnf, driver-top3
  (AUROC), driver-position (MAE), driver-circuit-compete (MAP@10);
- the demo databases: ecommerce churn (AUROC), ecommerce 30-day spend (MAE),
  ecommerce first order's channel (multiclass), the products of the next
  30 days (RANK TOP 10), trials outcome (AUROC).

Reported per task and predictor: the test metric, its difference from
``icl-lightgbm``, and the prediction seconds over the whole test split.
Output goes to ``benchmarks/results/icl_predictors.json``.

Run::

    python -m benchmarks.icl_predictors [--raw ../shared/data/f1] [--mode fast]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from benchmarks.common import write_report

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "icl_predictors.json"
MODELS = ["icl-lightgbm", "icl-transformer", "icl-blend"]
F1_TASKS = ["driver-dnf", "driver-top3", "driver-position", "driver-circuit-compete"]
DEMO_QUERIES = {
    "ecommerce churn": (
        "ecommerce",
        "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id",
    ),
    "ecommerce spend": (
        "ecommerce",
        "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",
    ),
    "ecommerce channel": (
        "ecommerce",
        "PREDICT FIRST(orders.channel, 0, 30, days) FOR EACH customers.customer_id",
    ),
    "ecommerce basket": (
        "ecommerce",
        "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) RANK TOP 10 "
        "FOR EACH customers.customer_id",
    ),
    "trials outcome": (
        "trials",
        "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id",
    ),
}


def _rows(evaluation: Any, task_name: str) -> list[dict[str, Any]]:
    metric = evaluation.metrics[0]
    rows = []
    for run in evaluation.runs:
        suffix = "" if run.protocol == "rolling" else f" ({run.protocol})"
        rows.append(
            {
                "task": task_name + suffix,
                "model": run.model,
                "metric": metric,
                "test": run.scores["test"][metric],
                "predict_seconds": run.predict_seconds["test"],
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=Path("../shared/data/f1"))
    parser.add_argument("--mode", default="fast", choices=["fast", "normal", "best"])
    parser.add_argument("--scale", type=float, default=0.5, help="demo database size")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    import relgraph as rg
    from relgraph.bench.demo import make_ecommerce
    from relgraph.bench.demo.trials import make_trials
    from relgraph.evaluate.evaluation import evaluate_models

    params = {model: {"mode": args.mode} for model in MODELS}
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    if args.raw.is_dir():
        from relgraph.bench.runner import run_rel_f1

        report = run_rel_f1(
            args.raw, MODELS, seeds=[0], protocol="both", tasks=F1_TASKS, params=params
        )
        for evaluation in report.evaluations:
            rows += _rows(evaluation, f"rel-f1 {evaluation.task}")
    else:
        print(f"skipping rel-f1: {args.raw} not found")
    databases = {
        "ecommerce": rg.connect(make_ecommerce(scale=args.scale)),
        "trials": rg.connect(make_trials(scale=args.scale)),
    }
    for name, (database, query) in DEMO_QUERIES.items():
        task = rg.Task.from_query(databases[database], query)
        evaluation = evaluate_models(task, MODELS, seeds=[0], params=params)
        rows += _rows(evaluation, name)
    seconds = time.perf_counter() - start

    reference = {r["task"]: r["test"] for r in rows if r["model"] == "icl-lightgbm"}
    print(f"{'task':<30} {'model':<16} {'metric':<9} {'test':>8} {'vs lgbm':>8} {'predict s':>10}")
    for r in rows:
        r["minus_lightgbm"] = r["test"] - reference[r["task"]]
        print(
            f"{r['task']:<30} {r['model']:<16} {r['metric']:<9} {r['test']:>8.4f} "
            f"{r['minus_lightgbm']:>+8.4f} {r['predict_seconds']:>10.2f}"
        )
    write_report(
        args.out,
        "icl_predictors",
        {"mode": args.mode, "scale": args.scale, "seconds": seconds, "rows": rows},
    )


if __name__ == "__main__":
    main()
