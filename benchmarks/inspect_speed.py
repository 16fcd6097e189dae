"""How long schema discovery takes on a wide database: 30 tables, 1M rows in all.

The database is generated (seeded) to hold what discovery must search on real
ones: dimension tables keyed by integer ids and by text codes, fact tables
with several links each (some named by role, found from values alone), and
fact tables keyed by several columns together. Prints the seconds
``rg.connect`` takes (median of runs) and what it found, so that a slower
or a wrong discovery both show.

Run: ``python -m benchmarks.inspect_speed [--runs 3] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import relgraph as rg

N_DIMS = 10
N_FACTS = 20
TOTAL_ROWS = 1_000_000


def make_database(folder: Path, seed: int = 0) -> dict[str, int]:
    """Write the 30 tables as Parquet files; returns rows per table."""
    rng = np.random.default_rng(seed)
    sizes: dict[str, int] = {}
    dims: dict[str, tuple[str, np.ndarray]] = {}
    for d in range(N_DIMS):
        n = int(rng.integers(200, 5_000))
        if d % 2:  # text codes, keyed by a natural code
            keys = np.array([f"C{d}{i:05d}" for i in range(n)])
            key = f"code{d}"
        else:  # sparse integer ids
            keys = np.sort(rng.choice(10 * n, n, replace=False)) + 1
            key = f"dim{d}_id"
        frame = pd.DataFrame(
            {key: keys, "label": rng.choice(["a", "b", "c"], n), "size": rng.normal(10, 3, n)}
        )
        frame.to_parquet(folder / f"dim{d}.parquet", index=False)
        dims[f"dim{d}"] = (key, keys)
        sizes[f"dim{d}"] = n
    fact_rows = (TOTAL_ROWS - sum(sizes.values())) // N_FACTS
    names = list(dims)
    for f in range(N_FACTS):
        n = fact_rows
        cols: dict[str, object] = {}
        a, b = names[f % N_DIMS], names[(f + 3) % N_DIMS]
        key_a, values_a = dims[a]
        key_b, values_b = dims[b]
        if f % 4 == 0:  # keyed by (entity, sequence) together
            entity = rng.choice(values_a, n)
            cols[key_a] = entity
            cols["seq"] = pd.Series(entity).groupby(entity).cumcount().to_numpy() + 1
        else:
            cols[f"fact{f}_id"] = np.arange(1, n + 1)
            cols[key_a] = rng.choice(values_a, n)
        cols[f"role_{f}"] = rng.choice(values_b, n)  # named by role: found from values
        cols["created_at"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(
            rng.integers(0, 3 * 365 * 86_400, n), unit="s"
        )
        cols["amount"] = rng.gamma(2.0, 20.0, n).round(2)
        cols["quantity"] = rng.integers(1, 6, n)
        cols["status"] = rng.choice(["open", "closed", "void"], n)
        pd.DataFrame(cols).to_parquet(folder / f"fact{f}.parquet", index=False)
        sizes[f"fact{f}"] = n
    return sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sizes = make_database(folder)
        seconds = []
        for _ in range(args.runs):
            start = time.perf_counter()
            db = rg.connect(folder)
            seconds.append(time.perf_counter() - start)
        s = db.schema
        composite = sum(1 for t in s.tables.values() if t.key_columns)
        keyed = sum(1 for t in s.tables.values() if t.key_parts)
        by_values = sum(1 for x in s.links if s.link_info[x].evidence.startswith("values"))
        result = {
            "tables": len(sizes),
            "rows": sum(sizes.values()),
            "connect_seconds_median": round(statistics.median(seconds), 2),
            "connect_seconds": [round(x, 2) for x in seconds],
            "tables_with_a_key": keyed,
            "composite_keys": composite,
            "links": len(s.links),
            "links_found_from_values": by_values,
            "timed_tables": sum(1 for t in s.tables.values() if t.time_column),
        }
    print(f"schema discovery on {result['tables']} tables, {result['rows']:,} rows")
    print(
        f"  connect: median {result['connect_seconds_median']} s over {args.runs} runs "
        f"({result['connect_seconds']}); target < 30 s"
    )
    print(
        f"  found: {keyed} keys ({composite} composite), {len(s.links)} links "
        f"({by_values} from values alone), {result['timed_tables']} timed tables "
        f"(expected: 30 keys, 5 composite, 40 links, 20 from values, 20 timed)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
