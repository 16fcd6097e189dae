"""``PREDICT <aggregation> FORECAST n TIMEFRAMES``: a number in each of n
consecutive windows of the aggregation's length (issue 21): parse, check with
carets, compile, and labels against the brute-force reference."""

from __future__ import annotations

import random

import pandas as pd
import pytest

import relgraph as rg
from relgraph.errors import PQLSemanticError
from relgraph.pql import TaskType, check, parse
from relgraph.pql.task import label_stats
from tests.pql.carets import fails
from tests.pql.reference import reference_table, same_tables
from tests.pql.test_differential import BASE, DAYS, make_database

QUERY = (
    "PREDICT SUM(orders.amount VIA orders.buyer_id, 0, 10, days) FORECAST 3 TIMEFRAMES "
    "FOR EACH customers.customer_id"
)


def test_parse_keeps_the_number_of_windows() -> None:
    q = parse(QUERY.replace("FORECAST 3 TIMEFRAMES", "forecast 3 timeframe"))
    assert q.forecast is not None and q.forecast.n == 3
    assert "FORECAST 3 TIMEFRAMES FOR EACH" in q.to_pql()
    assert parse(q.to_pql()) == q
    assert parse(QUERY) != parse(QUERY.replace("FORECAST 3", "FORECAST 4"))
    # the words stay usable as names where no keyword can stand
    assert parse('PREDICT COUNT(forecast.*, 0, 7) FOR EACH "timeframes".id').target.table == (
        "forecast"
    )


def test_check_gives_a_forecast(market: rg.Database) -> None:
    c = check(parse(QUERY), market.schema)
    assert c.task_type is TaskType.forecast and c.steps == 3
    assert c.metrics == ["mae", "rmse", "mae_step_1", "mae_step_2", "mae_step_3"]
    assert str(c.horizon) == "30 days"  # the end of the last window
    assert c.describe()["forecast"] == [
        "(t, t + 10 days]",
        "(t + 10 days, t + 20 days]",
        "(t + 20 days, t + 30 days]",
    ]
    shifted = check(parse(QUERY.replace("0, 10, days", "2, 5, weeks")), market.schema)
    assert str(shifted.horizon) == "11 weeks"  # (2, 5], (5, 8], (8, 11]


@pytest.mark.parametrize(
    ("text", "match", "token"),
    [
        (QUERY.replace(") FORECAST", ") = 0 FORECAST"), "a condition", "FORECAST 3 TIMEFRAMES"),
        (QUERY.replace("FORECAST 3", "FORECAST 0"), "from 1 to 365", "0"),
        (QUERY.replace("FORECAST 3", "FORECAST 366"), "from 1 to 365", "366"),
        (QUERY.replace("FORECAST 3", "FORECAST 2.5"), "whole number", "2.5"),
        (
            QUERY.replace(") FORECAST", ") CLASSIFY FORECAST"),
            "CLASSIFY does not apply to FORECAST",
            "CLASSIFY",
        ),
        (
            "PREDICT customers.country FORECAST 3 TIMEFRAMES FOR EACH customers.customer_id",
            "windowed aggregation",
            "FORECAST 3 TIMEFRAMES",
        ),
        (
            "PREDICT LIST_DISTINCT(reviews.product_id, 0, 30) RANK TOP 2 FORECAST 3 TIMEFRAMES "
            "FOR EACH customers.customer_id",
            "LIST_DISTINCT lists keys",
            "LIST_DISTINCT",
        ),
        (
            "PREDICT MAX(orders.channel VIA orders.buyer_id, 0, 30) FORECAST 3 TIMEFRAMES "
            "FOR EACH customers.customer_id",
            "multiclass classification",
            "MAX(orders.channel VIA orders.buyer_id, 0, 30)",
        ),
        (QUERY.replace("0, 10, days", "0, 400, years"), "1,000 years", "3"),
        (QUERY.replace("0, 10, days", "-10, 0, days"), "The target looks forward", "-10"),
    ],
)
def test_mistakes_point_at_their_text(market: rg.Database, text, match, token) -> None:
    fails(market, text, match, token)


