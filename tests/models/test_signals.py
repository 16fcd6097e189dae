"""Readable reasons from feature names."""

from __future__ import annotations

import pytest

from relgraph.models.core.signals import describe


@pytest.mark.parametrize(
    ("feature", "value", "text"),
    [
        ("orders.count.last_30d", 0, "orders: none in the last 30 days"),
        ("orders.count.all", 4, "orders: 4 in all history"),
        ("orders.amount.mean.last_30d", 12.5, "orders.amount: mean 12.5 over the last 30 days"),
        (
            "results.positionOrder.mean.last_5",
            3.2,
            "results.positionOrder: mean 3.2 over the last 5 rows",
        ),
        ("results.statusId=1.share.all", 0.8, "results.statusId=1 in 80% of rows over all history"),
        ("target.mean.last_12", 0.4, "own history: mean label 0.4 over the last 12 windows"),
        ("orders.days_since_last", 64.2, "orders: last one 64 days ago"),
        ("orders.days_since_last", float("nan"), "orders: none so far"),
        ("orders.amount.last", 5.0, "orders.amount: last value 5"),
        ("customers.segment", "budget", "customers.segment = budget"),
        ("earlier.mean.last_365d", 9.3, "earlier rows: mean label 9.3 over the last 365 days"),
        ("earlier[series].last", 10.3, "earlier rows of the same series: latest label 10.3"),
        ("earlier.count.last_30d", 0, "earlier rows: none labelled in the last 30 days"),
    ],
)
def test_describe(feature: str, value, text: str) -> None:
    assert describe(feature, value) == text
