"""The Task API: tables per split and at any anchors, dtypes, SQL, summary."""

from __future__ import annotations

import pandas as pd
import pytest

import relgraph as rg
from relgraph.errors import PQLError, PQLSemanticError, PQLSyntaxError
from relgraph.pql import TaskType


@pytest.fixture(scope="module")
def churn(shop: rg.Database) -> rg.Task:
    return rg.Task.from_query(
        shop,
        "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id",
        val_time="2024-06-01",
        test_time="2024-09-01",
    )


def test_from_query_and_facts(churn: rg.Task) -> None:
    assert churn.task_type is TaskType.binary_classification
    assert churn.metrics == ["auroc", "ap", "accuracy", "f1"]
    assert (churn.entity_table, churn.entity_key) == ("customers", "customer_id")
    assert churn.val_time == pd.Timestamp("2024-06-01") and str(churn.horizon) == "30 days"
    assert churn.k is None and churn.target_link is None and not churn.is_static
    assert "binary_classification" in repr(churn)


def test_table_columns_and_dtypes(churn: rg.Task) -> None:
    table = churn.table("val")
    assert list(table.columns) == ["customer_id", "anchor_time", "label"]
    assert str(table.anchor_time.dtype) == "datetime64[us]" and table.label.dtype == "int64"
    assert set(table.label) <= {0, 1}
    assert list(table.anchor_time.unique()) == churn.anchor_times("val")
    assert table.equals(table.sort_values(["anchor_time", "customer_id"]).reset_index(drop=True))
    table.loc[0, "label"] = 7  # a copy: the cache is not touched
    assert churn.table("val").label.max() <= 1


def test_table_at_any_anchors_in_one_query(churn: rg.Task) -> None:
    anchors = ["2024-03-01", pd.Timestamp("2024-01-15"), "2024-03-01"]
    table = churn.table_at(anchors)
    assert sorted(table.anchor_time.unique()) == [
        pd.Timestamp("2024-01-15"),
        pd.Timestamp("2024-03-01"),
    ]
    one = churn.table_at(["2024-01-15"])
    assert one.equals(table[table.anchor_time == pd.Timestamp("2024-01-15")].reset_index(drop=True))
    assert churn.table_at([]).empty and list(churn.table_at([]).columns) == list(table.columns)
    assert churn.sql(anchors).count("WITH anchors AS") == 1
    with pytest.raises(PQLError, match="Cannot read anchor time 'yesterday'"):
        churn.table_at(["yesterday"])


def test_val_and_test_tables_match_table_at(churn: rg.Task) -> None:
    for split in ("train", "val", "test"):
        assert churn.table(split).equals(churn.table_at(churn.anchor_times(split)))


def test_sql_is_readable_and_in_any_dialect(churn: rg.Task) -> None:
    sql = churn.sql(split="val")
    assert sql.startswith("WITH anchors AS (") and "\n" in sql
    assert "'2024-06-01 00:00:00'" in sql and "INTERVAL '30' DAY" in sql
    assert "INTERVAL '30 DAY'" in churn.sql(split="val", dialect="postgres")
    assert "FROM VALUES" in churn.sql(split="val", dialect="spark")
    assert "\n" not in churn.sql(split="val", pretty=False)


def test_label_types_per_task(shop: rg.Database) -> None:
    def table(text: str) -> pd.DataFrame:
        task = rg.Task.from_query(shop, text, val_time="2024-06-01", test_time="2024-09-01")
        return task.table("val")

    assert (
        table("PREDICT SUM(orders.amount, 0, 30) FOR EACH customers.customer_id").label.dtype
        == "float64"
    )
    classes = table("PREDICT FIRST(orders.channel, 0, 30) FOR EACH customers.customer_id").label
    assert set(classes) <= {"web", "app", "store"}
    lists = table(
        "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30) RANK TOP 5 "
        "FOR EACH customers.customer_id"
    ).label
    assert all(isinstance(x, list) and x == sorted(set(x)) and x for x in lists)
    assert all(isinstance(v, int) for x in lists for v in x)


