"""The DuckDB engine (the default) and the engine-independent pieces: what
runs through an engine equals what relgraph computes today."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlglot import exp

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.engines import (
    DuckDBEngine,
    export_parquet,
    register_parquet_tables,
    task_table,
    task_table_at,
    to_dialect,
)
from relgraph.errors import PQLError


@pytest.fixture(scope="module")
def small_shop() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.03, seed=2))


def test_timestamps_keep_duckdb_meaning_in_spark() -> None:
    # DuckDB's TIMESTAMP has no zone: Spark's TIMESTAMP would read it in the session's.
    built = exp.cast(exp.Literal.string("2024-01-01"), "TIMESTAMP")
    assert to_dialect(built, "spark") == "CAST('2024-01-01' AS TIMESTAMP_NTZ)"
    assert to_dialect("SELECT epoch_us(t) FROM x", "duckdb") == "SELECT epoch_us(t) FROM x"


def test_frames_parquet_and_temporary_tables(tmp_path: Path) -> None:
    engine = DuckDBEngine(duckdb.connect())
    frame = pd.DataFrame({"k": [1, 2, 3], "t": pd.to_datetime(["2024-01-01"] * 3)})
    engine.register_frame("a b", frame)  # a name that needs quoting
    assert engine.has_table("a b")
    engine.materialize("big", 'SELECT k * 10 AS k, t FROM "a b" WHERE k > 1')
    engine.write_parquet("SELECT * FROM big ORDER BY k", tmp_path / "big.parquet")
    engine.register_parquet("back", tmp_path / "big.parquet")
    back = engine.fetch("SELECT * FROM back ORDER BY k")
    assert back["k"].tolist() == [20, 30]
    assert back["t"].tolist() == [pd.Timestamp("2024-01-01")] * 2
    for name in ("a b", "big", "back"):
        engine.drop(name)
        assert not engine.has_table(name)
    engine.drop("never registered")  # no error


def test_exported_folders_read_back_as_the_same_tables(
    small_shop: rg.Database, tmp_path: Path
) -> None:
    folders = export_parquet(small_shop, tmp_path)
    assert set(folders) == set(small_shop.table_names)
    assert all(not p.name.startswith(("_", ".")) for p in folders.values())
    engine = DuckDBEngine(duckdb.connect())
    register_parquet_tables(engine, folders)
    for name in small_shop.table_names:
        pd.testing.assert_frame_equal(
            engine.fetch(f"SELECT * FROM {name}"), small_shop.table(name), check_dtype=True
        )


def test_hidden_table_names_get_a_folder_spark_reads(tmp_path: Path) -> None:
    db = rg.connect({"_staging": pd.DataFrame({"id": [1, 2]})})
    folders = export_parquet(db, tmp_path)
    assert folders["_staging"].name == "table__staging"


@pytest.mark.parametrize(
    ("query", "anchor"),
    [
        ("PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id", "grid"),
        ("PREDICT SUM(orders.amount, 0, 1, months) FOR EACH customers.customer_id", "grid"),
        ("PREDICT COUNT(orders.*, 0, 30, days) > 0 FOR EACH customers.customer_id", "entity"),
        ("PREDICT customers.segment FOR EACH orders.order_id", "grid"),
        ("PREDICT COUNT(order_items.*, 0, 60, days) FOR EACH products.product_id", "grid"),
    ],
)
def test_task_tables_through_the_engine_equal_task_table(
    small_shop: rg.Database, query: str, anchor: str
) -> None:
    task = rg.Task.from_query(small_shop, query, anchor=anchor)
    engine = DuckDBEngine(small_shop.con)
    for split in ("train", "val", "test"):
        pd.testing.assert_frame_equal(task_table(task, engine, split), task.table(split))


def test_no_anchor_times_give_an_empty_table_and_bad_splits_fail(
    small_shop: rg.Database,
) -> None:
    task = rg.Task.from_query(
        small_shop, "PREDICT COUNT(orders.*, 0, 30, days) FOR EACH customers.customer_id"
    )
    engine = DuckDBEngine(small_shop.con)
    pd.testing.assert_frame_equal(task_table_at(task, engine, []), task.table_at([]))
    with pytest.raises(PQLError, match="Unknown split 'dev'"):
        task_table(task, engine, "dev")
