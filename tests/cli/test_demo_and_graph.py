"""``relgraph demo`` and ``relgraph graph`` against their Python counterparts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
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


@pytest.mark.slow  # builds the rel-f1 database from the raw CSVs, then predicts on it
def test_demo_rel_f1_is_the_bench_database(f1_dir: Path, tmp_path: Path) -> None:
    """``relgraph demo rel-f1`` writes the tables ``relgraph bench`` builds; the
    file's keys, links, time columns and stypes are inferred back exactly, and
    ``relgraph predict`` runs on it."""
    from relgraph.bench.rel_f1 import load_rel_f1

    out = tmp_path / "f1.duckdb"
    result = runner.invoke(app, ["demo", "rel-f1", "--raw", str(f1_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    built, read = load_rel_f1(f1_dir).schema, rg.connect(out).schema
    assert set(read.tables) == set(built.tables)
    for name, table in built.tables.items():
        again = read.tables[name]
        assert (again.primary_key, again.time_column) == (table.primary_key, table.time_column)
        assert again.columns == table.columns and again.num_rows == table.num_rows

    def links(schema: rg.Schema) -> set[tuple[str, str, str, str]]:
        return {(k.src_table, k.src_column, k.dst_table, k.dst_column) for k in schema.links}

    assert links(read) == links(built)
    query = (
        "PREDICT MIN(qualifying.position, 0, 30, days) <= 3 FOR EACH drivers.driverId "
        "WHERE COUNT(results.*, -365, 0, days) > 0"
    )
    predicted = runner.invoke(app, ["predict", str(out), query, "--limit", "3"])
    assert predicted.exit_code == 0, predicted.output
    assert "after loading" in predicted.stderr and "3 of" in predicted.stdout
    bad = ["demo", "rel-f1", "--raw", str(f1_dir), "--out", str(tmp_path / "x.duckdb")]
    assert runner.invoke(app, [*bad, "--scale", "0.5"]).exit_code == 2
