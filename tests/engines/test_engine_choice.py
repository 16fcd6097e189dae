"""Choosing an engine (``open_engine``, ``--engine``) without starting Spark:
the errors when pyspark or Java is missing or a cluster has no shared folder,
the Parquet folders, the engine hook of ``Task`` and ``Task.entities_sql``."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.cli.main import app
from relgraph.engines import (
    DuckDBEngine,
    SparkUnavailableError,
    open_engine,
    parquet_tables,
    spark_missing,
    spark_session,
)
from relgraph.engines import session as session_module
from relgraph.errors import RelgraphError

runner = CliRunner()
WIDE = {"COLUMNS": "200"}  # one line per message
CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"


@pytest.fixture(scope="module")
def shop() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.03, seed=1))


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("choice") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.03, seed=1), path)
    return path


@pytest.fixture
def no_pyspark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError


def test_missing_pyspark_says_what_to_install(no_pyspark: None) -> None:
    assert "pip install 'relgraph[spark]'" in spark_missing()
    with pytest.raises(SparkUnavailableError, match=r"pyspark is not installed"):
        spark_session("local[1]")


def test_missing_java_says_so_unless_spark_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.setattr(session_module.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(SparkUnavailableError, match=r"Java is not installed.*JDK 17"):
        spark_session("local[1]")
    assert spark_missing(remote=True) is None  # the Connect client needs no JVM


def test_spark_connect_without_its_client_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.setitem(sys.modules, "grpc", None)  # as if grpcio were not installed
    why = spark_missing(remote=True)
    assert why is not None and "grpcio" in why and "pyspark[connect]" in why
    assert "Java" not in why
    with pytest.raises(SparkUnavailableError, match=r"Spark Connect client needs grpcio"):
        spark_session(remote="sc://localhost:15002")


def test_open_engine_refuses_unknown_engines_and_clusters_without_a_folder(
    shop: rg.Database,
) -> None:
    cases = [
        ({"engine": "polars"}, r"Unknown engine 'polars'.*duckdb, spark"),
        ({"engine": "spark", "master": "spark://head:7077"}, r"spark://head:7077.*--parquet-dir"),
        ({"engine": "spark", "remote": "sc://head:15002"}, r"--spark-remote sc://head.*-parquet"),
    ]
    for options, message in cases:
        with pytest.raises(RelgraphError, match=message), open_engine(shop, **options):
            pass
    with open_engine(shop) as engine:
        assert isinstance(engine, DuckDBEngine) and engine.con is shop.con


def test_parquet_tables_writes_only_what_the_folder_lacks(
    shop: rg.Database, tmp_path: Path
) -> None:
    mine = tmp_path / "customers"
    mine.mkdir()
    pd.DataFrame({"customer_id": [1]}).to_parquet(mine / "lake.parquet")
    folders = parquet_tables(shop, tmp_path)
    assert set(folders) == set(shop.table_names)
    assert [p.name for p in mine.iterdir()] == ["lake.parquet"]  # the lake's copy is kept
    orders = pd.read_parquet(Path(folders["orders"]))
    assert len(orders) == len(shop.table("orders"))
    remote = parquet_tables(shop, "s3://bucket/shop/")
    assert remote["orders"] == "s3://bucket/shop/orders"


def test_task_runs_its_label_sql_on_the_engine_given(shop: rg.Database) -> None:
    task = rg.Task.from_query(shop, CHURN)
    seen: list[str] = []

    class Recording(DuckDBEngine):
        def _fetch(self, sql: str) -> pd.DataFrame:
            seen.append(sql)
            return super()._fetch(sql)

    engine = Recording(shop.con)
    for split in ("train", "val", "test"):
        pd.testing.assert_frame_equal(task.table(split, engine=engine), task.table(split))
    assert len(seen) == 3
    assert task.split_start("train") is None and task.split_start("val") == task.val_time
    summary = task.summary(engine=engine)
    assert summary["splits"]["val"]["examples"] == len(task.table("val"))
    assert len(seen) == 6


@pytest.mark.parametrize(
    "query",
    [
        CHURN + " WHERE COUNT(orders.*, -90, 0, days) > 0",
        "PREDICT SUM(orders.amount, 0, 30, days) FOR customers.customer_id IN (3, 5, 7)",
        "PREDICT customers.segment FOR EACH orders.order_id",
        "PREDICT customers.segment FOR orders.order_id IN (3, 5)",
    ],
)
def test_entities_sql_lists_the_entities_at(shop: rg.Database, query: str) -> None:
    task = rg.Task.from_query(shop, query)
    for anchor in ("2024-06-01", task.latest):
        expected = task.entities_at(anchor)
        got = shop.con.execute(task.entities_sql(anchor)).df()
        key = task.entity_key
        assert len(got) > 0
        pd.testing.assert_frame_equal(
            got.sort_values(key).reset_index(drop=True),
            expected.sort_values(key).reset_index(drop=True),
        )


def test_cli_spark_options_need_engine_spark(shop_file: Path) -> None:
    args = ["labels", str(shop_file), CHURN, "--spark-master", "local[1]"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 2
    assert "need --engine spark" in result.output


def test_cli_says_when_pyspark_is_missing(shop_file: Path, no_pyspark: None) -> None:
    for verb in ("labels", "features"):
        result = runner.invoke(app, [verb, str(shop_file), CHURN, "--engine", "spark"], env=WIDE)
        assert result.exit_code == 1, result.output
        assert "Spark cannot start: pyspark is not installed" in result.output


def test_cli_predict_on_spark_writes_a_folder_only(shop_file: Path) -> None:
    result = runner.invoke(app, ["predict", str(shop_file), CHURN, "--engine", "spark"], env=WIDE)
    assert result.exit_code == 2
    assert "--out DIR" in result.output
