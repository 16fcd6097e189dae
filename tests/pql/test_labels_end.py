"""A window past the end of the target's own table is not recorded: no split
anchor labels one (as 0), and ``predict`` says when its anchor is past it
(``Task.labels_end``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.models.core.base import ModelError

QUERY = "PREDICT COUNT(orders.*, 0, 7, days) FOR EACH customers.customer_id"
ORDERS_END = pd.Timestamp("2024-06-30")
VISITS_END = pd.Timestamp("2024-12-31")


@pytest.fixture(scope="module")
def db() -> rg.Database:
    """Orders every few days until June; the visits table goes on to December
    (as a database whose tables are exported on different schedules)."""
    rng = np.random.default_rng(0)
    customers = pd.DataFrame({"customer_id": range(60), "segment": rng.integers(0, 3, 60)})
    n = 12000
    at = pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 547, n), unit="D")
    orders = pd.DataFrame(
        {"order_id": range(n), "customer_id": rng.integers(0, 60, n), "ordered_at": at}
    )
    orders = orders[orders["ordered_at"] <= ORDERS_END]
    visits = pd.DataFrame(
        {
            "visit_id": range(200),
            "customer_id": rng.integers(0, 60, 200),
            "visited_at": pd.date_range("2023-01-01", VISITS_END, periods=200),
        }
    )
    return rg.connect({"customers": customers, "orders": orders, "visits": visits})


def test_splits_end_where_the_target_table_ends(db: rg.Database) -> None:
    task = rg.Task.from_query(db, QUERY)
    assert task.latest == VISITS_END and task.labels_end == ORDERS_END
    horizon = pd.Timedelta(days=7)
    for split in ("train", "val", "test"):
        anchors = task.anchor_times(split)
        assert anchors and max(anchors) + horizon <= ORDERS_END, split
    assert task.table("test")["label"].gt(0).any()


def test_predict_says_when_the_anchor_is_past_the_target_table(db: rg.Database) -> None:
    # At the database's latest time every recent window of orders reads 0: the
    # context is all zeros, and the error says where the orders end.
    with pytest.raises(ModelError, match=r"ends at 2024-06-30.*--anchor-time 2024-06-30"):
        rg.predict(db, QUERY)
    later = rg.predict(db, QUERY, anchor_time=ORDERS_END + pd.Timedelta(weeks=2))
    assert (
        "the target's table ends at 2024-06-30 00:00:00, before this anchor"
        in (later.attrs["anchor_note"])
    )
    recorded = rg.predict(db, QUERY, anchor_time=ORDERS_END)
    assert "ends at" not in recorded.attrs["anchor_note"]
    assert recorded["prediction"].mean() > 1
