"""Benchmark: warm ``POST /predict`` through ``relgraph serve`` (a real
uvicorn server on loopback), issue 22's target: p50 at most 0.3 s.

Cases, each a DuckDB file served as ``relgraph serve FILE`` serves it:

- ecommerce: the demo shop (``make_ecommerce(scale=0.5)``), churn of 1,000
  of its customers (``entities``, as ``benchmarks/icl_latency.py``);
- rel-f1 (when ``--raw`` exists): the file ``relgraph demo rel-f1`` writes,
  top-3 qualifying of the drivers active in the last year.

For each case, after two warm-up requests:

- ``computed``: ``--repeat`` requests one at a time with ``fresh: true``
  (every answer computed), for the default predictor and for ``lightgbm``;
  latency p50/p99 as the client sees it, and the server's own steps
  (labels, features, prediction: medians) to say where the time goes, and
  the same ``rg.predict`` called in-process (what HTTP and JSON add);
- ``kept``: 200 requests, 8 at a time, of a question already answered (the
  server keeps answers per database version; any change to the files drops
  them);
- ``load``: ``--load`` requests, 8 at a time, every one computed: p50, p99,
  throughput, errors, and the server's resident memory before, halfway and
  after.

Beside them, a profile of one in-process ``rg.predict`` of the case (the
functions with the most cumulative time), as the server runs it.

Run::

    python -m benchmarks.serve_latency [--raw ../shared/data/f1] [--repeat 20] [--load 64]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psutil

from benchmarks.common import write_report
from relgraph.serve.load import LoadResult

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "serve_latency.json"
TARGET_P50 = 0.3
CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
TOP3 = (
    "PREDICT MIN(qualifying.position, 0, 30, days) <= 3 FOR EACH drivers.driverId "
    "WHERE COUNT(results.*, -365, 0, days) > 0"
)


def rss_mb() -> float:
    gc.collect()
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def steps_median(answers: list[dict[str, Any]]) -> dict[str, float]:
    steps = {k for a in answers for k in a["timings"]} | {"seconds"}
    out = {}
    for step in sorted(steps):
        values = [
            a["seconds"] if step == "seconds" else a["timings"].get(step, 0.0) for a in answers
        ]
        out["server_total" if step == "seconds" else step] = round(statistics.median(values), 4)
    return out


def computed(client: httpx.Client, body: dict[str, Any], repeat: int) -> dict[str, Any]:
    """``repeat`` computed answers, one at a time (every row sent back)."""
    for _ in range(2):
        client.post("/predict", json={**body, "fresh": True}).raise_for_status()
    latencies, answers = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        got = client.post("/predict", json={**body, "fresh": True})
        latencies.append(time.perf_counter() - start)
        got.raise_for_status()
        answers.append(got.json())
    summary = LoadResult(latencies, [200] * repeat, sum(latencies)).summary()
    return {
        "p50_s": summary["p50_s"],
        "p99_s": summary["p99_s"],
        "mean_s": summary["mean_s"],
        "server_steps_median_s": steps_median(answers),
        "entities": answers[-1]["rows_total"],
        "predictor_used": answers[-1]["predictor"],
        "context_examples": answers[-1]["context"].get("examples"),
        "meets_target": summary["p50_s"] <= TARGET_P50,
    }


def profile_top(
    db: Any, query: str, predictor: str | None, entities: list | None, top: int = 20
) -> list[str]:
    """The ``top`` functions by cumulative time in one warm ``rg.predict``."""
    import relgraph as rg

    rg.predict(db, query, predictor=predictor, entities=entities)
    profiler = cProfile.Profile()
    profiler.enable()
    rg.predict(db, query, predictor=predictor, entities=entities)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    lines = [line.rstrip() for line in text.getvalue().splitlines() if line.strip()]
    return lines[-top - 1 :]


def in_process(db: Any, body: dict[str, Any], repeat: int) -> float:
    """Median seconds of the same ``rg.predict`` called directly (no HTTP)."""
    import relgraph as rg

    options = {"entities": body.get("entities"), "predictor": body.get("predictor")}
    rg.predict(db, body["query"], **options)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        rg.predict(db, body["query"], **options)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def run_case(
    name: str, path: Path, query: str, args: argparse.Namespace, entities: list | None = None
) -> dict[str, Any]:
    from relgraph.serve import BackgroundServer, ServeSettings, create_app
    from relgraph.serve.load import run_load

    print(f"{name}: serving {path}", flush=True)
    app = create_app(ServeSettings(str(path), max_in_flight=16))
    db = app.state.served.db
    out: dict[str, Any] = {
        "query": query,
        "entities_asked": len(entities or []),
        # other work on the machine slows every figure: its load, as it was
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "computed": {},
    }
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=300) as c:
        for predictor in (None, "lightgbm"):
            body = {"query": query, "predictor": predictor, "entities": entities}
            result = computed(c, body, args.repeat)
            # the server idle meanwhile: what HTTP and JSON add
            result["in_process_median_s"] = in_process(db, body, max(3, args.repeat // 4))
            out["computed"][predictor or "default"] = result
            print(f"  computed, predictor {predictor or 'default'}: {result}", flush=True)
        body = {"query": query, "entities": entities}
        c.post("/predict", json=body).raise_for_status()
        kept = run_load(server.url, "/predict", [body] * 200, concurrency=8)
        out["kept"] = kept.summary()
        print(f"  kept answers, 8 at a time: {out['kept']}", flush=True)
        # two halves: memory after each says whether it grows or levels off
        rss = [rss_mb()]
        bodies = [{**body, "fresh": True}] * (args.load // 2)
        halves = []
        for _ in range(2):
            halves.append(run_load(server.url, "/predict", bodies, concurrency=8))
            rss.append(rss_mb())
        load = LoadResult(
            halves[0].latencies + halves[1].latencies,
            halves[0].statuses + halves[1].statuses,
            halves[0].wall_seconds + halves[1].wall_seconds,
        )
        out["load"] = {**load.summary(), "rss_mb_before_half_after": rss}
        print(f"  computed answers, 8 at a time: {out['load']}", flush=True)
        out["profile_default_predictor"] = profile_top(db, query, None, entities)
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=Path("../shared/data/f1"))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--load", type=int, default=64)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    from relgraph.bench.demo import make_ecommerce, write_duckdb

    cases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        shop = Path(tmp) / "shop.duckdb"
        write_duckdb(make_ecommerce(scale=0.5), shop)
        # 1,000 customers, as benchmarks/icl_latency.py asks
        with duckdb.connect(str(shop), read_only=True) as con:
            rows = con.sql("SELECT customer_id FROM customers ORDER BY customer_id LIMIT 1000")
            ids = [int(r[0]) for r in rows.fetchall()]
        cases["ecommerce churn"] = run_case("ecommerce churn", shop, CHURN, args, ids)
        if (args.raw / "races.csv").exists():
            from relgraph.bench.rel_f1 import load_rel_f1

            db = load_rel_f1(args.raw)
            f1 = Path(tmp) / "f1.duckdb"
            write_duckdb({t: db.table(t) for t in db.schema.tables}, f1)
            cases["rel-f1 driver-top3 active"] = run_case("rel-f1", f1, TOP3, args)
        else:
            print(f"skipping rel-f1: {args.raw} not found")
    report = {
        "target_p50_seconds": TARGET_P50,
        "repeat": args.repeat,
        "load_requests": args.load,
        "cases": cases,
    }
    import fastapi
    import uvicorn

    write_report(
        args.out, "serve_latency", report, fastapi=fastapi.__version__, uvicorn=uvicorn.__version__
    )


if __name__ == "__main__":
    main()
