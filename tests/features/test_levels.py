"""Levels (years, coordinates, clock times) get no sums; amounts keep theirs;
the decision reads only rows visible at the plan's time; older saved plans
keep every sum."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

import relgraph as rg
from relgraph.features import FeaturePlan
from relgraph.features.levels import is_level, level_columns

T0 = pd.Timestamp("2024-01-01")


def shop(later_amounts: float | None = None) -> dict[str, pd.DataFrame]:
    """Orders of 10 customers; with ``later_amounts``, the amounts after day
    100 are scaled by up to that much (no longer close to a level)."""
    rng = np.random.default_rng(0)
    n = 200
    placed = T0 + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    amount = rng.uniform(100, 110, n)  # close to its level, until later rows
    later = placed > T0 + pd.Timedelta(days=100)
    if later_amounts is not None:
        amount[later] *= rng.uniform(0, later_amounts, later.sum())
    orders = pd.DataFrame(
        {
            "order_id": np.arange(n),
            "customer_id": rng.integers(1, 11, n),
            "placed": placed,
            "amount": amount,
            "model_year": rng.integers(1995, 2020, n),
            "delay": rng.normal(0, 30, n),  # crosses zero: not a level
            "at_clock": [dt.time(int(h), 0) for h in rng.integers(8, 20, n)],
        }
    )
    return {"customers": pd.DataFrame({"customer_id": np.arange(1, 11)}), "orders": orders}


def test_levels_and_amounts() -> None:
    assert is_level(2000.0, 7.0, 1956.0, 2013.0)  # a year
    assert is_level(-65.0, 1.5, -70.0, -60.0)  # one sign, below zero
    assert not is_level(41.6, 10.4, 19.7, 72.3)  # a latitude: 0.25 of its mean, keeps its sums
    assert not is_level(50.0, 40.0, 1.0, 400.0)  # an amount
    assert not is_level(12.0, 3.0, -30.0, 90.0)  # crosses zero
    assert not is_level(None, None, None, None)  # no visible rows
    db = rg.connect(shop())
    numeric = ["amount", "model_year", "delay", "at_clock"]
    assert level_columns(db, "orders", numeric, T0 + pd.Timedelta(days=300)) == [
        "amount",
        "model_year",
        "at_clock",
    ]


def test_only_rows_visible_at_the_plan_time_decide() -> None:
    db = rg.connect(shop(later_amounts=30.0))  # amounts spread out after day 100
    early, late = T0 + pd.Timedelta(days=90), T0 + pd.Timedelta(days=300)
    assert "amount" in level_columns(db, "orders", ["amount"], early)
    assert "amount" not in level_columns(db, "orders", ["amount"], late)


def test_a_plan_names_no_sums_of_levels_and_an_older_plan_keeps_them() -> None:
    db = rg.connect(shop(later_amounts=30.0))
    plan = FeaturePlan.fit(db, "customers", "30D", T0 + pd.Timedelta(days=300))
    ex = pd.DataFrame({"customer_id": [1, 2], "anchor_time": [T0 + pd.Timedelta(days=300)] * 2})
    names = list(plan.transform(db, ex).columns)
    assert "orders.model_year.mean.all" in names and "orders.amount.sum.all" in names
    assert not any(n.startswith("orders.model_year.sum") for n in names)
    assert "orders.at_clock.mean.all" in names
    assert not any(n.startswith("orders.at_clock.sum") for n in names)
    saved = plan.to_dict()
    for p in saved["paths"]:
        del p["levels"]  # as written before levels existed
    older = FeaturePlan.from_dict(saved)
    assert "orders.model_year.sum.all" in older.transform(db, ex).columns
