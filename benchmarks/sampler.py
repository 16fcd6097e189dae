"""Benchmark: temporal neighbor sampling on the ~10 M-row e-commerce graph.

Generates the e-commerce demo database with ``benchmarks.graph_build`` (once:
the DuckDB file and the built graph are cached under ``--cache``), then, for
batches of ``--batch-size`` seed customers with random anchor times within
the data's range (each seed a customer that exists at its anchor), for 2 hops
``[32, 16]`` and 3 hops ``[16, 8, 4]`` and both strategies, measures:

- ``sampler``: ``TemporalSampler.sample`` alone, in this process;
- ``loader``: ``TemporalLoader`` batches (sampling, ``HeteroData`` assembly
  and the gather of ``--feature-width`` random features per node), in this
  process, with a background thread (``prefetch=4``) and with 2 worker
  processes (``num_workers=2``);
- ``model``: forward + backward of a 2-layer ``HeteroConv(SAGEConv)`` GNN of
  width 128 (one ``SAGEConv`` per edge type, sum over edge types, linear head,
  BCE loss) on those batches;
- ``train loop``: the loader feeding that model (forward + backward per
  batch), in process, with the thread and with the workers: whether
  sampling hides behind the model.

Run::

    python -m benchmarks.sampler [--rows 10000000] [--batches 40]
        [--out benchmarks/results/sampler.json] [--cache DIR]

Sampled nodes count every node of a batch, seeds included; sampled edges
every edge of its ``edge_index``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.graph_build import _run_child

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "sampler.json"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "relgraph-bench-cache"
CONFIGS = [("2 hops", [32, 16]), ("3 hops", [16, 8, 4])]
STRATEGIES = ["last", "uniform"]
TARGET_EDGES_PER_SECOND = 3_000_000
WARMUP = 3


# ---------------------------------------------------------------- data


def load_graph(rows: int, seed: int, cache: Path) -> tuple[Any, dict[str, Any]]:
    """The graph of the generated database, built once and cached."""
    from relgraph.graph import TemporalGraph

    graph_dir = cache / f"ecommerce-{rows}-seed{seed}.graph"
    info_path = cache / f"ecommerce-{rows}-seed{seed}.json"
    if not (graph_dir / "manifest.json").is_file() or not info_path.is_file():
        import relgraph as rg

        cache.mkdir(parents=True, exist_ok=True)
        db_path = cache / f"ecommerce-{rows}-seed{seed}.duckdb"
        print(f"generating ~{rows:,} rows into {db_path} (once) ...", flush=True)
        generated = _run_child("generate", str(db_path), str(rows), str(seed), "0")
        start = time.perf_counter()
        graph = TemporalGraph.from_database(rg.connect(str(db_path)))
        generated["graph_seconds"] = time.perf_counter() - start
        graph.save(graph_dir)
        info_path.write_text(json.dumps(generated))
        del graph
    graph = TemporalGraph.load(graph_dir, mmap=False)
    return graph, json.loads(info_path.read_text())


def seed_batches(graph: Any, batches: int, batch_size: int, seed: int) -> list[tuple]:
    """``(customer rows, anchor times)`` per batch: anchors uniform over the
    orders' time range, customers uniform among those signed up by then."""
    rng = np.random.default_rng(seed)
    order_time = graph.node_time["orders"]
    low, high = int(order_time.min()), int(order_time.max())
    signup = graph.node_time["customers"]
    by_signup = np.argsort(signup, kind="stable")
    sorted_signup = signup[by_signup]
    out = []
    for _ in range(batches):
        anchor = rng.integers(low, high + 1, 4 * batch_size)
        existing = np.searchsorted(sorted_signup, anchor, side="right")
        keep = np.flatnonzero(existing > 0)[:batch_size]
        anchor, existing = anchor[keep], existing[keep]
        rows = by_signup[(rng.random(len(keep)) * existing).astype(np.int64)]
        out.append((rows, anchor.astype(np.int64)))
    return out


def random_features(graph: Any, width: int) -> dict[str, Any]:
    import torch

    generator = torch.Generator().manual_seed(0)
    return {
        t: torch.randn(graph.num_nodes(t), width, generator=generator) for t in graph.node_types
    }


# ---------------------------------------------------------------- model


