"""Labels computed on Spark equal DuckDB's, row for row: exact for keys,
integers and times, floats within 1e-9 (relative), lists as sorted lists."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.engines import SparkEngine, task_table, task_table_at

pytestmark = pytest.mark.slow

SHOP_QUERIES = [
    # counts, with a filter on the entities
    "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id "
    "WHERE COUNT(orders.*, -90, 0, days) > 0",
    # sums of floats (regression)
    "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",
    # a filter inside the aggregation, and a scalar condition on the entity
    "PREDICT COUNT(orders.* WHERE orders.status = 'refunded', 0, 60, days) > 0 "
    "FOR EACH customers.customer_id WHERE customers.segment = 'premium'",
    # two hops (customers <- orders <- order_items), a mean
    "PREDICT AVG(order_items.unit_price, 0, 30, days) FOR EACH customers.customer_id",
    # link prediction: sorted lists of product ids
    "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) RANK TOP 5 "
    "FOR EACH customers.customer_id",
    # months (calendar arithmetic), LIKE and ASSUMING
    "PREDICT COUNT_DISTINCT(order_items.product_id, 0, 2, months) > 2 "
    "FOR EACH customers.customer_id WHERE customers.country LIKE 'D%' "
    "ASSUMING COUNT(orders.*, 0, 2, months) > 0",
    # FIRST: ties broken by key
    "PREDICT FIRST(orders.channel, 0, 30, days) FOR EACH customers.customer_id",
    # a static target (no window): per-period entities, linked rows by the cutoff
    "PREDICT customers.segment FOR EACH orders.order_id",
    # a static entity table: split by a hash of the key
    "PREDICT COUNT(order_items.*, 0, 60, days) FOR EACH products.product_id",
]


def assert_same(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    """Same columns, dtypes and rows in the same order; floats within 1e-9."""
    assert list(spark.columns) == list(duck.columns)
    assert len(duck) > 0
    pd.testing.assert_frame_equal(spark, duck, check_exact=False, rtol=1e-9, atol=0)


@pytest.mark.parametrize("query", SHOP_QUERIES)
def test_shop_labels_equal_duckdb_in_every_split(
    shop: rg.Database, shop_spark: SparkEngine, query: str
) -> None:
    task = rg.Task.from_query(shop, query)
    for split in ("train", "val", "test"):
        assert_same(task.table(split), task_table(task, shop_spark, split))


def test_entity_anchored_labels_equal_duckdb(shop: rg.Database, shop_spark: SparkEngine) -> None:
    query = "PREDICT COUNT(orders.*, 0, 30, days) > 0 FOR EACH customers.customer_id"
    task = rg.Task.from_query(shop, query, anchor="entity")
    for split in ("train", "test"):
        assert_same(task.table(split), task_table(task, shop_spark, split))


def test_labels_at_anchor_times_that_are_not_midnight(
    shop: rg.Database, shop_spark: SparkEngine
) -> None:
    # microseconds and a month end: calendar months from Jan 31 end on Feb 29
    anchors = ["2024-01-31 13:45:10.123456", "2024-03-31", "2024-10-27 02:30"]
    task = rg.Task.from_query(
        shop, "PREDICT SUM(orders.amount, 0, 1, months) FOR EACH customers.customer_id"
    )
    duck = task.table_at(anchors)
    assert_same(duck, task_table_at(task, shop_spark, anchors))
    assert duck["anchor_time"].dt.microsecond.max() == 123456


def test_static_trial_outcomes_equal_duckdb(trials: rg.Database, trials_spark: SparkEngine) -> None:
    task = rg.Task.from_query(
        trials, "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id"
    )
    for split in ("train", "val", "test"):
        assert_same(task.table(split), task_table(task, trials_spark, split))


def test_spark_sees_a_changed_source_only_through_the_engine(
    shop: rg.Database, shop_spark: SparkEngine
) -> None:
    """The labels come from Spark's tables, not from the task's DuckDB: a
    view hiding the refunded orders changes Spark's labels only."""
    query = "PREDICT COUNT(orders.*, 0, 30, days) FOR EACH customers.customer_id"
    task = rg.Task.from_query(shop, query)
    anchors = task.anchor_times("val")
    before = task_table_at(task, shop_spark, anchors)
    orders = shop_spark.spark.table("orders")
    try:
        shop_spark.register_dataframe("orders", orders.where("status <> 'refunded'"))
        after = task_table_at(task, shop_spark, anchors)
    finally:
        shop_spark.register_dataframe("orders", orders)
    assert after["label"].sum() < before["label"].sum()
    assert_same(task.table_at(anchors), before)
