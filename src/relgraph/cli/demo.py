"""``relgraph demo``: write a database to try relgraph on: the generated demos
(no downloads), or rel-f1 built from the raw Ergast CSVs as ``relgraph bench`` does."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from relgraph.cli.common import err, handle_errors


class DemoName(StrEnum):
    ecommerce = "ecommerce"
    trials = "trials"
    rel_f1 = "rel-f1"


@handle_errors
def demo_command(
    name: Annotated[DemoName, typer.Argument(help="Which demo database.")],
    out_path: Annotated[Path, typer.Option("--out", help="DuckDB file to write.")],
    scale: Annotated[
        float, typer.Option(help="Size multiplier (1.0: a few thousand entities).", min=0.001)
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same database).")] = 0,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
    raw: Annotated[
        Path, typer.Option(help="rel-f1 only: the folder of the raw Ergast CSV files.")
    ] = Path("../shared/data/f1"),
) -> None:
    """Write a demo database as a DuckDB file: ecommerce and trials are generated
    deterministically; rel-f1 is built from the raw Ergast CSVs (--raw), the same
    tables as relgraph bench rel-f1 uses (its keys, links and time columns are
    inferred back exactly)."""
    from relgraph.bench.demo import DEMOS, write_duckdb

    if name is DemoName.rel_f1:
        if scale != 1.0 or seed != 0:
            raise typer.BadParameter(
                "rel-f1 is built from the raw data as it is; --scale and --seed do not apply",
                param_hint="--scale/--seed",
            )
        from relgraph.bench.rel_f1 import load_rel_f1

        with err.status(f"building rel-f1 from {raw}"):
            db = load_rel_f1(raw)
            tables = {table: db.table(table) for table in db.schema.tables}
    else:
        with err.status(f"generating {name.value} (scale {scale}, seed {seed})"):
            tables = DEMOS[name.value](scale=scale, seed=seed)
    with err.status(f"writing {out_path}"):
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_duckdb(tables, out_path, overwrite=overwrite)
    rows = sum(len(t) for t in tables.values())
    err.print(f"wrote {name.value} to {out_path}: {len(tables)} tables, {rows:,} rows")