def make_model(edge_types: list, width: int) -> Any:
    import torch
    from torch_geometric.nn import HeteroConv, SAGEConv

    class GNN(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.convs = torch.nn.ModuleList(
                HeteroConv({et: SAGEConv((-1, -1), width) for et in edge_types}, aggr="sum")
                for _ in range(2)
            )
            self.head = torch.nn.Linear(width, 1)

        def forward(self, data: Any, seed_type: str) -> Any:
            x = data.x_dict
            for conv in self.convs:
                x = {t: h.relu() for t, h in conv(x, data.edge_index_dict).items()}
            return self.head(x[seed_type][: data[seed_type].batch_size]).squeeze(-1)

    return GNN()


def train_step(model: Any, data: Any) -> None:
    import torch

    model.zero_grad(set_to_none=True)
    logits = model(data, "customers")
    target = torch.zeros_like(logits)
    torch.nn.functional.binary_cross_entropy_with_logits(logits, target).backward()


# ---------------------------------------------------------------- measurements


def _rates(seconds: list[float], nodes: list[int], edges: list[int]) -> dict[str, float]:
    """Per-batch figures from per-batch times: the median time (robust to
    other processes sharing the cores) and the mean; rates from the median."""
    median = float(np.median(seconds))
    return {
        "ms_per_batch": 1000 * median,
        "mean_ms_per_batch": 1000 * float(np.mean(seconds)),
        "nodes_per_second": float(np.mean(nodes)) / median,
        "edges_per_second": float(np.mean(edges)) / median,
    }


def measure_sampler(sampler: Any, batches: list[tuple]) -> dict[str, Any]:
    for rows, anchor in batches[:WARMUP]:
        sampler.sample("customers", rows, anchor, random_seed=0)
    seconds, nodes, edges = [], [], []
    for i, (rows, anchor) in enumerate(batches):
        start = time.perf_counter()
        out = sampler.sample("customers", rows, anchor, random_seed=i)
        seconds.append(time.perf_counter() - start)
        nodes.append(out.num_nodes())
        edges.append(out.num_edges())
    result = _rates(seconds, nodes, edges)
    result.update(nodes_per_batch=float(np.mean(nodes)), edges_per_batch=float(np.mean(edges)))
    return result


def _count(data: Any) -> tuple[int, int]:
    nodes = sum(int(data[t].num_nodes) for t in data.node_types)
    edges = sum(int(data[e].edge_index.size(1)) for e in data.edge_types)
    return nodes, edges


def make_loader(sampler: Any, batches: list[tuple], features: Any, **kwargs: Any) -> Any:
    from relgraph.graph import TemporalLoader

    rows = np.concatenate([b[0] for b in batches])
    anchor = np.concatenate([b[1] for b in batches])
    labels = np.zeros(len(rows), dtype=np.float32)
    return TemporalLoader(
        sampler,
        "customers",
        rows,
        anchor,
        labels,
        features=features,
        batch_size=len(batches[0][0]),
        shuffle=False,
        **kwargs,
    )


def measure_loader(loader: Any, model: Any = None) -> dict[str, Any]:
    """Time between batches over one epoch, the first ``WARMUP`` batches (and
    worker start-up) left out; with ``model``, each batch also gets a
    forward + backward before the next is fetched."""
    iterator = iter(loader)
    for _ in range(WARMUP):
        data = next(iterator)
        if model is not None:
            train_step(model, data)
    seconds, nodes, edges = [], [], []
    start = time.perf_counter()
    for data in iterator:
        if model is not None:
            train_step(model, data)
        now = time.perf_counter()
        seconds.append(now - start)
        start = now
        n, e = _count(data)
        nodes.append(n)
        edges.append(e)
    return _rates(seconds, nodes, edges)


def measure_model(model: Any, loader: Any) -> dict[str, Any]:
    data = list(loader)
    for d in data[:WARMUP]:
        train_step(model, d)
    seconds = []
    for d in data[WARMUP:]:
        start = time.perf_counter()
        train_step(model, d)
        seconds.append(time.perf_counter() - start)
    return {
        "fwd_bwd_ms_per_batch": 1000 * float(np.median(seconds)),
        "mean_fwd_bwd_ms_per_batch": 1000 * float(np.mean(seconds)),
    }


# ---------------------------------------------------------------- driver


def run(
    rows: int,
    batches: int,
    batch_size: int,
    feature_width: int,
    width: int,
    cache: Path,
    seed: int = 0,
    workers: int = 2,
) -> dict[str, Any]:
    import torch

    from relgraph.graph import TemporalSampler

    load_before = os.getloadavg()
    graph, generated = load_graph(rows, seed, cache)
    seeds = seed_batches(graph, batches + WARMUP, batch_size, seed)
    print(f"random features of width {feature_width} for {graph.num_nodes():,} nodes ...")
    features = random_features(graph, feature_width)
    # Warm up the process (allocator, lazy modules, first-touch memory) on
    # untimed batches, so that the first configuration is not penalized.
    warm_sampler = TemporalSampler(graph, CONFIGS[-1][1], strategy="last", random_seed=seed)
    warm_model = make_model(warm_sampler.edge_types, width)
    for data in make_loader(warm_sampler, seeds[: 2 * WARMUP], features):
        train_step(warm_model, data)
    del warm_model
    results = []
    for name, fanouts in CONFIGS:
        for strategy in STRATEGIES:
            label = f"{name} {fanouts} {strategy}"
            print(f"  {label} ...", flush=True)
            sampler = TemporalSampler(graph, fanouts, strategy=strategy, random_seed=seed)
            entry: dict[str, Any] = {"name": name, "fanouts": fanouts, "strategy": strategy}
            entry["sampler"] = measure_sampler(sampler, seeds[WARMUP:])
            modes = {
                "in_process": {},
                "thread": {"prefetch": 4},
                f"workers_{workers}": {"num_workers": workers, "prefetch": 4},
            }
            entry["loader"] = {
                mode: measure_loader(make_loader(sampler, seeds, features, **kw))
                for mode, kw in modes.items()
            }
            torch.manual_seed(0)
            model = make_model(sampler.edge_types, width)
            entry["model"] = measure_model(model, make_loader(sampler, seeds, features))
            entry["train_loop"] = {
                mode: measure_loader(make_loader(sampler, seeds, features, **kw), model)
                for mode, kw in modes.items()
            }
            entry["sampling_below_model"] = (
                entry["sampler"]["ms_per_batch"] < entry["model"]["fwd_bwd_ms_per_batch"]
            )
            results.append(entry)

    import torch_geometric

    two_hop_last = next(r for r in results if r["name"] == "2 hops" and r["strategy"] == "last")
    return {
        "benchmark": "sampler",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__,
        },
        "dataset": {
            "name": "ecommerce",
            "rows": sum(generated["tables"].values()),
            "scale": generated["scale"],
            "seed": seed,
            "tables": generated["tables"],
            "nodes": graph.num_nodes(),
            "edges": graph.num_edges(),
        },
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
        "timing": "ms_per_batch is the median over the batches (other processes share the "
        "cores); rates are mean nodes/edges per batch over that median; mean_ms_per_batch "
        "is the plain mean",
        "batch_size": batch_size,
        "batches": batches,
        "feature_width": feature_width,
        "model_width": width,
        "loader_workers": workers,
        "results": results,
        "target": {
            "edges_per_second_2hop_last": TARGET_EDGES_PER_SECOND,
            "met_edges_per_second": two_hop_last["sampler"]["edges_per_second"]
            >= TARGET_EDGES_PER_SECOND,
            "met_sampling_below_model": all(r["sampling_below_model"] for r in results),
        },
    }


