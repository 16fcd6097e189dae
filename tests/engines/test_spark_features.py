"""Relational features and the target's label history computed on Spark
equal DuckDB's: same columns, dtypes and rows; floats within 1e-9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.engines import SparkEngine
from relgraph.features import FeaturePlan, label_history_features, past_anchors, relational

pytestmark = pytest.mark.slow

CHURN = "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id"


def assert_same(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    assert list(spark.columns) == list(duck.columns)
    assert len(duck) > 0
    pd.testing.assert_frame_equal(spark, duck, check_exact=False, rtol=1e-9, atol=0)


@pytest.fixture(scope="module")
def churn(shop: rg.Database) -> tuple[rg.Task, FeaturePlan]:
    task = rg.Task.from_query(shop, CHURN)
    return task, FeaturePlan.fit(shop, "customers", horizon="30D", until=task.val_time)


def test_relational_features_equal_duckdb(
    shop: rg.Database, shop_spark: SparkEngine, churn: tuple[rg.Task, FeaturePlan]
) -> None:
    task, plan = churn
    examples = task.table("val")[["customer_id", "anchor_time"]]
    duck = plan.transform(shop, examples)
    # two-hop paths, windows, last values, shares and days are all there
    assert {"orders>order_items.unit_price.last", "customers.age_days"} <= set(duck.columns)
    assert any(".share." in c for c in duck.columns)
    assert_same(duck, plan.transform(shop, examples, engine=shop_spark))


def test_features_at_sub_second_anchors_with_a_cutoff_in_chunks(
    shop: rg.Database,
    shop_spark: SparkEngine,
    churn: tuple[rg.Task, FeaturePlan],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Odd anchor times (fractions of a second count in days), a cutoff, and
    aggregates split over several queries of one cached table."""
    _, plan = churn
    rng = np.random.default_rng(0)
    anchors = pd.Timestamp("2024-03-01") + pd.to_timedelta(
        rng.integers(0, 200 * 86400 * 10**6, 60), unit="us"
    )
    examples = pd.DataFrame(
        {"customer_id": rng.integers(1, 400, 60), "anchor_time": anchors}, index=range(100, 160)
    )
    cutoff = pd.Timestamp("2024-06-15 12:00")
    monkeypatch.setattr(relational, "AGGREGATES_PER_QUERY", 20)
    duck = plan.transform(shop, examples, cutoff=cutoff)
    assert_same(duck, plan.transform(shop, examples, cutoff=cutoff, engine=shop_spark))
    left = [t.name for t in shop_spark.spark.catalog.listTables() if t.name.startswith("__rg")]
    assert left == []  # the examples and the cached rows are dropped


def test_label_history_equals_duckdb(
    shop: rg.Database, shop_spark: SparkEngine, churn: tuple[rg.Task, FeaturePlan]
) -> None:
    task, _ = churn
    examples = task.table("val")[["customer_id", "anchor_time"]]
    horizon = pd.Timedelta(days=30)
    history = task.table_at(past_anchors(examples["anchor_time"], horizon, 12, task.earliest))
    duck = label_history_features(history, examples, "customer_id", horizon)
    spark = label_history_features(history, examples, "customer_id", horizon, engine=shop_spark)
    assert duck["target.count.all"].gt(0).any()
    assert_same(duck, spark)


def test_a_models_inputs_equal_duckdb(shop: rg.Database, shop_spark: SparkEngine) -> None:
    """What gbdt reads (relational features and the target's own history,
    whose past labels are also computed on the engine), with a cutoff."""
    from relgraph.models.core.inputs import TaskInputs

    task = rg.Task.from_query(shop, CHURN)
    inputs = TaskInputs.fit(task)
    examples = task.table("test").head(200)
    cutoff = pd.Timestamp(task.test_time)
    duck = inputs.transform(task, examples, cutoff)
    assert inputs.use_history and "target.mean.all" in duck.columns
    spark = inputs.transform(task, examples, cutoff, engine=shop_spark)
    assert list(spark.index) == list(examples.index)
    assert_same(duck, spark)
