"""Benchmark: warm ``POST /predict`` through ``relgraph serve`` (a real
uvicorn server on loopback), issue 22's target: p50 at most 0.3 s.

Cases, each a DuckDB file served as ``relgraph serve FILE`` serves it:

- ecommerce: the demo shop (``make_ecommerce(scale=0.5)``), churn of 1,000
  of its customers (``entities``, as ``benchmarks/icl_latency.py``);
- rel-f1 (when ``--raw`` exists): the file ``relgraph demo rel-f1`` writes,
  top-3 qualifying of the drivers active in the last year.

For each case, after two warm-up requests, questions the server has not
answered before, one at a time (the server's kept answer cannot serve
them), each as the client sees it (p50/p99) with the server's own steps
(labels, features, prediction: medians) to say where the time goes:

- ``first_time``: the server keeps a model per question and the feature
  rows of the database (``relgraph.serve.warm``); what it has not computed
  for an earlier question (or filled in since) it computes now. A warm
  server has finished its start-up work (the suggested questions) first:

  - ``other_entities``: ecommerce, the churn question for 1,000 customers
    (each request another window of 1,000 ids, 187 further on: the windows
    overlap); rel-f1, the question for its active drivers less another one
    each time. The context of the question is the same; the query rows'
    features were filled in after the first question
    (:mod:`relgraph.serve.prefetch`) or computed now;
  - ``one_other_entity``: the question for one entity per request, with
    its reasons (an application asking about the customer in front of it;
    rel-f1: each of the active drivers in turn);
  - ``other_anchor``: the question as of an anchor time not asked before
    (a week earlier each time: new labels, new context, new feature rows);
  - ``other_query``: a question never asked (another condition, window or
    target over the same entities: only feature rows that another question
    computed are reused);

- ``computed``: the same question with ``fresh: true``: a new model (its
  labels, context choice and history computed again; the database's
  relational feature rows are kept), for the default predictor and for
  ``lightgbm``, and the same ``rg.predict`` called in-process on a database
  connected for it (nothing kept: the cold figure);
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
import pandas as pd
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

#: Questions a warm server has not been asked (``other_query``): other
#: conditions, windows and targets over the same entities.
SHOP_OTHERS = [
    "PREDICT COUNT(orders.*, 0, 30, days) > 1 FOR EACH customers.customer_id",
    "PREDICT COUNT(orders.*, 0, 30, days) > 2 FOR EACH customers.customer_id",
    "PREDICT COUNT(orders.*, 0, 60, days) = 0 FOR EACH customers.customer_id",
    "PREDICT COUNT(orders.*, 0, 14, days) = 0 FOR EACH customers.customer_id",
    "PREDICT SUM(orders.amount, 0, 30, days) > 50 FOR EACH customers.customer_id",
    "PREDICT SUM(orders.amount, 0, 30, days) > 150 FOR EACH customers.customer_id",
    "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",
    "PREDICT COUNT(orders.*, 0, 30, days) FOR EACH customers.customer_id",
    "PREDICT COUNT(reviews.*, 0, 30, days) > 0 FOR EACH customers.customer_id",
    "PREDICT MAX(orders.amount, 0, 30, days) > 100 FOR EACH customers.customer_id",
]
ACTIVE = "WHERE COUNT(results.*, -365, 0, days) > 0"
F1_OTHERS = [
    f"PREDICT MIN(qualifying.position, 0, 30, days) <= {k} FOR EACH drivers.driverId {ACTIVE}"
    for k in (1, 2, 5, 10)
] + [
    f"PREDICT COUNT(results.*, 0, 30, days) > 0 FOR EACH drivers.driverId {ACTIVE}",
    f"PREDICT MIN(results.positionOrder, 0, 30, days) <= 3 FOR EACH drivers.driverId {ACTIVE}",
    f"PREDICT MIN(results.positionOrder, 0, 30, days) <= 10 FOR EACH drivers.driverId {ACTIVE}",
    f"PREDICT SUM(results.points, 0, 30, days) FOR EACH drivers.driverId {ACTIVE}",
    f"PREDICT MIN(qualifying.position, 0, 60, days) <= 3 FOR EACH drivers.driverId {ACTIVE}",
    f"PREDICT MAX(results.points, 0, 30, days) > 0 FOR EACH drivers.driverId {ACTIVE}",
]


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


def first_time(client: httpx.Client, bodies: list[dict[str, Any]], what: str) -> dict[str, Any]:
    """Each of ``bodies`` once, in turn: questions not asked before (the
    answer is not kept; whatever the server kept from earlier ones it reuses)."""
    latencies, answers, errors = [], [], []
    for body in bodies:
        start = time.perf_counter()
        got = client.post("/predict", json=body)
        if got.status_code != 200:
            errors.append(got.json()["error"]["message"][:160])
            continue
        latencies.append(time.perf_counter() - start)
        answers.append(got.json())
        assert not answers[-1]["cached"]
    summary = LoadResult(latencies, [200] * len(latencies), sum(latencies)).summary()
    return {
        "what": what,
        "questions": len(bodies),
        "answered": len(answers),
        "not_answered": errors,
        "p50_s": summary["p50_s"],
        "p99_s": summary["p99_s"],
        "mean_s": summary["mean_s"],
        "server_steps_median_s": steps_median(answers),
        "entities_median": statistics.median(a["rows_total"] for a in answers),
        "meets_target": summary["p50_s"] <= TARGET_P50,
    }


def profile_top(
    path: Path, query: str, predictor: str | None, entities: list | None, top: int = 20
) -> list[str]:
    """The ``top`` functions by cumulative time in one cold ``rg.predict`` (a
    database connected for it; the libraries and the transformer loaded)."""
    import relgraph as rg

    rg.predict(rg.connect(path), query, predictor=predictor, entities=entities)
    db = rg.connect(path)
    profiler = cProfile.Profile()
    profiler.enable()
    rg.predict(db, query, predictor=predictor, entities=entities)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    lines = [line.rstrip() for line in text.getvalue().splitlines() if line.strip()]
    return lines[-top - 1 :]


def in_process(path: Path, body: dict[str, Any], repeat: int) -> float:
    """Median seconds of the same ``rg.predict`` called directly (no HTTP),
    each on a database connected for it: nothing kept from an earlier call."""
    import relgraph as rg

    options = {"entities": body.get("entities"), "predictor": body.get("predictor")}
    rg.predict(rg.connect(path), body["query"], **options)
    times = []
    for _ in range(repeat):
        db = rg.connect(path)
        start = time.perf_counter()
        rg.predict(db, body["query"], **options)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def wait_for_suggestions(client: httpx.Client, limit_s: float = 600.0) -> float | None:
    """Seconds until ``GET /suggest`` is no longer computing (``None``: not
    within ``limit_s``)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        if client.get("/suggest").json()["status"] != "computing":
            return round(time.perf_counter() - start, 2)
        time.sleep(0.5)
    return None


