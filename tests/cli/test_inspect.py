"""``relgraph inspect`` through typer's CliRunner, compared with the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import relgraph as rg
from relgraph.cli.main import app
from tests.db.test_sources import write_duckdb_file, write_sqlite_file
from tests.factories import SHOP_LINKS, shop_frames

runner = CliRunner()


@pytest.fixture()
def shop_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    write_duckdb_file(path, shop_frames())
    return path


def test_inspect_json_matches_python(shop_file: Path) -> None:
    result = runner.invoke(app, ["inspect", str(shop_file), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"tables", "links", "warnings"}
    orders = doc["tables"]["orders"]
    assert orders["rows"] == 200 and orders["primary_key"] == "order_id"
    assert orders["time_column"] == "ordered_at"
    assert orders["columns"]["amount"] == "numerical"
    assert {f"{x['from']} -> {x['to']}" for x in doc["links"]} == SHOP_LINKS
    assert doc == rg.connect(shop_file).schema.to_dict()


def test_inspect_table_output(shop_file: Path) -> None:
    result = runner.invoke(app, ["inspect", str(shop_file)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("order_items", "ordered_at", "static", "5 links", "customers.customer_id"):
        assert text in result.stdout


def test_inspect_sqlite_url(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    write_sqlite_file(path, shop_frames())
    result = runner.invoke(app, ["inspect", f"sqlite:///{path}", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tables"]["orders"]["time_column"] == "ordered_at"


def test_inspect_folder(tmp_path: Path) -> None:
    for name, frame in shop_frames().items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    result = runner.invoke(app, ["inspect", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["links"]) == 5


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_inspect_plot(shop_file: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"schema.{suffix}"
    result = runner.invoke(app, ["inspect", str(shop_file), "--plot", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if suffix == "svg":
        text = data.decode()
        assert "<svg" in text and "order_items" in text and "customer_id" in text
    else:
        assert data.startswith(b"\x89PNG")


def test_write_schema_then_read_it_back(shop_file: Path, tmp_path: Path) -> None:
    toml = tmp_path / "schema.toml"
    assert (
        runner.invoke(app, ["inspect", str(shop_file), "--write-schema", str(toml)]).exit_code == 0
    )
    toml.write_text(toml.read_text().replace('time_column = "ordered_at"', 'time_column = ""'))
    result = runner.invoke(app, ["inspect", str(shop_file), "--schema", str(toml), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tables"]["orders"]["time_column"] is None


def test_errors_exit_1_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inspect", str(tmp_path / "nope.duckdb")])
    assert result.exit_code == 1
    assert "error: No such file or folder" in result.stderr
    assert "Traceback" not in result.output


def test_duplicate_keys_and_dedupe(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,name\n1,a\n1,b\n2,c\n")
    # A guessed key that repeats is passed over with a warning, never a dead end.
    result = runner.invoke(app, ["inspect", str(tmp_path), "--json"])
    assert result.exit_code == 0
    tables = json.loads(result.stdout)["tables"]
    assert tables["customers"]["rows"] == 3 and tables["customers"]["generated_key"]
    assert any(
        "customer_id has 1 duplicate value" in w for w in json.loads(result.stdout)["warnings"]
    )
    result = runner.invoke(app, ["inspect", str(tmp_path), "--dedupe", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["tables"]["customers"]["rows"] == 2


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["inspect"]).exit_code == 2


def test_corrupted_file_is_a_clear_error(tmp_path: Path) -> None:
    """inspect and predict on a DuckDB file with a bad checksum: exit 1, no traceback."""
    import duckdb

    path = tmp_path / "bad.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS t_id, hash(range) AS v FROM range(100000)")
    with path.open("r+b") as handle:
        handle.seek(path.stat().st_size // 2)
        handle.write(b"\xff" * 64)
    query = "PREDICT COUNT(t.*, 0, 30, days) FOR EACH t.t_id"
    for args in (["inspect", str(path)], ["predict", str(path), query, "--table", "p"]):
        result = runner.invoke(app, args, env={"COLUMNS": "300"})
        assert result.exit_code == 1, result.output
        assert "bad.duckdb' is corrupted or not a DuckDB database" in result.stderr
        assert "checksum" in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_inspect_says_why_rows_are_numbered(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "nulls.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE customers AS SELECT CASE WHEN range < 12 THEN NULL ELSE range END "
            "AS customer_id, range % 7 AS age FROM range(50)"
        )
    result = runner.invoke(app, ["inspect", str(path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    warning = " ".join(result.stderr.split())
    assert "customers.customer_id has 12 NULL values, so it cannot be the key" in warning
    assert "To use customer_id, drop or fill the NULL rows" in warning


def test_inspect_keeps_a_time_column_with_unknown_values(tmp_path: Path) -> None:
    """Issue 16: text times with some "unknown" values made orders static."""
    frames = shop_frames()
    text = frames["orders"]["ordered_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    text[::5] = "unknown"  # 20 %: below the 90 % any text column needs
    frames["orders"] = frames["orders"].assign(ordered_at=text)
    path = tmp_path / "shop.duckdb"
    write_duckdb_file(path, frames)
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["tables"]["orders"]["time_column"] == "ordered_at"
    warnings = " ".join(doc["warnings"])
    assert "orders.ordered_at: 40 values do not parse as times ('unknown', ...)" in warnings
    assert "orders.ordered_at: 40 of 200 rows have no time; they are never visible" in warnings
