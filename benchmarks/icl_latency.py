"""Benchmark: how long ``rg.predict`` (the ``icl`` path of ``relgraph predict``)
takes after the database is loaded, split into its steps.

Cases (issue 7's latency targets):

- rel-f1, as built by ``relgraph bench rel-f1`` from the raw CSVs: the three
  driver node tasks, for the drivers with a result in the year before the
  anchor (the latest time in the database), ``fast`` mode; target under 1 s;
- the ecommerce demo database (``make_ecommerce(scale=0.5)``): churn of
  1,000 customers, ``fast`` mode; target under 2 s.

Each case runs with the default (each query's context chooses among the
predictors and simple rules) and with each predictor (``lightgbm``,
``transformer``, ``blend``) asked for.

Each case runs once to warm up (imports, DuckDB's first plans), then
``--repeat`` times, each the first question on a database file connected for
it (the connection not timed: a user's process after ``rg.connect``, with
nothing of an earlier question kept); the report gives the median of each
step (labels: the task and the entities; features; prediction: the fit on
the context, the predictions and their reasons) and of the total. Beside it,
``again_total``: the same question again on that database, which keeps its
feature rows (a warm process: ``relgraph serve``, a notebook asking twice).

Modes: rel-f1 driver-dnf in ``normal`` and ``best`` (5,000 and 20,000 context
examples; their default predictor, ``blend``), timed the same way, beside
``fast``.

Cold start, as a user meets it: ``relgraph predict`` in a fresh process on the
file ``relgraph demo rel-f1`` writes (dnf, the active drivers), ``--repeat``
times: its wall time and the steps it prints (``startup`` is importing torch
and loading the transformer). Beside it, in the same run, what importing
``lightgbm`` and ``scipy.stats`` costs in a fresh process (the ``fast`` path
no longer imports either). Output goes to ``benchmarks/results/icl_latency.json``.

Run::

    python -m benchmarks.icl_latency [--raw ../shared/data/f1] [--repeat 5]
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import latency_arguments, write_report

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "icl_latency.json"
# The bench's driver queries (relgraph.bench.rel_f1_tasks), asked of the drivers
# active in the last year; dnf without its ASSUMING, which conditions on the future.
ACTIVE = " WHERE COUNT(results.*, -365, 0, days) > 0"
F1_QUERIES = {
    "driver-dnf": "PREDICT COUNT(results.* WHERE results.statusId != 1, 0, 30, days) > 0 "
    "FOR EACH drivers.driverId" + ACTIVE,
    "driver-top3": "PREDICT MIN(qualifying.position, 0, 30, days) <= 3 FOR EACH drivers.driverId"
    + ACTIVE,
    "driver-position": "PREDICT AVG(results.positionOrder, 0, 60, days) FOR EACH drivers.driverId"
    + ACTIVE,
}
CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
TARGETS = {"rel-f1": 1.0, "ecommerce": 2.0}
#: Each case runs with the default (None: chosen per query on the context's
#: latest window) and with each predictor of the icl model, side by side.
PREDICTORS = (None, "lightgbm", "transformer", "blend")


def time_case(
    connect: Callable[[], Any],
    query: str,
    repeat: int,
    entities: list | None = None,
    predictor: str | None = "lightgbm",
    mode: str = "fast",
) -> dict[str, Any]:
    """Median seconds per step of ``rg.predict`` over ``repeat`` runs (after
    one warm-up), each the first question on a database ``connect()`` has just
    opened (not timed): nothing of an earlier question is kept. Beside it,
    ``again_total``: the same question asked again on that database, whose
    feature rows it keeps (what a warm process such as ``relgraph serve`` sees)."""
    import relgraph as rg

    kwargs = {"entities": entities, "predictor": predictor, "mode": mode}
    rg.predict(connect(), query, **kwargs)  # imports, DuckDB's first plans, the file cache
    runs, again = [], []
    for _ in range(repeat):
        db = connect()
        start = time.perf_counter()
        pred = rg.predict(db, query, **kwargs)
        total = time.perf_counter() - start
        runs.append({**pred.attrs["timings"], "total": total})
        start = time.perf_counter()
        rg.predict(db, query, **kwargs)
        again.append(time.perf_counter() - start)
    steps = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return {
        "query": query,
        "entities": len(pred),
        "anchor_time": pred.attrs["anchor_time"],
        "context_examples": pred.attrs["context"]["examples"],
        "seconds": steps,
        "again_total": statistics.median(again),
        "runs": runs,
    }


def cold_cli(raw: Path, repeat: int) -> dict[str, Any]:
    """Median wall seconds of ``relgraph predict`` in a fresh process on rel-f1,
    the steps it prints, and fresh-process import times of what it avoids."""
    import re
    import subprocess
    import sys
    import tempfile

    relgraph = str(Path(sys.executable).with_name("relgraph"))
    with tempfile.TemporaryDirectory() as folder:
        f1 = str(Path(folder) / "f1.duckdb")
        subprocess.run([relgraph, "demo", "rel-f1", "--raw", str(raw), "--out", f1], check=True)
        walls, steps = [], []
        for _ in range(repeat + 1):  # the first run warms the disk cache
            start = time.perf_counter()
            done = subprocess.run(
                [relgraph, "predict", f1, F1_QUERIES["driver-dnf"], "--limit", "1"],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "COLUMNS": "300"},
            )
            walls.append(time.perf_counter() - start)
            printed = " ".join(done.stderr.split())
            steps.append({k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+) s", printed)})
    imports = {}
    for module in ("torch", "lightgbm", "scipy.stats"):
        code = (
            f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        )
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(repeat)
        ]
        imports[module] = statistics.median(runs)
    keys = set.intersection(*(set(s) for s in steps[1:]))
    return {
        "query": F1_QUERIES["driver-dnf"],
        "wall": statistics.median(walls[1:]),
        "steps": {k: statistics.median(s[k] for s in steps[1:]) for k in sorted(keys)},
        "fresh_process_import_seconds": imports,
    }


def main() -> None:
    args = latency_arguments(__doc__, repeat=5, out=DEFAULT_OUT)

    import duckdb
    import pandas as pd

    import relgraph as rg
    from relgraph.bench.demo import make_ecommerce, write_duckdb

    cases: dict[str, Any] = {}
    modes: dict[str, Any] = {}
    folder = Path(tempfile.mkdtemp(prefix="icl_latency_"))
    if args.raw.is_dir():
        from relgraph.bench.rel_f1 import load_rel_f1

        loaded = load_rel_f1(args.raw)
        write_duckdb({t: loaded.table(t) for t in loaded.schema.tables}, folder / "f1.duckdb")
        start = time.perf_counter()
        rg.connect(folder / "f1.duckdb")
        loading = time.perf_counter() - start

        def f1() -> Any:
            return rg.connect(folder / "f1.duckdb")

        for name, query in F1_QUERIES.items():
            for predictor in PREDICTORS:
                case = time_case(f1, query, args.repeat, predictor=predictor)
                cases[f"rel-f1 {name} {predictor or 'default'}"] = {
                    "dataset": "rel-f1",
                    "predictor": predictor or "default",
                    "loading": loading,
                    **case,
                }
        for mode in ("normal", "best"):
            modes[mode] = time_case(f1, F1_QUERIES["driver-dnf"], args.repeat, None, None, mode)
    else:
        print(f"skipping rel-f1: {args.raw} not found")

    write_duckdb(make_ecommerce(scale=0.5), folder / "shop.duckdb")
    start = time.perf_counter()
    first = rg.connect(folder / "shop.duckdb")
    loading = time.perf_counter() - start
    customers = first.con.sql("SELECT customer_id FROM customers ORDER BY customer_id").df()
    entities = customers["customer_id"].head(1000).tolist()

    def shop() -> Any:
        return rg.connect(folder / "shop.duckdb")

    for predictor in PREDICTORS:
        case = time_case(shop, CHURN, args.repeat, entities, predictor)
        cases[f"ecommerce churn {predictor or 'default'}"] = {
            "dataset": "ecommerce",
            "predictor": predictor or "default",
            "loading": loading,
            **case,
        }

    print(
        f"{'case':<40} {'entities':>8} {'labels':>7} {'features':>9} {'predict':>8} "
        f"{'total':>7} {'target':>7} {'':>7} {'again':>6}"
    )
    for name, case in cases.items():
        s = case["seconds"]
        target = TARGETS[case["dataset"]]
        print(
            f"{name:<40} {case['entities']:>8} {s['labels']:>7.3f} {s['features']:>9.3f} "
            f"{s['prediction']:>8.3f} {s['total']:>7.3f} {'<' + str(target):>7} "
            f"{'met' if s['total'] < target else 'NOT met':>7} {case['again_total']:>6.3f}"
        )
    for mode, case in modes.items():
        s = case["seconds"]
        print(
            f"rel-f1 driver-dnf {mode} (blend, {case['context_examples']:,} context): labels "
            f"{s['labels']:.2f} s, features {s['features']:.2f} s, prediction "
            f"{s['prediction']:.2f} s, total {s['total']:.2f} s"
        )
    cold = None
    if args.raw.is_dir():
        cold = cold_cli(args.raw, args.repeat)
        s = cold["steps"]
        print(
            f"cold relgraph predict on rel-f1 (dnf): wall {cold['wall']:.2f} s; "
            + ", ".join(f"{k} {v:.2f} s" for k, v in s.items())
        )
        print(
            "fresh-process imports: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in cold["fresh_process_import_seconds"].items())
        )
    shutil.rmtree(folder, ignore_errors=True)
    write_report(
        args.out,
        "icl_latency",
        {
            "repeat": args.repeat,
            "targets_seconds": TARGETS,
            "cases": cases,
            "modes": modes,
            "cold_cli": cold,
        },
        duckdb=duckdb.__version__,
        pandas=pd.__version__,
    )


if __name__ == "__main__":
    main()
