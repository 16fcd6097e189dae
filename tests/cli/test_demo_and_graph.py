"""``relgraph demo`` and ``relgraph graph`` against their Python counterparts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import relgraph as rg
from relgraph.bench.demo import make_trials
from relgraph.cli.main import app
from relgraph.graph import TemporalGraph

runner = CliRunner()


def test_demo_writes_the_same_tables_as_python(tmp_path: Path) -> None:
    out = tmp_path / "trials.duckdb"
    result = runner.invoke(app, ["demo", "trials", "--out", str(out), "--scale", "0.1"])
    assert result.exit_code == 0, result.output
    db = rg.connect(out)
    expected = make_trials(scale=0.1, seed=0)
    assert {n: t.num_rows for n, t in db.schema.tables.items()} == {
        n: len(f) for n, f in expected.items()
    }
    again = runner.invoke(app, ["demo", "trials", "--out", str(out), "--scale", "0.1"])
    assert again.exit_code == 1 and "overwrite" in again.stderr


def test_graph_summary_and_save(tmp_path: Path) -> None:
    out = tmp_path / "shop.duckdb"
    assert (
        runner.invoke(app, ["demo", "ecommerce", "--out", str(out), "--scale", "0.05"]).exit_code
        == 0
    )
    saved = tmp_path / "graph"
    result = runner.invoke(app, ["graph", str(out), "--json", "--save", str(saved)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    graph = TemporalGraph.from_database(rg.connect(out))
    assert summary["node_types"]["orders"]["nodes"] == graph.num_nodes("orders")
    assert summary["node_types"]["products"]["static"] is True
    loaded = TemporalGraph.load(saved, mmap=True)
    for edge_type in graph.edge_types:
        np.testing.assert_array_equal(loaded.csr[edge_type].indices, graph.csr[edge_type].indices)
    table = runner.invoke(app, ["graph", str(out)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "orders__customer_id__customers" in table.stdout
