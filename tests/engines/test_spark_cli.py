"""``relgraph labels|features|predict --engine spark`` run for real on the
demo: the same tables and predictions as the default engine.

The CLI shares the session-scoped ``spark`` session (``newSession()``: its
own temporary views), as any second user of a running session would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.cli.main import app

pytestmark = pytest.mark.slow

runner = CliRunner()
WIDE = {"COLUMNS": "200"}
CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark_cli") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.1, seed=3), path)
    return path


def run(*args: str) -> None:
    result = runner.invoke(app, list(args), env=WIDE)
    assert result.exit_code == 0, result.output


def test_labels_on_spark_equal_duckdb(spark: Any, shop_file: Path, tmp_path: Path) -> None:
    query = "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id"
    run("labels", str(shop_file), query, "--out", str(tmp_path / "duck.parquet"))
    run(
        "labels", str(shop_file), query, "--out", str(tmp_path / "spark.parquet"),
        "--engine", "spark", "--parquet-dir", str(tmp_path / "tables"),
    )  # fmt: skip
    duck = pd.read_parquet(tmp_path / "duck.parquet")
    assert set(duck["split"]) == {"train", "val", "test"}
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "spark.parquet"), duck, check_exact=False, rtol=1e-9
    )
    assert (tmp_path / "tables" / "orders").is_dir()  # --parquet-dir got the tables


def test_features_on_spark_equal_duckdb(spark: Any, shop_file: Path, tmp_path: Path) -> None:
    run("features", str(shop_file), CHURN, "--split", "val", "--out", str(tmp_path / "d.parquet"))
    run(
        "features", str(shop_file), CHURN, "--split", "val", "--out", str(tmp_path / "s.parquet"),
        "--engine", "spark",
    )  # fmt: skip
    duck = pd.read_parquet(tmp_path / "d.parquet")
    assert duck.shape[1] > 50 and any(c.startswith("target.") for c in duck.columns)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "s.parquet"), duck, check_exact=False, rtol=1e-9, atol=1e-12
    )


def test_predict_on_spark_writes_the_saved_models_predictions(
    spark: Any, shop_file: Path, tmp_path: Path
) -> None:
    model = tmp_path / "churn.rg"
    run("train", str(shop_file), CHURN, "--model", "gbdt", "--out", str(model))
    run("predict", str(shop_file), CHURN, "--model", str(model), "--out", str(tmp_path / "d.pq"))
    run(
        "predict", str(shop_file), CHURN, "--model", str(model), "--out", str(tmp_path / "preds"),
        "--engine", "spark", "--partitions", "3",
    )  # fmt: skip
    assert len(list((tmp_path / "preds").glob("part-*.parquet"))) >= 2  # written in pieces
    spark_preds = pd.read_parquet(tmp_path / "preds").sort_values("customer_id")
    duck = pd.read_parquet(tmp_path / "d.pq")[list(spark_preds.columns)]
    pd.testing.assert_frame_equal(
        spark_preds.reset_index(drop=True),
        duck.sort_values("customer_id").reset_index(drop=True),
        check_exact=False,
        rtol=0,
        atol=1e-9,
    )


def test_predict_on_spark_into_a_catalog_table(spark: Any, shop_file: Path, tmp_path: Path) -> None:
    model = tmp_path / "churn.rg"
    run("train", str(shop_file), CHURN, "--model", "gbdt", "--out", str(model))
    run("predict", str(shop_file), CHURN, "--model", str(model), "--out", str(tmp_path / "d.pq"))
    spark_args = ["--model", str(model), "--engine", "spark", "--table", "cli_churn"]
    run("predict", str(shop_file), CHURN, *spark_args)
    got = spark.table("cli_churn").toPandas().sort_values("customer_id").reset_index(drop=True)
    duck = pd.read_parquet(tmp_path / "d.pq")[list(got.columns)]
    duck = duck.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, duck, check_exact=False, rtol=0, atol=1e-9)
    again = runner.invoke(app, ["predict", str(shop_file), CHURN, *spark_args], env=WIDE)
    assert again.exit_code != 0 and "exists already" in again.output
    run("predict", str(shop_file), CHURN, *spark_args, "--replace")
    both = ["--out", str(tmp_path / "p"), "--table", "t", "--engine", "spark"]
    refused = runner.invoke(app, ["predict", str(shop_file), CHURN, *both], env=WIDE)
    assert refused.exit_code != 0 and "give one of them" in refused.output
    spark.sql("DROP TABLE cli_churn")


def test_predict_with_features_on_spark(spark: Any, shop_file: Path, tmp_path: Path) -> None:
    model = tmp_path / "spend.rg"
    spend = "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id"
    run("train", str(shop_file), spend, "--model", "gbdt", "--out", str(model))
    run("predict", str(shop_file), spend, "--model", str(model), "--out", str(tmp_path / "d.pq"))
    run(
        "predict", str(shop_file), spend, "--model", str(model), "--out", str(tmp_path / "preds"),
        "--engine", "spark", "--features", "spark",
    )  # fmt: skip
    got = pd.read_parquet(tmp_path / "preds").sort_values("customer_id").reset_index(drop=True)
    duck = pd.read_parquet(tmp_path / "d.pq")[list(got.columns)]
    duck = duck.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, duck, check_exact=False, rtol=0, atol=1e-9)
    icl = ["--engine", "spark", "--features", "spark", "--out", str(tmp_path / "icl")]
    refused = runner.invoke(app, ["predict", str(shop_file), spend, *icl], env=WIDE)
    assert refused.exit_code != 0 and "features='workers'" in refused.output
