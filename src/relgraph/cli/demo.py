"""``relgraph demo``: build a bundled demo database (generated, no downloads)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from relgraph.cli.common import err, handle_errors


class DemoName(StrEnum):
    ecommerce = "ecommerce"
    trials = "trials"


@handle_errors
def demo_command(
    name: Annotated[DemoName, typer.Argument(help="Which demo database.")],
    out_path: Annotated[Path, typer.Option("--out", help="DuckDB file to write.")],
    scale: Annotated[
        float, typer.Option(help="Size multiplier (1.0: a few thousand entities).", min=0.001)
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same database).")] = 0,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Generate a demo database deterministically and write it as a DuckDB file."""
    from relgraph.bench.demo import DEMOS, write_duckdb

    with err.status(f"generating {name.value} (scale {scale}, seed {seed})"):
        tables = DEMOS[name.value](scale=scale, seed=seed)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_duckdb(tables, out_path, overwrite=overwrite)
    rows = sum(len(t) for t in tables.values())
    err.print(f"wrote {name.value} to {out_path}: {len(tables)} tables, {rows:,} rows")