def format_report(result: dict[str, Any]) -> str:
    data = result["dataset"]
    lines = [
        f"temporal sampler: ecommerce {data['rows']:,} rows, {data['edges']:,} edges; "
        f"{result['batches']} batches of {result['batch_size']} seed customers; "
        f"{result['machine']['cpu_count']} CPUs, "
        f"torch threads {result['machine']['torch_threads']}",
        f"  median ms per batch (load average before/after: "
        f"{result['load_average_before'][0]:.1f}/{result['load_average_after'][0]:.1f})",
        "",
        f"  {'config':<26}{'mode':<22}{'ms/batch':>9}{'nodes/s':>12}{'edges/s':>12}",
    ]
    for r in result["results"]:
        label = f"{r['name']} {r['fanouts']} {r['strategy']}"
        rows = [("sampler only", r["sampler"])]
        rows += [(f"loader {mode}", v) for mode, v in r["loader"].items()]
        for i, (mode, v) in enumerate(rows):
            lines.append(
                f"  {label if i == 0 else '':<26}{mode:<22}{v['ms_per_batch']:>9.1f}"
                f"{v['nodes_per_second'] / 1e6:>11.2f}M{v['edges_per_second'] / 1e6:>11.2f}M"
            )
        s = r["sampler"]
        lines.append(
            f"  {'':<26}per batch: {s['nodes_per_batch']:,.0f} nodes, {s['edges_per_batch']:,.0f}"
            " edges"
        )
    lines += [
        "",
        f"  GNN: 2 x HeteroConv(SAGEConv) width {result['model_width']}, features width "
        f"{result['feature_width']}; ms per batch",
        f"  {'config':<26}{'sampling':>9}{'fwd+bwd':>9}"
        + "".join(f"{'loop ' + m:>20}" for m in result["results"][0]["train_loop"]),
    ]
    for r in result["results"]:
        label = f"{r['name']} {r['fanouts']} {r['strategy']}"
        lines.append(
            f"  {label:<26}{r['sampler']['ms_per_batch']:>9.1f}"
            f"{r['model']['fwd_bwd_ms_per_batch']:>9.1f}"
            + "".join(f"{v['ms_per_batch']:>20.1f}" for v in r["train_loop"].values())
        )
    target = result["target"]
    lines += [
        "",
        f"  target: >= {TARGET_EDGES_PER_SECOND / 1e6:.0f}M sampled edges/s (2 hops, last, "
        f"one process): {'met' if target['met_edges_per_second'] else 'NOT met'}",
        "  target: sampling time per batch below the model's forward+backward: "
        f"{'met' if target['met_sampling_below_model'] else 'NOT met'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sampler", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="about this many rows")
    parser.add_argument("--batches", type=int, default=40, help="timed batches per measurement")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--feature-width", type=int, default=128)
    parser.add_argument("--width", type=int, default=128, help="GNN width")
    parser.add_argument("--workers", type=int, default=2, help="loader worker processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="database/graph cache")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    args = parser.parse_args(argv)
    if args.rows <= 0 or args.batches <= 0 or args.batch_size <= 0:
        parser.error("--rows, --batches and --batch-size must be positive")
    result = run(
        args.rows,
        args.batches,
        args.batch_size,
        args.feature_width,
        args.width,
        args.cache,
        seed=args.seed,
        workers=args.workers,
    )
    print(format_report(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
