"""Explanations of the ``gnn`` family (occlusion on the sampled subgraph)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.models.gnn.explain import WINDOWS
from relgraph.models.gnn.model import GNNModel
from tests.models.test_common import QUERIES, TINY_GNN

# Explanations read one fitted model: two nets (the ensemble path) and no refit
# on train+val keep the fixtures fast without changing what is explained.
TINY = {**TINY_GNN, "ensemble": 2}
KEYS = {"kind", "table", "hop", "window", "column", "rows", "contribution", "text"}
KINDS = ("rows", "column", "history", "summary", "node_summary")


@pytest.fixture(scope="module")
def db(shop_db: rg.Database) -> rg.Database:
    return shop_db


@pytest.fixture(scope="module")
def fitted(gnn_pairs: dict[str, GNNModel]) -> dict[str, GNNModel]:
    """``GNNModel(**TINY)`` fitted on each kind of ``QUERIES`` (tests/models/conftest.py)."""
    return gnn_pairs


@pytest.mark.parametrize("kind", list(QUERIES))
def test_format(kind: str, fitted) -> None:
    model = fitted[kind]
    examples = model.task_.table("test").head(40)
    out = model.explain(examples, top=4)
    preds = model.predict(examples)
    assert list(out.columns) == [*preds.columns, "top_signal", "contributions"]
    pd.testing.assert_frame_equal(out[preds.columns], preds)
    json.dumps(out["contributions"].tolist())  # JSON-ready
    windows = {w for w, _ in WINDOWS} | {None}
    for signal, items in zip(out["top_signal"], out["contributions"], strict=True):
        assert 1 <= len(items) <= 4
        assert signal == items[0]["text"]
        sizes = [abs(c["contribution"]) for c in items]
        assert sizes == sorted(sizes, reverse=True)
        for c in items:
            assert set(c) == KEYS
            assert c["kind"] in KINDS and c["rows"] >= 1
            assert c["table"] in model.graph_.node_types
            assert c["window"] in windows
            if c["kind"] == "rows":
                assert c["hop"] >= 1 and c["column"] is None
                assert f"{c['table']} ({c['hop']} hop" in c["text"]
            elif c["kind"] == "column":
                assert c["column"] in model.stats_[c["table"]].columns
            elif c["kind"] == "summary":  # one join path's aggregates, as seed inputs
                paths = {p.path.name for p in model.seed_plan_.paths}
                assert c["column"] in paths | {model.task_.entity_table}
                assert f"summary of {c['column']}" in c["text"]
            elif c["kind"] == "node_summary":  # one table's rows, summarised on each node
                assert c["table"] in model.summaries_.summarised_tables()
                assert c["hop"] is None and c["column"] is None
                assert f"{c['table']} as summarised on the linked rows" in c["text"]
            else:  # the target's own history, given to the net as seed features
                assert c["table"] == model.task_.entity_table and c["column"] is None
    if kind == "multiclass":
        first = out.loc[0]
        assert f"the probability of {first['predicted']!r}" in first["top_signal"]
    if kind == "binary":
        assert out["top_signal"].str.contains("the probability by").all()


def test_deterministic(fitted) -> None:
    model = fitted["regression"]
    examples = model.task_.table("test").head(30)
    pd.testing.assert_frame_equal(model.explain(examples), model.explain(examples))


def test_an_entity_without_neighbours_and_one_not_there_yet(db, fitted) -> None:
    model = fitted["regression"]
    customers = db.arrow("customers").to_pandas()
    first = customers.sort_values("signup_at").iloc[0]
    examples = pd.DataFrame(
        {
            "customer_id": [first["customer_id"]] * 2,
            # at signup: the row exists, nothing links to it yet; a day before: no row
            "anchor_time": [first["signup_at"], first["signup_at"] - pd.Timedelta(days=1)],
        }
    )
    out = model.explain(examples)
    own = out.loc[0, "contributions"]
    assert own and not any(c["kind"] == "rows" for c in own)  # nothing sampled
    # The own row's columns and history; summaries say "no orders yet".
    assert all(c["kind"] in ("column", "history", "summary", "node_summary") for c in own)
    assert all(c["table"] == "customers" for c in own if c["kind"] in ("column", "history"))
    assert out.loc[0, "top_signal"] == own[0]["text"]
    assert out.loc[1, "contributions"] == []
    assert "training prior" in out.loc[1, "top_signal"]
    assert out.loc[1, "prediction"] == pytest.approx(model.prior_[0])


def _planted(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Users whose future clicks follow their own click rate; visits are noise
    at an independent rate."""
    rng = np.random.default_rng(seed)
    n_users, days = 300, 400
    start = pd.Timestamp("2024-01-01")
    users = pd.DataFrame({"user_id": np.arange(n_users), "signup_at": start})

    def events(rate: np.ndarray, prefix: str) -> pd.DataFrame:
        counts = rng.poisson(rate * days)
        owner = np.repeat(np.arange(n_users), counts)
        at = start + pd.to_timedelta(rng.uniform(0, days, len(owner)), unit="D")
        frame = pd.DataFrame({"user_id": owner, "at": at, "value": rng.normal(size=len(owner))})
        frame = frame.sort_values("at", ignore_index=True)
        frame.insert(0, f"{prefix}_id", np.arange(len(frame)))
        return frame

    click_rate = rng.choice([0.02, 0.4], n_users)
    visit_rate = rng.choice([0.02, 0.4], n_users)
    return {
        "users": users,
        "clicks": events(click_rate, "click"),
        "visits": events(visit_rate, "visit"),
    }


@pytest.mark.slow  # trains to learn the planted signal (5 epochs, three nets)
def test_planted_signal_is_attributed_to_its_table() -> None:
    db = rg.connect(_planted())
    task = rg.Task.from_query(db, "PREDICT COUNT(clicks.*, 0, 30, days) FOR EACH users.user_id")
    model = GNNModel(hidden=16, epochs=5, fanout=(8,), layers=1, batch_size=256).fit(task)
    out = model.explain(task.table("test"), top=50)
    # Among the related rows, the signal table's move each prediction most ...
    rows = out["contributions"].map(lambda items: [c for c in items if c["kind"] == "rows"])
    top = rows[rows.map(len) > 0].map(lambda items: items[0]["table"]).value_counts()
    assert top.index[0] == "clicks" and top["clicks"] > 0.6 * top.sum()
    # ... and weigh more than the noise table's overall.
    weight = {"clicks": 0.0, "visits": 0.0}
    for items in rows:
        for c in items:
            weight[c["table"]] += abs(c["contribution"])
    assert weight["clicks"] > 2 * weight["visits"]


def test_ecommerce_churn_leans_on_orders(fitted) -> None:
    model = fitted["binary"]
    out = model.explain(model.task_.table("test"), top=50)
    per_table: dict[str, float] = {}
    for items in out["contributions"]:
        for c in items:
            if c["kind"] == "rows":
                per_table[c["table"]] = per_table.get(c["table"], 0.0) + abs(c["contribution"])
    assert max(per_table, key=per_table.get) == "orders"


def test_node_summaries_are_explained_per_summarised_table(gnn_summarised) -> None:
    model = gnn_summarised  # GNNModel(**{**TINY, "ensemble": 1}, node_summaries=2), binary
    task = model.task_
    out = model.explain(task.table("test").head(30), top=100)
    found = {
        c["table"] for items in out["contributions"] for c in items if c["kind"] == "node_summary"
    }
    assert found == set(model.summaries_.summarised_tables())
    for items in out["contributions"]:
        for c in items:
            assert c["kind"] in KINDS
