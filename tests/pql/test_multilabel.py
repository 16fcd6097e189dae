"""``PREDICT LIST_DISTINCT(...) CLASSIFY``: which keys of a fixed set occur in
the window (multilabel classification, issue 21): parse, check, compile and
labels, against the brute-force reference."""

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
    "PREDICT LIST_DISTINCT(order_items.product_id VIA orders.buyer_id, 0, 30, days) CLASSIFY "
    "FOR EACH customers.customer_id"
)


def test_parse_keeps_classify() -> None:
    q = parse(QUERY.replace("CLASSIFY", "classify"))
    assert q.classify and q.rank is None
    assert parse(q.to_pql()) == q
    assert "CLASSIFY FOR EACH" in q.to_pql()


def test_check_gives_multilabel(market: rg.Database) -> None:
    c = check(parse(QUERY), market.schema)
    assert c.task_type is TaskType.multilabel_classification
    assert c.metrics[0] == "macro_auroc" and c.k is None
    assert c.list_link is not None and c.list_link.dst_table == "products"


def test_mistakes_point_at_their_text(market: rg.Database) -> None:
    fails(
        market,
        "PREDICT LIST_DISTINCT(order_items.quantity VIA orders.buyer_id, 0, 30) CLASSIFY FOR EACH "
        "customers.customer_id",
        "LIST_DISTINCT lists foreign keys",
        "quantity",
    )
    fails(
        market,
        "PREDICT LIST_DISTINCT(reviews.product_id, 0, 30) RANK TOP 2 CLASSIFY FOR EACH "
        "customers.customer_id",
        "CLASSIFY does not apply to LIST_DISTINCT with RANK TOP k",
        "CLASSIFY",
    )
    fails(
        market,
        "PREDICT LIST_DISTINCT(reviews.product_id, -30, 0) CLASSIFY FOR EACH customers.customer_id",
        "The target looks forward",
        "-30",
    )
    with pytest.raises(PQLSemanticError, match="CLASSIFY") as e:  # the hint names both forms
        check(
            parse(
                "PREDICT LIST_DISTINCT(reviews.product_id, 0, 30) FOR EACH customers.customer_id"
            ),
            market.schema,
        )
    assert "RANK TOP" in e.value.hint


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_compiles_in_every_dialect_keeping_empty_windows(market: rg.Database, dialect) -> None:
    task = rg.Task.from_query(market, QUERY)
    sql = task.sql(["2024-01-01"], dialect=dialect)
    assert "ARRAY_AGG" in sql.upper() or "COLLECT" in sql.upper()
    # the final select keeps NULL lists (no key occurs), unlike RANK TOP
    assert "label IS NULL" not in sql.split("FROM examples")[-1]


def test_labels_by_hand(market: rg.Database) -> None:
    """Items: customer 1 buys 10, 11 on 01-10, 10 on 01-31, 12 on 02-15 12:00;
    customer 3 buys 11 on 02-20; customer 2 none (its order has no items)."""
    task = rg.Task.from_query(market, QUERY)
    table = task.table_at(["2024-01-09", "2024-02-01"])
    got = {(r.customer_id, str(r.anchor_time.date())): r.label for r in table.itertuples()}
    assert got[(1, "2024-01-09")] == [10, 11]
    assert got[(2, "2024-01-09")] == []  # created by then, nothing bought: an example
    assert got[(1, "2024-02-01")] == [12]
    assert got[(3, "2024-02-01")] == [11]
    assert (3, "2024-01-09") not in got  # not yet created
    stats = label_stats(table["label"], task.task_type)
    assert len(table) == 5 and got[(2, "2024-02-01")] == []
    assert stats["mean_labels"] == 0.8 and stats["empty_rate"] == 0.4
    assert stats["top"] == {"11": 2, "10": 1, "12": 1}


def test_labels_equal_the_reference_on_the_market(market: rg.Database) -> None:
    anchors = [pd.Timestamp(t) for t in ("2024-01-01", "2024-01-10", "2024-02-01", "2024-02-15")]
    for text in (
        QUERY,
        QUERY.replace("buyer_id,", "buyer_id WHERE products.category = 'toys',"),
        QUERY + " WHERE COUNT(orders.* VIA orders.buyer_id, -INF, 0) > 0",
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
    random windows and filters, against the brute-force executor."""
    r = random.Random(seed)
    frames, schema = make_database(r)
    db = rg.connect(frames, schema=schema)
    anchors = sorted({BASE + pd.Timedelta(days=r.randint(0, DAYS)) for _ in range(3)})
    start = r.randint(0, 3)
    window = f"{start}, {start + r.randint(1, 6)}, days"
    filters = ["", " WHERE items.qty > 2", " WHERE groups.name != 'g11'"]
    entities = ["FOR EACH users.user_id", "FOR EACH events.event_id"]
    where = ["", " WHERE COUNT(events.*, -INF, 0) > 0"]
    for entity in entities:
        text = (
            f"PREDICT LIST_DISTINCT(items.group_id{r.choice(filters)}, {window}) CLASSIFY "
            f"{entity}{r.choice(where) if entity.startswith('FOR EACH users') else ''}"
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
