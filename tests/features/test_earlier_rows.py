"""A row-level target's earlier rows as features: the values match a plain
pandas reading of the definition, and nothing at or after an example's
instant (or after the cutoff, or its own row) is read."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.engines.duckdb_engine import DuckDBEngine
from relgraph.features.earlier_rows import earlier_rows_features, feature_names
from relgraph.models.core.history import earlier_parents, reads_earlier_rows
from relgraph.models.core.inputs import TaskInputs

DAY = pd.Timedelta(days=1)


def table(seed: int = 0, n: int = 400) -> pd.DataFrame:
    """Rows with a time (many ties: whole days), a parent (some NULL) and a label."""
    rng = np.random.default_rng(seed)
    when = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    parent = rng.integers(0, 12, n).astype(float)
    parent[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {"id": np.arange(n), "at": when, "parent": parent, "y": rng.normal(10, 3, n).round(2)}
    )


def reference(rows: pd.DataFrame, examples: pd.DataFrame, cutoff=None) -> pd.DataFrame:
    """The definition, row by row: rows strictly before the example's instant
    (its anchor, its own row's time if earlier, just after the cutoff)."""
    own = rows.set_index("id")["at"]
    out = []
    for k, t in zip(examples["id"], examples["anchor_time"], strict=True):
        seen = rows if cutoff is None else rows[rows["at"] <= cutoff]
        instant = min(t, own.get(k, t))
        before = seen[seen["at"] < instant] if cutoff is None or instant <= cutoff else seen
        end = instant if cutoff is None or instant <= cutoff else cutoff + pd.Timedelta(1, "us")
        row = {}
        for days in (30, 90, 365, None):
            name = "all" if days is None else f"last_{days}d"
            w = before if days is None else before[before["at"] >= end - days * DAY]
            row[f"earlier.mean.{name}"] = w["y"].mean() if len(w) else np.nan
            row[f"earlier.count.{name}"] = float(len(w))
        latest = before[before["at"] == before["at"].max()] if len(before) else before
        # ties at the latest instant: any of them may be "last"; the test reads the set
        row["earlier.last"] = set(latest["y"]) if len(latest) else np.nan
        row["earlier.days_since_last"] = (end - before["at"].max()) / DAY if len(before) else np.nan
        p = rows.set_index("id")["parent"].get(k, np.nan)
        same = before[before["parent"] == p] if not np.isnan(p) else before.iloc[:0]
        row["earlier[parent].mean.all"] = (
            same["y"].mean() if len(same) and not np.isnan(p) else np.nan
        )
        row["earlier[parent].count.all"] = float(len(same)) if not np.isnan(p) else np.nan
        last = same[same["at"] == same["at"].max()] if len(same) else same
        row["earlier[parent].last"] = set(last["y"]) if len(last) else np.nan
        out.append(row)
    return pd.DataFrame(out, index=examples.index)


def compute(rows: pd.DataFrame, examples: pd.DataFrame, cutoff=None) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("items", rows[["id", "parent"]])
    history = rows.rename(columns={"at": "anchor_time", "y": "label"})
    return earlier_rows_features(
        history, examples, "items", "id", ["parent"], cutoff=cutoff, engine=DuckDBEngine(con)
    )


def assert_matches(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == feature_names(["parent"])
    for col in got.columns:
        for g, e in zip(got[col], expected[col], strict=True):
            if isinstance(e, set):
                assert g in e, col
            elif col == "earlier[parent].count.all" and np.isnan(e):
                assert g == 0, col  # no parent: no rows of it
            elif np.isnan(e):
                assert np.isnan(g), col
            else:
                assert g == pytest.approx(e, abs=1e-9), col


@pytest.mark.parametrize("cutoff", [None, pd.Timestamp("2023-11-20")])
def test_values_match_the_definition(cutoff) -> None:
    rows = table()
    rng = np.random.default_rng(1)
    pick = rng.choice(len(rows), 60, replace=False)
    examples = pd.DataFrame({"id": rows["id"].iloc[pick], "anchor_time": rows["at"].iloc[pick]})
    # and some asked after their own time, and unknown ids at arbitrary times
    later = examples.head(10).assign(anchor_time=lambda f: f["anchor_time"] + 40 * DAY)
    unknown = pd.DataFrame(
        {"id": [10_000, 10_001], "anchor_time": pd.to_datetime(["2023-06-01", "2024-03-03"])}
    )
    examples = pd.concat([examples, later, unknown], ignore_index=True)
    assert_matches(compute(rows, examples, cutoff), reference(rows, examples, cutoff))


def test_nothing_at_or_after_the_instant_is_read() -> None:
    rows = table(seed=3)
    examples = pd.DataFrame({"id": rows["id"], "anchor_time": rows["at"]}).sample(
        80, random_state=0
    )
    before = compute(rows, examples)
    changed = rows.copy()
    for i, t in enumerate(examples["anchor_time"]):
        if i % 8:  # each eighth example: change its own label and every later one
            continue
        later = changed["at"] >= t
        changed.loc[later, "y"] = changed.loc[later, "y"] * -5 + 1
        got = compute(changed, examples.loc[[examples.index[i]]])
        pd.testing.assert_frame_equal(got, before.loc[[examples.index[i]]])
        changed = rows.copy()


def test_the_cutoff_hides_later_rows() -> None:
    rows = table(seed=4)
    cutoff = pd.Timestamp("2023-09-01")
    examples = pd.DataFrame({"id": rows["id"], "anchor_time": rows["at"]})
    examples = examples[examples["anchor_time"] > cutoff].head(30)
    before = compute(rows, examples, cutoff)
    changed = rows.assign(y=rows["y"].where(rows["at"] <= cutoff, -99.0))
    pd.testing.assert_frame_equal(compute(changed, examples, cutoff), before)
    assert (before["earlier.count.all"] == (rows["at"] <= cutoff).sum()).all()


@pytest.fixture(scope="module")
def shop() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.05, seed=0))


def test_which_tasks_read_earlier_rows(shop) -> None:
    own = rg.Task.from_query(shop, "PREDICT orders.amount FOR EACH orders.order_id")
    assert reads_earlier_rows(own) and earlier_parents(own) == ["customer_id"]
    for query in (
        "PREDICT customers.segment = 'vip' FOR EACH orders.order_id",  # a parent's column
        "PREDICT products.category FOR EACH products.product_id",  # a category, a static table
        "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",  # windowed
    ):
        assert not reads_earlier_rows(rg.Task.from_query(shop, query)), query


def test_a_models_inputs_carry_them(shop) -> None:
    task = rg.Task.from_query(shop, "PREDICT orders.amount FOR EACH orders.order_id")
    inputs = TaskInputs.fit(task)
    test = task.table("test")
    x = inputs.transform(task, test)
    assert inputs.use_history
    assert set(feature_names(["customer_id"])) <= set(x.columns)
    assert x["earlier.count.all"].min() >= len(task.table("train"))  # all of train came before
    assert not any(c.startswith("orders.amount") for c in x.columns)  # the column stays hidden