def test_rank_top_is_refused_with_a_number(market: rg.Database) -> None:
    text = QUERY.replace(") FORECAST", ") RANK TOP 3 FORECAST")
    # RANK TOP k is for LIST_DISTINCT: the caret is under its k
    with pytest.raises(PQLSemanticError, match="RANK TOP"):
        check(parse(text), market.schema)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_compiles_one_value_per_window_in_every_dialect(market: rg.Database, dialect) -> None:
    task = rg.Task.from_query(market, QUERY)
    sql = task.sql(["2024-01-01"], dialect=dialect)
    assert "ARRAY" in sql.upper() or "[" in sql
    assert "agg_3" in sql and "agg_4" not in sql  # three windows, one CTE each
    avg = rg.Task.from_query(market, QUERY.replace("SUM(", "AVG("))
    assert "IS NULL" in avg.sql(["2024-01-01"], dialect=dialect)  # an empty window drops it


def test_labels_by_hand(market: rg.Database) -> None:
    """Customer 1 orders 10.0 on 01-10, 20.0 on 01-31, a NULL amount on 02-15;
    customer 2 orders 5.0 on 02-01."""
    task = rg.Task.from_query(market, QUERY)
    table = task.table_at(["2024-01-01", "2024-01-21"])
    got = {(r.customer_id, str(r.anchor_time.date())): r.label for r in table.itertuples()}
    assert got == {
        (1, "2024-01-01"): [10.0, 0.0, 20.0],  # 01-31 is the last window's end: inside
        (1, "2024-01-21"): [20.0, 0.0, 0.0],
        (2, "2024-01-21"): [0.0, 5.0, 0.0],
    }
    stats = label_stats(table["label"], task.task_type)
    assert stats["step_means"] == [10.0, round(5 / 3, 4), round(20 / 3, 4)]
    assert stats["max"] == 20.0
    # AVG of an empty window has no value: the example is dropped
    avg = rg.Task.from_query(market, QUERY.replace("SUM(", "AVG(")).table_at(["2024-01-01"])
    assert avg.empty


def test_splits_step_by_the_whole_forecast(market: rg.Database) -> None:
    task = rg.Task.from_query(market, QUERY, val_time="2024-02-01", test_time="2024-03-02")
    assert str(task.horizon) == "30 days"
    assert [str(t.date()) for t in task.anchor_times("train")] == ["2024-01-02"]
    assert task.table("train")["label"].map(len).eq(3).all()
    assert len(task.entities_at("2024-02-01")) == 3  # customers 1, 2, 3


def test_labels_equal_the_reference_on_the_market(market: rg.Database) -> None:
    anchors = [pd.Timestamp(t) for t in ("2024-01-01", "2024-01-10", "2024-02-01", "2024-02-15")]
    for text in (
        QUERY,
        QUERY.replace("SUM(orders.amount", "COUNT(orders.*").replace("3 TIME", "1 TIME"),
        QUERY.replace("SUM(", "MAX(").replace("0, 10, days", "0, 1, weeks"),
        QUERY + " WHERE COUNT(orders.* VIA orders.buyer_id, -INF, 0) > 0",
        QUERY + " ASSUMING COUNT(orders.* VIA orders.seller_id, 0, 30) > 0",
    ):
        task = rg.Task.from_query(market, text)
        same_tables(
            task.table_at(anchors),
            reference_table(market, task.checked, anchors),
            task.entity_key,
        )


@pytest.mark.parametrize("seed", range(12))
def test_labels_equal_the_reference_on_random_databases(seed: int) -> None:
    """Random databases (NULL times, keys and values; a static parent) and
    random functions, windows, counts of windows and filters."""
    r = random.Random(seed)
    frames, schema = make_database(r)
    db = rg.connect(frames, schema=schema)
    anchors = sorted({BASE + pd.Timedelta(days=r.randint(0, DAYS)) for _ in range(3)})
    start = r.randint(0, 3)
    window = f"{start}, {start + r.randint(1, 4)}, days"
    func = r.choice(["SUM(items.qty", "COUNT(items.*", "AVG(items.qty", "MIN(items.qty"])
    filters = ["", " WHERE items.qty > 1", " WHERE groups.name != 'g11'"]
    entities = ["FOR EACH users.user_id", "FOR EACH events.event_id"]
    for entity in entities:
        text = (
            f"PREDICT {func}{r.choice(filters)}, {window}) FORECAST {r.randint(1, 4)} "
            f"TIMEFRAMES {entity}"
        )
        task = rg.Task.from_query(db, text)
        try:
            same_tables(
                task.table_at(anchors),
                reference_table(db, task.checked, anchors),
                task.entity_key,
            )
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: {text} at {anchors}\n{exc}") from None