def test_errors_from_from_query(shop: rg.Database) -> None:
    with pytest.raises(PQLSyntaxError, match="an aggregation needs a time window"):
        rg.Task.from_query(shop, "PREDICT COUNT(orders.*) FOR EACH customers.customer_id")
    with pytest.raises(PQLSemanticError, match="Unknown table 'orderz'"):
        rg.Task.from_query(shop, "PREDICT COUNT(orderz.*, 0, 3) FOR EACH customers.customer_id")
    with pytest.raises(PQLError, match="Cannot read the horizon"):
        rg.Task.from_query(
            shop, "PREDICT COUNT(orders.*, 0, 3) FOR EACH customers.customer_id", horizon="soon"
        )
    with pytest.raises(PQLError, match="Cannot read val_time"):
        rg.Task.from_query(
            shop, "PREDICT COUNT(orders.*, 0, 3) FOR EACH customers.customer_id", val_time="someday"
        )
    q = rg.pql.parse("PREDICT COUNT(orders.*, 0, 3) FOR EACH customers.customer_id")
    assert rg.Task.from_query(shop, q).query == q


def test_split_errors_surface_when_splits_are_needed() -> None:
    db = rg.connect(
        {
            "users": pd.DataFrame({"user_id": [1, 2]}),
            "events": pd.DataFrame(
                {"event_id": [1], "user_id": [1], "at": pd.to_datetime(["2024-01-01"])}
            ),
        }
    )
    task = rg.Task.from_query(db, "PREDICT COUNT(events.*, 0, 30) FOR EACH users.user_id")
    assert len(task.table_at(["2023-12-31"])) == 2  # anchors work without splits
    with pytest.raises(PQLError, match="fewer than 3 horizons"):
        task.table("train")


def test_summary(churn: rg.Task) -> None:
    summary = churn.summary()
    assert summary["task_type"] == "binary_classification" and summary["horizon"] == "30 days"
    val = summary["splits"]["val"]
    assert val["anchors"] == 3 and val["examples"] == len(churn.table("val"))
    assert 0 < val["labels"]["positive_rate"] < 1


def test_static_target_table(trials: rg.Database) -> None:
    task = rg.Task.from_query(
        trials,
        "PREDICT outcomes.result = 'Positive' FOR EACH studies.study_id "
        "WHERE studies.phase != 'Phase 1'",
    )
    assert task.is_static and task.task_type is TaskType.binary_classification
    table = task.table("train")
    phases = trials.table("studies").set_index("study_id").phase
    assert (phases.loc[table.study_id] != "Phase 1").all()
    starts = trials.table("studies").set_index("study_id").started_at
    assert (table.anchor_time.to_numpy() == starts.loc[table.study_id].to_numpy()).all()
    assert "WITH periods AS" in task.sql(split="test")


@pytest.mark.parametrize(
    "query",
    [
        "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id",
        "PREDICT SUM(orders.amount, 0, 30) FOR EACH customers.customer_id "
        "WHERE COUNT(orders.*, -90, 0, days) > 0",
        "PREDICT FIRST(orders.channel, 0, 30) FOR EACH customers.customer_id",
        "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30) RANK TOP 5 "
        "FOR EACH customers.customer_id",
        "PREDICT SUM(orders.amount, 0, 7, days) FORECAST 3 TIMEFRAMES "
        "FOR customers.customer_id IN (3, 1)",
    ],
)
def test_labels_sql_from_the_compiled_template_is_the_compiled_sql(
    shop: rg.Database, query: str
) -> None:
    """table_at compiles a task's SQL once and puts each call's anchors in:
    the text is the one compiling with those anchors gives."""
    from relgraph.pql.compiler import compile_windowed

    task = rg.Task.from_query(shop, query, val_time="2024-06-01", test_time="2024-09-01")
    anchors = [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-01 06:30:00.25")]
    want = compile_windowed(task.checked, anchors).sql(dialect="duckdb")
    assert task._windowed_sql(anchors) == want
    assert task._windowed_sql(anchors[:1]) == compile_windowed(task.checked, anchors[:1]).sql(
        dialect="duckdb"
    )
