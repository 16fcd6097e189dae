"""Benchmark: is the default prediction the best one on databases it has never seen?

Every task of the real-database corpus (``benchmarks/corpus/tasks.toml``), of
the two demo databases and of rel-f1 (``benchmarks/generalization_tasks.toml``;
rel-f1 when ``--raw`` holds its CSVs) is scored on its test split for:

- ``icl``: relgraph's default (``fast`` mode; per query it chooses among the
  pre-trained transformer, LightGBM on the context, their blend and the simple
  rules, on the context's latest labelled window);
- ``icl-transformer``: the pre-trained transformer alone (the default before
  that choice), and ``icl-normal`` with ``--models``;
- ``gbdt`` (trained), relgraph's ``baseline`` and ``prior``;
- the simple baselines an analyst tries first, from the labels: ``last`` (copy
  the last window), ``past mean`` (the entity's own past rate or mean),
  ``last year`` (a row-level target's mean over the year's earlier rows) and
  ``global mean`` (see ``benchmarks/corpus_predictions.py``).

One table, one row per task, then a summary per icl variant: on how many tasks
it is at or above the best simple baseline, its mean gap to that baseline
(positive = better) and its mean relative gap to gbdt (positive = worse, as the
issue states its target). Rolling protocol, seed 0.

Run::

    python -m benchmarks.icl_generalization [--raw ../shared/data/f1] [--db NAME ...]
        [--models icl,icl-transformer,gbdt,baseline,prior] [--json PATH]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import CORPUS
from benchmarks.corpus_predictions import (
    TaskResult,
    below_beyond_noise,
    load_tasks,
    parse_params,
    render,
    report,
    run_task,
)

EXTRA_TASKS = Path(__file__).resolve().parent / "generalization_tasks.toml"
DEFAULT_MODELS = ("icl", "icl-transformer", "gbdt", "baseline", "prior")
#: Size of the demo databases (a fraction of ``relgraph demo``'s default).
DEMO_SCALE = 0.5
EXTRA_DATABASES = ("ecommerce", "trials", "rel-f1")


def connect_extra(raw: Path) -> Any:
    """``connect(name, sample_rows)`` for the corpus, the demos and rel-f1."""

    def connect(name: str, sample_rows: int | None) -> Any:
        import relgraph as rg

        if name == "ecommerce":
            from relgraph.bench.demo import make_ecommerce

            return rg.connect(make_ecommerce(scale=DEMO_SCALE))
        if name == "trials":
            from relgraph.bench.demo.trials import make_trials

            return rg.connect(make_trials(scale=DEMO_SCALE))
        if name == "rel-f1":
            from relgraph.bench.rel_f1 import load_rel_f1

            return load_rel_f1(raw)
        return rg.connect(CORPUS[name].source(sample_rows=sample_rows))

    return connect


def gbdt_gap(r: TaskResult, model: str) -> float:
    """``model``'s relative gap to gbdt on one task, positive when it is worse."""
    value, ref = r.scores.get(model, math.nan), r.scores.get("gbdt", math.nan)
    if not (math.isfinite(value) and math.isfinite(ref)) or ref == 0:
        return math.nan
    sign = -1.0 if r.higher_is_better else 1.0
    return sign * (value - ref) / abs(ref)


def icl_summary(results: list[TaskResult], models: list[str]) -> list[str]:
    """Per icl variant: tasks at or above the best simple baseline, mean gap to
    it, and mean relative gap to gbdt."""
    ran = [r for r in results if not r.skipped and not r.task.caveat]
    lines = []
    for model in (m for m in models if m.startswith("icl")):
        gaps = [g for g in (r.gap(model) for r in ran) if math.isfinite(g)]
        to_gbdt = [g for g in (gbdt_gap(r, model) for r in ran) if math.isfinite(g)]
        below = [r.task.label for r in ran if math.isfinite(r.gap(model)) and r.gap(model) < 0]
        beyond = [r.task.label for r in ran if below_beyond_noise(r, model)]
        mean_gap = f"{100 * np.mean(gaps):+.1f}%" if gaps else "-"
        gbdt = f"{100 * np.mean(to_gbdt):+.1f}%" if to_gbdt else "-"
        lines.append(
            f"- {model}: at or above the best simple baseline on {len(gaps) - len(below)}/"
            f"{len(gaps)} tasks (mean gap {mean_gap}, positive = better); mean gap to gbdt "
            f"{gbdt} over {len(to_gbdt)} tasks (positive = worse); below: "
            f"{', '.join(below) or 'none'}; of those, beyond the noise (95% paired bootstrap "
            f"over test examples): {', '.join(beyond) or 'none'}"
        )
    return lines


def main(argv: list[str] | None = None) -> list[TaskResult]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=Path("../shared/data/f1"))
    known = sorted([*CORPUS, *EXTRA_DATABASES])
    parser.add_argument("--db", action="append", choices=known, help="repeatable; default all")
    parser.add_argument("--task", action="append", help="a task name (repeatable; default all)")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--param", action="append", default=[], help="model.name=value")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    tasks = [*load_tasks(), *load_tasks(EXTRA_TASKS, databases=EXTRA_DATABASES)]
    tasks = [
        t
        for t in tasks
        if (not args.db or t.db in args.db) and (not args.task or t.name in args.task)
    ]
    if not args.raw.is_dir():
        print(f"skipping rel-f1: {args.raw} not found")
        tasks = [t for t in tasks if t.db != "rel-f1"]
    connect = connect_extra(args.raw)
    databases: dict[str, Any] = {}
    results = []
    start = time.perf_counter()
    for t in tasks:
        results.append(
            run_task(t, models, None, parse_params(args.param), databases, connect=connect)
        )
        r = results[-1]
        if r.skipped:
            print(f"{t.label}: skipped: {r.skipped}", flush=True)
        else:
            scores = ", ".join(f"{k} {v:.4g}" for k, v in r.scores.items())
            print(f"{t.label} ({r.metric}): {scores}; {r.seconds:.0f} s", flush=True)
    print()
    print(render(results, models))
    print()
    print("The default against the simple baselines and gbdt:")
    lines = icl_summary(results, models)
    print("\n".join(lines))
    print(f"\n{time.perf_counter() - start:.0f} s in all")
    if args.json:
        from benchmarks.common import write_report

        document = report(results, models, None) | {"icl_summary": lines}
        write_report(args.json, "icl_generalization", document)
    return results


if __name__ == "__main__":
    main()
