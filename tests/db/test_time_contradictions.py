"""An inherited time that the rows referencing it precede is dropped (the
table is static, as without the guess); a few early rows, or a table's own
time column, keep the time."""

from __future__ import annotations

import pandas as pd

import relgraph as rg
from relgraph.db.inherited_time import ROW_TIME
from relgraph.db.time_contradictions import MAX_EARLY_SHARE, MIN_EARLY_ROWS


def launches_customers_orders(early: int, n: int = 60) -> dict[str, pd.DataFrame]:
    """Customers inherit the day of the launch they reference; each has two
    orders, 30 days before that day for the first ``early`` customers and
    after it for the rest. Notes of customers inherit through them."""
    days = pd.date_range("2020-03-01", periods=n, freq="D")
    shift = [pd.Timedelta(days=-30) if i < early else pd.Timedelta(days=5) for i in range(n)]
    ordered = [d + s for d, s in zip(days, shift, strict=True)]
    return {
        "launches": pd.DataFrame({"launch_id": range(n), "launched_at": days}),
        "customers": pd.DataFrame({"customer_id": range(n), "launch_id": range(n)}),
        "orders": pd.DataFrame(
            {"order_id": range(2 * n), "customer_id": [*range(n)] * 2, "ordered_at": ordered * 2}
        ),
        "customer_notes": pd.DataFrame({"note_id": range(2 * n), "customer_id": [*range(n)] * 2}),
    }


def test_an_inherited_time_the_referencing_rows_precede_is_dropped() -> None:
    calm = rg.connect(launches_customers_orders(early=0)).schema.tables
    assert calm["customers"].time_column == ROW_TIME  # nothing refutes it
    assert calm["customer_notes"].time_origin == "launches.launched_at"

    db = rg.connect(launches_customers_orders(early=50))
    tables = db.schema.tables
    assert tables["customers"].time_column is None
    # its heirs are redone: the notes inherit nothing now
    assert tables["customer_notes"].time_column is None
    assert tables["orders"].time_column == "ordered_at"
    note = next(w for w in db.schema.warnings if w.startswith("customers is static"))
    assert "100 of 120 orders rows" in note and "customer_id -> customer_id" in note


def test_a_few_early_rows_are_data_errors_not_a_contradiction() -> None:
    n = 200
    early = int(MAX_EARLY_SHARE * n) - 5  # below the share, above the row count
    assert 2 * early >= MIN_EARLY_ROWS
    tables = rg.connect(launches_customers_orders(early=early, n=n)).schema.tables
    assert tables["customers"].time_column == ROW_TIME
    few = (MIN_EARLY_ROWS - 1) // 2  # a large share, but too few rows to tell
    tables = rg.connect(launches_customers_orders(early=few, n=few + 1)).schema.tables
    assert tables["customers"].time_column == ROW_TIME


def test_an_own_time_column_is_kept_when_rows_come_before_it() -> None:
    """Qualifying a day before its race (rel-f1): a row known ahead of its time."""
    n = 40
    races = pd.DataFrame(
        {"race_id": range(n), "date": pd.date_range("2020-03-01", periods=n, freq="14D")}
    )
    qualifying = pd.DataFrame(
        {
            "qualify_id": range(3 * n),
            "race_id": [*range(n)] * 3,
            "date": [*(races["date"] - pd.Timedelta(days=1))] * 3,
        }
    )
    db = rg.connect({"races": races, "qualifying": qualifying})
    assert db.schema.tables["races"].time_column == "date"
    assert not any("is static" in w for w in db.schema.warnings)
