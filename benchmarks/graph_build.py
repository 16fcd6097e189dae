"""Benchmark: database rows to a temporal graph.

Generates the e-commerce demo database at a scale giving about ``--rows`` rows,
writes it to a temporary DuckDB file, then measures, each in a fresh process
(so that peak memory is that of the step, not of the data generation):

- ``read``: ``relgraph.connect(path)`` and ``db.arrow`` of the key, foreign-key
  and time columns (the source reading of ``TemporalGraph.from_database``);
- ``build``: ``TemporalGraph.from_tables`` alone, from Arrow tables in memory;
- ``total``: read and build in one process, as ``from_database`` runs;
- ``save`` / ``load``: writing the graph as ``.npy`` files, reopening it memory-mapped.

Run::

    python -m benchmarks.graph_build [--rows 10000000] [--out benchmarks/results/graph_build.json]

``--shuffle`` stores every table in random row order (the demo numbers keys in
time order, which is the easy case for the time sort). Peak RSS is the
process's ``VmHWM`` (Linux) or ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "graph_build.json"
TARGET_SECONDS = 30.0
TARGET_RSS_MB = 4096.0


# ---------------------------------------------------------------- measurement helpers


def peak_rss_mb() -> float:
    """High-water mark of this process's resident memory, in MiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / (1024 * 1024)


# ---------------------------------------------------------------- child steps


def _generate(db_path: str, rows: int, seed: int, shuffle: bool) -> dict[str, Any]:
    import numpy as np

    from relgraph.bench.demo import make_ecommerce, write_duckdb

    start = time.perf_counter()
    rows_at_1 = sum(len(t) for t in make_ecommerce(scale=1.0, seed=seed).values())
    scale = rows / rows_at_1
    tables = make_ecommerce(scale=scale, seed=seed)
    got = sum(len(t) for t in tables.values())
    if abs(got - rows) > 0.03 * rows:  # sizes are only roughly linear in scale
        scale *= rows / got
        del tables
        tables = make_ecommerce(scale=scale, seed=seed)
    if shuffle:
        rng = np.random.default_rng(seed)
        tables = {
            name: t.iloc[rng.permutation(len(t))].reset_index(drop=True)
            for name, t in tables.items()
        }
    write_duckdb(tables, db_path, overwrite=True)
    return {
        "scale": scale,
        "tables": {name: len(t) for name, t in tables.items()},
        "seconds": time.perf_counter() - start,
    }


def _read(db_path: str) -> tuple[Any, dict[str, Any]]:
    import relgraph as rg
    from relgraph.graph.temporal_graph import needed_columns

    db = rg.connect(db_path)
    columns = needed_columns(db.schema)
    tables = {name: db.arrow(name, cols) for name, cols in columns.items()}
    return db.schema, tables


def _step_read_build(db_path: str, arrow_dir: str) -> dict[str, Any]:
    """Read then build in one process (the end-to-end figure); leave the
    Arrow tables and the schema behind for the build-only step."""
    import pickle

    import pyarrow as pa

    from relgraph.graph import TemporalGraph

    start = time.perf_counter()
    schema, tables = _read(db_path)
    read_seconds = time.perf_counter() - start
    read_rss = peak_rss_mb()
    graph = TemporalGraph.from_tables(schema, tables)
    total_seconds = time.perf_counter() - start
    total_rss = peak_rss_mb()

    for name, table in tables.items():
        path = os.path.join(arrow_dir, f"{name}.arrow")
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    with open(os.path.join(arrow_dir, "schema.pickle"), "wb") as f:
        pickle.dump(schema, f)
    return {
        "read_seconds": read_seconds,
        "read_peak_rss_mb": read_rss,
        "total_seconds": total_seconds,
        "total_peak_rss_mb": total_rss,
        "nodes": graph.num_nodes(),
        "edges": graph.num_edges(),
        "edge_types": len(graph.edge_types),
        "arrow_mb": sum(t.nbytes for t in tables.values()) / 2**20,
        "warnings": graph.warnings,
    }


def _step_build(arrow_dir: str, graph_dir: str) -> dict[str, Any]:
    """``from_tables`` alone on Arrow tables already in memory; then save and load."""
    import pickle

    import pyarrow as pa

    from relgraph.graph import TemporalGraph

    with open(os.path.join(arrow_dir, "schema.pickle"), "rb") as f:
        schema = pickle.load(f)
    tables = {}
    for name in schema.tables:
        with pa.OSFile(os.path.join(arrow_dir, f"{name}.arrow"), "rb") as source:
            tables[name] = pa.ipc.open_file(source).read_all()
    inputs_rss = current_rss_mb()
    start = time.perf_counter()
    graph = TemporalGraph.from_tables(schema, tables)
    build_seconds = time.perf_counter() - start
    build_rss = peak_rss_mb()

    start = time.perf_counter()
    graph.save(graph_dir)
    save_seconds = time.perf_counter() - start
    graph_mb = sum(p.stat().st_size for p in Path(graph_dir).iterdir()) / 2**20
    del graph
    start = time.perf_counter()
    loaded = TemporalGraph.load(graph_dir, mmap=True)
    load_seconds = time.perf_counter() - start
    return {
        "build_seconds": build_seconds,
        "build_peak_rss_mb": build_rss,
        "inputs_rss_mb": inputs_rss,
        "save_seconds": save_seconds,
        "load_mmap_seconds": load_seconds,
        "graph_mb": graph_mb,
        "loaded_edges": loaded.num_edges(),
    }


