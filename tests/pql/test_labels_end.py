"""A window past the end of the target's own table is not recorded, so it is
never labelled (as 0): not in a split, not as an in-context example, not as
the target's history (``Task.labels_end``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.models.core.history import target_history

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


def test_history_and_context_never_read_unrecorded_windows(db: rg.Database) -> None:
    task = rg.Task.from_query(db, QUERY)
    later = ORDERS_END + pd.Timedelta(weeks=5)
    history = target_history(task, pd.DataFrame({"customer_id": range(60), "anchor_time": later}))
    # customers order about twice a week: a zero would be a window past June
    assert history["target.last"].gt(0).mean() > 0.8
    assert history["target.days_since_last"].min() >= 5 * 7
    preds = rg.predict(db, QUERY)
    context = preds.attrs["context"]
    assert pd.Timestamp(context["last_anchor"]) + pd.Timedelta(days=7) <= ORDERS_END
    assert "the target's table ends at 2024-06-30" in preds.attrs["anchor_note"]
    assert preds["prediction"].mean() > 1  # learned from recorded weeks, not from zeros
