"""``relgraph graph``: build the temporal graph of a database and summarise it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from relgraph.cli.common import (
    DropOption,
    MissingOption,
    err,
    handle_errors,
    out,
    print_warnings,
    shown_source,
)


@handle_errors
def graph_command(
    source: Annotated[str, typer.Argument(help="Database to read (as for inspect).")],
    schema: Annotated[Path | None, typer.Option(help="Schema overrides (TOML).")] = None,
    drop: DropOption = None,
    missing: MissingOption = None,
    save: Annotated[
        Path | None, typer.Option(help="Save the graph to this folder (memory-mapped when loaded).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    dedupe: Annotated[bool, typer.Option(help="Keep the first row per duplicate key.")] = False,
) -> None:
    """Turn the database into a temporal graph: one node per row, one edge per link."""
    from relgraph.db.database import connect
    from relgraph.graph import TemporalGraph

    with err.status(f"reading {shown_source(source)} and inferring its schema"):
        db = connect(source, schema=schema, dedupe=dedupe, drop=drop or (), missing=missing or ())
    start = time.perf_counter()
    with err.status("building the temporal graph"):
        graph = TemporalGraph.from_database(db)
    seconds = time.perf_counter() - start
    summary = graph.summary()
    if as_json:
        import json

        out.print_json(json.dumps({**summary, "build_seconds": round(seconds, 3)}))
    else:
        nodes = Table(
            title=f"temporal graph of {db.source} (built in {seconds:.2f} s)", title_justify="left"
        )
        for c in ("node type", "nodes", "time range"):
            nodes.add_column(c, justify="right" if c == "nodes" else "left")
        for name, info in summary["node_types"].items():
            span = "static" if info["static"] else f"{info['time_min']} .. {info['time_max']}"
            nodes.add_row(name, f"{info['nodes']:,}", span)
        edges = Table(title="edge types (both directions of every link)", title_justify="left")
        edges.add_column("edge type")
        edges.add_column("edges", justify="right")
        for name, count in summary["edge_types"].items():
            edges.add_row(name, f"{count:,}")
        out.print(nodes)
        out.print(edges)
    print_warnings(summary.get("warnings", []))
    if save is not None:
        graph.save(save)
        err.print(f"saved the graph to {save}")