def _run_child(*args: str) -> dict[str, Any]:
    """Run one step in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.graph_build", "--step", *args],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark step {args[0]!r} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- driver


def run(rows: int, seed: int = 0, shuffle: bool = False, db: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="relgraph-bench-") as tmp:
        db_path = db or os.path.join(tmp, "shop.duckdb")
        generated = _run_child("generate", db_path, str(rows), str(seed), str(int(shuffle)))
        arrow_dir = os.path.join(tmp, "arrow")
        os.mkdir(arrow_dir)
        total = _run_child("read_build", db_path, arrow_dir)
        build = _run_child("build", arrow_dir, os.path.join(tmp, "graph"))

    n_rows = sum(generated["tables"].values())

    def rate(seconds: float) -> float:
        return n_rows / seconds if seconds > 0 else float("inf")

    import duckdb
    import numpy as np
    import pyarrow as pa

    return {
        "benchmark": "graph_build",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pyarrow": pa.__version__,
            "duckdb": duckdb.__version__,
        },
        "dataset": {
            "name": "ecommerce",
            "scale": generated["scale"],
            "seed": seed,
            "shuffled": shuffle,
            "tables": generated["tables"],
            "generate_seconds": generated["seconds"],
        },
        "rows": n_rows,
        "nodes": total["nodes"],
        "edges": total["edges"],
        "edge_types": total["edge_types"],
        "arrow_input_mb": total["arrow_mb"],
        "read": {
            "seconds": total["read_seconds"],
            "rows_per_second": rate(total["read_seconds"]),
            "peak_rss_mb": total["read_peak_rss_mb"],
        },
        "build": {
            "seconds": build["build_seconds"],
            "rows_per_second": rate(build["build_seconds"]),
            "peak_rss_mb": build["build_peak_rss_mb"],
            "inputs_rss_mb": build["inputs_rss_mb"],
        },
        "total": {
            "seconds": total["total_seconds"],
            "rows_per_second": rate(total["total_seconds"]),
            "peak_rss_mb": total["total_peak_rss_mb"],
        },
        "save_seconds": build["save_seconds"],
        "load_mmap_seconds": build["load_mmap_seconds"],
        "graph_mb": build["graph_mb"],
        "target": {
            "seconds": TARGET_SECONDS,
            "peak_rss_mb": TARGET_RSS_MB,
            "met": total["total_seconds"] < TARGET_SECONDS
            and total["total_peak_rss_mb"] < TARGET_RSS_MB,
        },
        "warnings": total["warnings"],
    }


def format_report(result: dict[str, Any]) -> str:
    data = result["dataset"]
    lines = [
        f"graph build: ecommerce scale {data['scale']:.2f}"
        f"{' (shuffled rows)' if data['shuffled'] else ''}, {result['rows']:,} rows, "
        f"{result['edges']:,} edges in {result['edge_types']} edge types, "
        f"{result['machine']['cpu_count']} CPUs",
        f"  tables: {', '.join(f'{k} {v:,}' for k, v in data['tables'].items())}",
        "",
        f"  {'step':<34}{'seconds':>9}{'rows/s':>14}{'peak RSS MiB':>15}",
    ]
    rows = [
        ("read (connect + db.arrow)", result["read"]),
        ("build (from_tables)", result["build"]),
        ("total (read + build)", result["total"]),
    ]
    for label, step in rows:
        lines.append(
            f"  {label:<34}{step['seconds']:>9.2f}{step['rows_per_second']:>14,.0f}"
            f"{step['peak_rss_mb']:>15,.0f}"
        )
    lines += [
        f"  {'save (.npy)':<34}{result['save_seconds']:>9.2f}",
        f"  {'load (mmap)':<34}{result['load_mmap_seconds']:>9.3f}",
        "",
        f"  Arrow input {result['arrow_input_mb']:,.0f} MiB (in-memory inputs "
        f"{result['build']['inputs_rss_mb']:,.0f} MiB RSS before build); graph on disk "
        f"{result['graph_mb']:,.0f} MiB; generation {data['generate_seconds']:.1f} s",
        f"  target: total < {TARGET_SECONDS:.0f} s and peak RSS < {TARGET_RSS_MB:,.0f} MiB: "
        f"{'met' if result['target']['met'] else 'NOT met'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.graph_build", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="about this many rows")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shuffle", action="store_true", help="store rows in random order")
    parser.add_argument("--db", help="keep the generated DuckDB file at this path")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.step:
        name, *params = args.step
        if name == "generate":
            out = _generate(params[0], int(params[1]), int(params[2]), params[3] == "1")
        elif name == "read_build":
            out = _step_read_build(*params)
        elif name == "build":
            out = _step_build(*params)
        else:
            parser.error(f"unknown step {name!r}")
        print(json.dumps(out))
        return 0

    if args.rows <= 0:
        parser.error(f"--rows must be positive (got {args.rows})")
    result = run(args.rows, seed=args.seed, shuffle=args.shuffle, db=args.db)
    print(format_report(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
