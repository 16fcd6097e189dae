"""Features computed as Spark DataFrames (nothing collected to the driver)
equal the pandas features within 1e-9, and a gbdt model predicts from them
on workers that open no database (``predict_on_spark(features="spark")``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce, write_duckdb
from relgraph.engines import SparkEngine, TempViews, open_engine, predict_on_spark, spark_entities
from relgraph.features import FeaturePlan
from relgraph.models.core.inputs import TaskInputs
from relgraph.models.registry import make_model

pytestmark = pytest.mark.slow

CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"
SPEND = "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id"
#: Windows of calendar months: anchors and feature windows step by months.
MONTHLY = "PREDICT SUM(orders.amount, 0, 1, months) FOR EACH customers.customer_id"


def plain(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows by key and anchor time, categories as their values, numbers as floats."""
    frame = frame.sort_values([key, "anchor_time"], kind="stable").reset_index(drop=True)
    for col in frame.columns:
        if col in (key, "anchor_time"):
            continue
        if pd.api.types.is_numeric_dtype(frame[col]) and not isinstance(
            frame[col].dtype, pd.CategoricalDtype
        ):
            frame[col] = frame[col].astype(float)
        else:  # categories, strings: their values
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame["anchor_time"] = frame["anchor_time"].astype("datetime64[us]")
    return frame


def assert_close(got: pd.DataFrame, expected: pd.DataFrame, key: str) -> None:
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected) > 0
    pd.testing.assert_frame_equal(
        plain(got, key), plain(expected, key), check_exact=False, rtol=0, atol=1e-9
    )


def with_context(examples: pd.DataFrame, key: str, rows: int) -> pd.DataFrame:
    """The examples at their anchors, plus repeated rows (same key and time)."""
    return pd.concat([examples, examples.head(rows)], ignore_index=True)[[key, "anchor_time"]]


def test_relational_features_as_a_spark_dataframe(
    spark: Any, shop: rg.Database, shop_spark: SparkEngine
) -> None:
    task = rg.Task.from_query(shop, CHURN)
    plan = FeaturePlan.fit(shop, "customers", horizon="30D", until=task.val_time)
    examples = with_context(task.table("val"), "customer_id", 7)
    cutoff = pd.Timestamp(task.val_time) - pd.Timedelta(days=3, microseconds=5)
    expected = plan.transform(shop, examples, cutoff=cutoff)
    assert expected["customers.age_days"].notna().all()
    with TempViews(shop_spark) as views:
        frame = plan.spark_transform(shop, spark.createDataFrame(examples), views, cutoff)
        got = frame.toPandas()
        assert views.names  # the views a lazy result reads stay until the end
    assert list(got.columns) == ["customer_id", "anchor_time", *expected.columns]
    assert_close(got, pd.concat([examples, expected], axis=1), "customer_id")
    left = [t.name for t in spark.catalog.listTables() if t.name.startswith("__rg")]
    assert left == []


@pytest.mark.parametrize("query", [SPEND, MONTHLY], ids=["days", "months"])
def test_a_models_inputs_as_a_spark_dataframe(
    spark: Any, shop: rg.Database, shop_spark: SparkEngine, query: str
) -> None:
    """Relational features and the target's own history (its past labels
    computed on Spark too), with a cutoff."""
    task = rg.Task.from_query(shop, query)
    inputs = TaskInputs.fit(task)
    examples = with_context(task.table("test"), "customer_id", 5)
    cutoff = pd.Timestamp(task.test_time)
    expected = inputs.transform(task, examples, cutoff)
    assert inputs.use_history and expected["target.count.all"].gt(0).any()
    with TempViews(shop_spark) as views:
        got = inputs.spark_transform(task, spark.createDataFrame(examples), views, cutoff)
        got = got.toPandas()
    expected = pd.concat([examples.reset_index(drop=True), expected.reset_index(drop=True)], axis=1)
    assert_close(got, expected, "customer_id")


def test_a_row_level_targets_earlier_rows_on_spark(
    spark: Any, shop: rg.Database, shop_spark: SparkEngine
) -> None:
    """``earlier.*`` (the table's earlier rows' labels, overall and per
    customer) computed on Spark, with a cutoff, as DuckDB computes them."""
    task = rg.Task.from_query(shop, "PREDICT orders.amount FOR EACH orders.order_id")
    inputs = TaskInputs.fit(task)
    examples = with_context(task.table("test"), "order_id", 5)
    cutoff = pd.Timestamp(task.test_time) + pd.Timedelta(days=9)
    expected = inputs.transform(task, examples, cutoff)
    assert expected["earlier[customer_id].count.all"].gt(0).any()
    with TempViews(shop_spark) as views:
        got = inputs.spark_transform(task, spark.createDataFrame(examples), views, cutoff)
        got = got.toPandas()
    expected = pd.concat([examples.reset_index(drop=True), expected.reset_index(drop=True)], axis=1)
    assert_close(got, expected, "order_id")


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark_features") / "shop.duckdb"
    write_duckdb(make_ecommerce(scale=0.1, seed=4), path)
    return path


@pytest.mark.parametrize("query", [CHURN, SPEND], ids=["binary", "regression"])
def test_gbdt_predicts_from_spark_features_without_a_database(
    spark: Any, shop_file: Path, tmp_path: Path, query: str
) -> None:
    db = rg.connect(shop_file)
    task = rg.Task.from_query(db, query)
    model = make_model("gbdt").fit(task)
    anchor = task.val_time
    expected = model.predict(task.entities_at(anchor))
    out = tmp_path / "preds"
    # a session of its own: the shared one's views (the shop_spark tables) stay
    session = spark.newSession()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    with open_engine(task.source_db, "spark", spark=session) as engine:
        entities = spark_entities(task, engine, anchor)
        # no source=: the workers get the boosters and the plan, never the database
        predict_on_spark(model, entities, out, features="spark", engine=engine, partitions=3)
    got = pd.read_parquet(out)
    assert len(got) == len(expected) > 100
    assert list(got.columns) == list(expected.columns)
    key = task.entity_key
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_exact=False,
        rtol=0,
        atol=1e-9,
    )
    assert np.unique(got[key]).size == len(got)
