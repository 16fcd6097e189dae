"""Batch predictions on Spark (``predict_on_spark``): each worker opens the
database and the shipped model, and the Parquet folder it writes equals
``model.predict`` in one process within 1e-9."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.engines import open_engine, predict_on_spark, spark_entities
from relgraph.errors import RelgraphError
from relgraph.models.registry import make_model

pytestmark = pytest.mark.slow

CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark_batch") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.1, seed=4), path)
    return path


def spark_predictions(
    spark: Any, model: Any, source: Path, anchor: Any, out: Path, partitions: int
) -> pd.DataFrame:
    with open_engine(model.task_.source_db, "spark", spark=spark) as engine:
        entities = spark_entities(model.task_, engine, anchor)
        predict_on_spark(model, entities, out, source=source, partitions=partitions)
    return pd.read_parquet(out)


def assert_same(got: pd.DataFrame, expected: pd.DataFrame, key: str) -> None:
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_exact=False,
        rtol=0,
        atol=1e-9,
    )


@pytest.mark.parametrize("family", ["gbdt", "icl"])
def test_spark_predictions_equal_model_predict(
    spark: Any, shop_file: Path, tmp_path: Path, family: str
) -> None:
    db = rg.connect(shop_file)
    task = rg.Task.from_query(db, CHURN)
    model = make_model(family).fit(task)
    anchor = task.val_time  # not the latest: the anchor travels with the entities
    expected = model.predict(task.entities_at(anchor))
    got = spark_predictions(spark, model, shop_file, anchor, tmp_path / "preds", partitions=3)
    assert len(got) == len(expected) > 100
    assert_same(got, expected, task.entity_key)


def test_spark_predictions_of_a_regression_at_chosen_ids(
    spark: Any, shop_file: Path, tmp_path: Path
) -> None:
    db = rg.connect(shop_file)
    query = "PREDICT SUM(orders.amount, 0, 30, days) FOR customers.customer_id IN (3, 5, 8, 13)"
    task = rg.Task.from_query(db, query)
    model = make_model("gbdt").fit(task)
    expected = model.predict(task.entities_at(task.latest))
    got = spark_predictions(spark, model, shop_file, task.latest, tmp_path / "p", partitions=2)
    assert sorted(got["customer_id"]) == [3, 5, 8, 13]
    assert_same(got, expected, "customer_id")


def test_predict_on_spark_needs_the_key_and_some_entities(
    spark: Any, shop_file: Path, tmp_path: Path
) -> None:
    db = rg.connect(shop_file)
    model = make_model("prior").fit(rg.Task.from_query(db, CHURN))
    frame = spark.createDataFrame(pd.DataFrame({"id": [1]}))
    with pytest.raises(RelgraphError, match=r"'customer_id' and 'anchor_time'"):
        predict_on_spark(model, frame, tmp_path / "x", source=shop_file)
    empty = spark.createDataFrame(
        pd.DataFrame({"customer_id": [1], "anchor_time": [pd.Timestamp("2024-01-01")]})
    ).limit(0)
    with pytest.raises(RelgraphError, match="No entities"):
        predict_on_spark(model, empty, tmp_path / "x", source=shop_file)


def test_predictions_into_a_catalog_table_never_overwrite_other_data(
    spark: Any, shop_file: Path
) -> None:
    db = rg.connect(shop_file)
    task = rg.Task.from_query(db, CHURN)
    model = make_model("gbdt").fit(task)
    expected = model.predict(task.entities_at(task.latest))
    with open_engine(task.source_db, "spark", spark=spark) as engine:
        entities = spark_entities(task, engine, task.latest)
        predict_on_spark(model, entities, table="churn_preds", source=shop_file, partitions=2)
        assert_same(spark.table("churn_preds").toPandas(), expected, task.entity_key)
        with pytest.raises(RelgraphError, match="exists already"):
            predict_on_spark(model, entities, table="churn_preds", source=shop_file)
        five = entities.orderBy(task.entity_key).limit(5)
        predict_on_spark(model, five, table="churn_preds", source=shop_file, replace=True)
        assert spark.table("churn_preds").count() == 5  # replaced, under the same name
        assert not [t for t in spark.catalog.listTables() if "relgraph_new" in t.name]
        spark.createDataFrame(pd.DataFrame({"x": [1]})).write.saveAsTable("users_own")
        with pytest.raises(RelgraphError, match="not written by relgraph"):
            predict_on_spark(model, five, table="users_own", source=shop_file, replace=True)
        assert spark.table("users_own").toPandas()["x"].tolist() == [1]  # untouched
        with pytest.raises(RelgraphError, match="name or database.name"):
            predict_on_spark(model, five, table="p; DROP TABLE users_own", source=shop_file)
        with pytest.raises(RelgraphError, match="give one of them"):
            predict_on_spark(model, five, source=shop_file)
    spark.sql("DROP TABLE churn_preds")
    spark.sql("DROP TABLE users_own")