def run_case(
    name: str,
    path: Path,
    query: str,
    args: argparse.Namespace,
    others: list[str],
    entities: list | None = None,
    all_ids: list | None = None,
) -> dict[str, Any]:
    from relgraph.serve import BackgroundServer, ServeSettings, create_app
    from relgraph.serve.load import run_load

    print(f"{name}: serving {path}", flush=True)
    app = create_app(ServeSettings(str(path), max_in_flight=16))
    out: dict[str, Any] = {
        "query": query,
        "entities_asked": len(entities or []),
        # other work on the machine slows every figure: its load, as it was
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "computed": {},
    }
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=300) as c:
        # a warm server has done its start-up work: the suggested questions
        # run in the background and share the database (and the two cores)
        out["suggestions_ready_s"] = wait_for_suggestions(c)
        # warm: the question once (its model kept), as a user would have asked it
        latest = c.post("/predict", json={"query": query, "entities": entities}).json()
        out["first_time"] = {}
        latest_time = pd.Timestamp(latest["anchor_time"])
        if all_ids is not None:
            step = max(1, (len(all_ids) - len(entities or [])) // args.repeat)
            bodies = [
                {"query": query, "entities": all_ids[(i + 1) * step : (i + 1) * step + 1000]}
                for i in range(args.repeat)
            ]
            out["first_time"]["other_entities"] = first_time(
                c, bodies, "the question for 1,000 entities not asked about before"
            )

        # one entity per request (rel-f1: each of the drivers the question found)
        key = latest["columns"][0]
        if all_ids is None:  # rel-f1: its few entities, less another one each time
            found = [row[key] for row in latest["rows"]]
            bodies = [
                {"query": query, "entities": found[:i] + found[i + 1 :]}
                for i in range(min(args.repeat, len(found)))
            ]
            out["first_time"]["other_entities"] = first_time(
                c, bodies, f"the question for its {len(found) - 1} entities less another each time"
            )
        candidates = all_ids or [row[key] for row in latest["rows"]]
        single = [i for i in candidates if i not in set(entities or [])][: args.repeat]
        bodies = [{"query": query, "entities": [i], "explain": True} for i in single]
        out["first_time"]["one_other_entity"] = first_time(
            c, bodies, "the question for one entity not asked about alone before, with reasons"
        )
        bodies = [
            {
                "query": query,
                "entities": entities,
                "anchor_time": str(latest_time - pd.Timedelta(days=7 * (i + 1))),
            }
            for i in range(args.repeat)
        ]
        out["first_time"]["other_anchor"] = first_time(
            c, bodies, "the question as of an anchor time not asked before (a week earlier each)"
        )
        bodies = [{"query": q, "entities": entities} for q in others]
        out["first_time"]["other_query"] = first_time(
            c, bodies, "a question never asked, over the same entities"
        )
        for step_name, result in out["first_time"].items():
            print(f"  first time, {step_name}: {result}", flush=True)
        for predictor in (None, "lightgbm"):
            body = {"query": query, "predictor": predictor, "entities": entities}
            result = computed(c, body, args.repeat)
            # the server idle meanwhile: what HTTP and JSON add
            result["in_process_cold_median_s"] = in_process(path, body, max(3, args.repeat // 4))
            out["computed"][predictor or "default"] = result
            print(f"  computed, predictor {predictor or 'default'}: {result}", flush=True)
        body = {"query": query, "entities": entities}
        c.post("/predict", json=body).raise_for_status()
        kept = run_load(server.url, "/predict", [body] * 200, concurrency=8)
        out["kept"] = kept.summary()
        print(f"  kept answers, 8 at a time: {out['kept']}", flush=True)
        if args.load > 0:
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
        out["profile_default_predictor"] = profile_top(path, query, None, entities)
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
        with duckdb.connect(str(shop), read_only=True) as con:
            rows = con.sql("SELECT customer_id FROM customers ORDER BY customer_id")
            all_ids = [int(r[0]) for r in rows.fetchall()]
        cases["ecommerce churn"] = run_case(
            "ecommerce churn", shop, CHURN, args, SHOP_OTHERS[: args.repeat], ids, all_ids
        )
        if (args.raw / "races.csv").exists():
            from relgraph.bench.rel_f1 import load_rel_f1

            db = load_rel_f1(args.raw)
            f1 = Path(tmp) / "f1.duckdb"
            write_duckdb({t: db.table(t) for t in db.schema.tables}, f1)
            cases["rel-f1 driver-top3 active"] = run_case(
                "rel-f1", f1, TOP3, args, F1_OTHERS[: args.repeat]
            )
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
