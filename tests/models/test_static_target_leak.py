"""A target without a time window is never an input, for any model, on any path.

The check: permute the target column's values among the entities being
predicted (the test split, whose labels no model trains on and no context
reads). A model that reads the column, from the entity's own row, from a
parent, or from the same row reached again through other tables, then
predicts differently; one that does not predicts exactly the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.models.registry import make_model

VAL, TEST = pd.Timestamp("2024-05-01"), pd.Timestamp("2024-08-01")
SMALL = {
    "gbdt": {"num_boost_round": 30, "early_stopping_rounds": 10, "ensemble_size": 1},
    # one net, no refit on train+val: a leak shows in any fitted net
    "gnn": {
        "hidden": 8,
        "epochs": 2,
        "fanout": (4, 2),
        "batch_size": 256,
        "ensemble": 1,
        "refit_with_val": False,
    },
    "hybrid": {
        "gnn": {
            "hidden": 8,
            "epochs": 1,
            "fanout": [4, 2],
            "batch_size": 256,
            "refit_with_val": False,
        },
        "num_boost_round": 30,
        "early_stopping_rounds": 10,
        "ensemble_size": 1,
        "folds": 2,
    },
}
MODELS = ["gbdt", "gnn", "hybrid", "icl", "icl-lightgbm", "prior", "history"]


def shop(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Customers whose segment shows in their order amounts (so a model has
    something legitimate to learn), and a copy of the segment nowhere else."""
    rng = np.random.default_rng(seed)
    n = 360
    signup = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 640, n), unit="D")
    segment = rng.choice(["a", "b", "c"], n)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "signup_at": signup,
            "segment": segment,
            "age": rng.integers(18, 80, n),
        }
    )
    rows = []
    for cid, t, seg in zip(customers.customer_id, signup, segment, strict=True):
        for _ in range(rng.integers(1, 5)):
            when = t + pd.Timedelta(days=int(rng.integers(0, 60)))
            amount = {"a": 80.0, "b": 40.0, "c": 10.0}[seg] + rng.normal(0, 5)
            rows.append((cid, when, amount))
    orders = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    orders.insert(0, "order_id", np.arange(1, len(orders) + 1))
    return {"customers": customers, "orders": orders}


def permuted(frames: dict[str, pd.DataFrame], ids: np.ndarray) -> dict[str, pd.DataFrame]:
    """The same shop with ``segment`` rotated among the customers ``ids``."""
    customers = frames["customers"].copy()
    rows = customers.index[customers["customer_id"].isin(ids)]
    values = customers.loc[rows, "segment"].to_numpy()
    customers.loc[rows, "segment"] = np.roll(values, 1)
    assert (customers.loc[rows, "segment"].to_numpy() != values).sum() > len(rows) // 3
    return {**frames, "customers": customers}


QUERIES = {
    "own row": "PREDICT customers.segment = 'a' FOR EACH customers.customer_id",
    "parent row": "PREDICT customers.segment = 'a' FOR EACH orders.order_id",
}


def fit_predict(
    frames: dict[str, pd.DataFrame],
    query: str,
    name: str,
    examples: pd.DataFrame | None = None,
    cutoff: pd.Timestamp | None = TEST,
) -> pd.DataFrame:
    """Predictions of the test split (or ``examples``), by default as of
    ``TEST`` (the relbench protocol): no test label is known, not even an
    earlier test row's (:mod:`relgraph.features.earlier_rows`)."""
    task = rg.Task.from_query(rg.connect(frames), query, val_time=VAL, test_time=TEST)
    model = make_model(name, **SMALL.get(name, {})).fit(task)
    return model.predict(task.table("test") if examples is None else examples, cutoff=cutoff)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return shop()


@pytest.fixture(scope="module")
def late_customers(frames) -> np.ndarray:
    """Customers who signed up after test_time: all their rows are in the test split."""
    customers = frames["customers"]
    return customers.loc[customers["signup_at"] > TEST, "customer_id"].to_numpy()


@pytest.mark.parametrize("path", list(QUERIES))
@pytest.mark.parametrize("name", MODELS)
def test_permuting_the_target_changes_no_prediction(name, path, frames, late_customers) -> None:
    query = QUERIES[path]
    before = fit_predict(frames, query, name)
    after = fit_predict(permuted(frames, late_customers), query, name)
    assert len(before) > 20
    pd.testing.assert_frame_equal(before, after)


SLOW_GNN = [pytest.param(n, marks=pytest.mark.slow) if n == "gnn" else n for n in MODELS]


@pytest.mark.parametrize("name", SLOW_GNN)
def test_earlier_rows_labels_are_read_only_before_the_anchor(name, frames, late_customers) -> None:
    """Without a cutoff (the rolling protocol) an example reads the labels of
    the rows before it: labels at or after its anchor change nothing."""
    customers = frames["customers"].sort_values("signup_at")
    late = customers[customers["customer_id"].isin(late_customers)]
    split = late["signup_at"].iloc[len(late) // 2]
    early = late[late["signup_at"] < split]
    examples = pd.DataFrame(
        {"customer_id": early["customer_id"], "anchor_time": early["signup_at"]}
    )
    later = late.loc[late["signup_at"] >= split, "customer_id"].to_numpy()
    query = QUERIES["own row"]
    before = fit_predict(frames, query, name, examples, cutoff=None)
    after = fit_predict(permuted(frames, later), query, name, examples, cutoff=None)
    assert len(before) > 10
    pd.testing.assert_frame_equal(before, after)


@pytest.mark.parametrize("name", SLOW_GNN)
def test_an_entitys_own_label_is_not_its_earlier_row(name, frames, late_customers) -> None:
    """Asked long after its own row, an entity is described as of that row's
    time: its own label (and what came after it) is never an input."""
    customers = frames["customers"]
    for_one = customers["customer_id"] == late_customers[0]  # the other rows may read its label
    examples = pd.DataFrame(
        {"customer_id": late_customers[:1], "anchor_time": TEST + pd.Timedelta(days=400)}
    )
    changed = customers.copy()
    changed.loc[for_one, "segment"] = changed.loc[for_one, "segment"].map(
        {"a": "b", "b": "a", "c": "a"}
    )
    query = QUERIES["own row"]
    before = fit_predict(frames, query, name, examples, cutoff=None)
    after = fit_predict({**frames, "customers": changed}, query, name, examples, cutoff=None)
    pd.testing.assert_frame_equal(before, after)


def test_the_target_is_hidden_from_the_task_view(frames) -> None:
    db = rg.connect(frames)
    task = rg.Task.from_query(db, QUERIES["parent row"], val_time=VAL, test_time=TEST)
    assert "segment" not in task.db.schema.tables["customers"].columns
    assert "segment" not in task.db.table("customers").columns
    assert task.db.hidden_columns == ["customers.segment"]
    # labels still come from the column, and the database itself is untouched
    assert set(task.table("train")["label"]) == {0, 1}
    assert "segment" in db.schema.tables["customers"].columns


def test_a_windowed_target_hides_nothing(frames) -> None:
    db = rg.connect(frames)
    task = rg.Task.from_query(
        db,
        "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",
        val_time=VAL,
        test_time=TEST,
    )
    assert task.db is db


def test_a_link_column_as_target_hides_the_link(frames) -> None:
    db = rg.connect(frames)
    query = "PREDICT orders.customer_id = 7 FOR EACH orders.order_id"
    task = rg.Task.from_query(db, query, val_time=VAL, test_time=TEST)
    assert task.db.schema.links == []  # the edge would reveal which customer it is
    assert len(db.schema.links) == 1


def test_the_gbdt_scores_like_the_prior_without_signal(frames) -> None:
    """At signup a customer has only ``age``, which is noise: with the target
    hidden, gbdt cannot beat the prior by much (it scored 1.0 when it read it)."""
    query = "PREDICT customers.segment FOR EACH customers.customer_id"
    db = rg.connect(frames)
    task = rg.Task.from_query(db, query, val_time=VAL, test_time=TEST)
    test = task.table("test")
    accuracy = {}
    for name in ("gbdt", "prior"):
        preds = make_model(name, **SMALL.get(name, {})).fit(task).predict(test)
        accuracy[name] = (preds["predicted"].astype(str) == test["label"].astype(str)).mean()
    assert accuracy["gbdt"] <= accuracy["prior"] + 0.1, accuracy


def test_a_few_ids_with_predict(frames, late_customers) -> None:
    """``FOR t.pk IN (...)``: the context is every other entity, read on the
    database as given (the view has no target to label them with)."""
    late = frames["customers"][frames["customers"]["customer_id"].isin(late_customers)]
    asked = late.groupby("segment")["customer_id"].first().sort_values().to_numpy()
    query = (
        "PREDICT customers.segment = 'a' FOR customers.customer_id IN "
        f"({', '.join(str(i) for i in asked)})"
    )
    anchor = TEST + pd.Timedelta(days=400)
    before = rg.predict(rg.connect(frames), query, anchor_time=anchor)
    after = rg.predict(rg.connect(permuted(frames, asked)), query, anchor_time=anchor)
    assert len(before) == 3
    # the first of them to sign up: an asked row may read an earlier asked
    # row's label (it was in the database at its time), never its own
    first = late.set_index("customer_id").loc[asked, "signup_at"].idxmin()
    mine = before["customer_id"] == first
    pd.testing.assert_frame_equal(before[mine], after[mine])


def test_a_class_only_validation_has_does_not_break_gbdt(frames) -> None:
    customers = frames["customers"]
    # half the validation customers in a class training never saw (LightGBM
    # refused the label -1 it got before)
    in_val = customers["signup_at"].between(VAL, TEST) & (customers["customer_id"] % 2 == 0)
    changed = {
        **frames,
        "customers": customers.assign(segment=customers["segment"].where(~in_val, "z")),
    }
    query = "PREDICT customers.segment FOR EACH customers.customer_id"
    task = rg.Task.from_query(rg.connect(changed), query, val_time=VAL, test_time=TEST)
    preds = make_model("gbdt", **SMALL["gbdt"]).fit(task).predict(task.table("test"))
    assert set(preds["predicted"]) <= {"a", "b", "c"}


def test_a_stale_plan_cannot_read_the_hidden_target(frames) -> None:
    """A feature plan fitted on the whole database (as by a model saved before
    targets were hidden) is refused on the task's view."""
    from relgraph.errors import RelgraphError
    from relgraph.features import FeaturePlan

    db = rg.connect(frames)
    task = rg.Task.from_query(db, QUERIES["own row"], val_time=VAL, test_time=TEST)
    plan = FeaturePlan.fit(db, "customers", horizon="30D", until=VAL)
    with pytest.raises(RelgraphError, match=r"reads customers.segment, which this database"):
        plan.transform(task.db, task.table("test"))
