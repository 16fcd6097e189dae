"""The ``gnn`` and ``hybrid`` families on multilabel targets (``LIST_DISTINCT(...)
CLASSIFY``) and, through them, on a multicategorical column ranked
(``PREDICT articles.tags RANK TOP k``): the objective by hand, predictions in
the shape of the other multilabel families, better than the prior, reasons for
the likeliest label, and save/load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.evaluate.evaluation import score_predictions
from relgraph.models import load
from relgraph.models.gnn.objectives import Objective
from relgraph.models.registry import make_model
from relgraph.pql.task_type import TaskType
from tests.models.test_category_ranking import RANK, catalogue
from tests.models.test_multilabel import QUERY

#: Quick settings that still learn: one small net, a few epochs.
QUICK = {
    "hidden": 16,
    "epochs": 3,
    "fanout": (4, 2),
    "ensemble": 1,
    "refit_with_val": False,
    "lr": 0.01,
}


@pytest.fixture(scope="module")
def task() -> rg.Task:
    return rg.Task.from_query(rg.connect(make_ecommerce(scale=0.05, seed=4)), QUERY)


@pytest.fixture(scope="module")
def gnn(task: rg.Task):
    # 8 steps an epoch over the 2,032 training examples
    return make_model("gnn", **QUICK, batch_size=256).fit(task)


def test_the_objective_by_hand() -> None:
    objective = Objective(TaskType.multilabel_classification, classes=["a", "b", "c"])
    assert objective.width == 3
    labels = pd.Series([["a"], ["b", "z"], [], ["a", "c"]])  # "z" is outside the set
    target = objective.targets(labels)
    assert target.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 0, 1]]
    assert objective.known(target).all()
    logits = torch.tensor([[2.0, -1.0, 0.0], [0.0, 3.0, -2.0], [-1.0, -1.0, -1.0], [1.0, 0.0, 1.0]])
    # BCE with logits, averaged over every (example, label)
    p = torch.sigmoid(logits)
    want = -(target * p.log() + (1 - target) * (1 - p).log()).mean()
    assert float(objective.loss()(logits, target)) == pytest.approx(float(want), rel=1e-5)
    raw = objective.to_raw(logits)
    np.testing.assert_allclose(raw, p.numpy(), rtol=1e-6)
    # label a: positives 0.88, 0.73 over 0.5, 0.27 -> 1; label b: 0.95 over the rest -> 1;
    # label c: 0.73 over 0.5, 0.12, 0.27 -> 1
    assert objective.score(labels, raw) == 1.0
    assert objective.score(labels, 1 - raw) == 0.0
    # no label with both classes: minus the mean absolute error, still higher-is-better
    empty = pd.Series([[], []])
    assert objective.score(empty, np.full((2, 3), 0.25)) == pytest.approx(-0.25)


def test_gnn_predicts_like_the_other_multilabel_families(task: rg.Task, gnn) -> None:
    test = task.table("test")
    preds = gnn.predict(test)
    # the columns of every multilabel family (the baselines', gbdt's one-vs-rest),
    # in the same order: key, anchor_time, predicted, score_<label> of the fixed set
    prior = make_model("prior").fit(task)
    assert list(preds.columns) == list(prior.predict(test.head(3)).columns)
    scores = preds.filter(like="score_").to_numpy()
    assert ((scores > 0) & (scores < 1)).all()
    for row, predicted in zip(scores, preds["predicted"], strict=True):
        names = [c.removeprefix("score_") for c in preds.filter(like="score_").columns]
        above = sorted((p, n) for p, n in zip(row, names, strict=True) if p >= 0.5)
        assert predicted == [n for _, n in reversed(above)]


def test_gnn_beats_the_prior(task: rg.Task, gnn) -> None:
    test = task.table("test")
    prior = make_model("prior").fit(task).predict(test)
    ours = score_predictions(task, test, gnn.predict(test))["macro_auroc"]
    assert score_predictions(task, test, prior)["macro_auroc"] == 0.5
    assert ours > 0.65, ours


def test_the_validation_score_is_macro_auroc(task: rg.Task, gnn) -> None:
    assert all("val" in h for h in gnn.history_)
    assert 0.5 < max(h["val"] for h in gnn.history_) <= 1.0


def test_save_load_and_reasons_for_the_likeliest_label(task: rg.Task, gnn, tmp_path) -> None:
    test = task.table("test").head(30)
    again = load(gnn.save(tmp_path / "gnn.rg"), task.source_db)
    pd.testing.assert_frame_equal(gnn.predict(test), again.predict(test))
    explained = gnn.explain(test.head(4), top=2)
    scores = explained.filter(like="score_")
    for i in range(len(explained)):
        likeliest = scores.columns[scores.iloc[i].to_numpy().argmax()].removeprefix("score_")
        assert f"the probability of {likeliest!r}" in explained.loc[i, "top_signal"]
        assert 0 < len(explained.loc[i, "contributions"]) <= 2


def test_gnn_ranks_a_multicategorical_column(tmp_path) -> None:
    """``articles.tags RANK TOP 3``: the tags follow the kind and the price."""
    task = rg.Task.from_query(catalogue(), RANK)
    test = task.table("test")
    model = make_model("gnn", **QUICK).fit(task)
    preds = model.predict(test)
    assert list(preds.columns) == ["article_id", "anchor_time", "predicted", "scores"]
    assert preds["predicted"].map(len).eq(3).all()
    prior = make_model("prior").fit(task).predict(test)
    ours = score_predictions(task, test, preds)["map@3"]
    assert ours > score_predictions(task, test, prior)["map@3"] + 0.2, ours
    again = load(model.save(tmp_path / "rank.rg"), task.source_db)
    pd.testing.assert_frame_equal(again.predict(test.head(20)), preds.head(20))
    # the target's own column is never an input
    explained = model.explain(test.head(5))
    used = {(c["table"], c["column"]) for items in explained["contributions"] for c in items}
    assert used and ("articles", "tags") not in used


# ---------------------------------------------------------------- no leak
def test_rows_after_the_anchor_change_no_gnn_prediction(task: rg.Task, gnn) -> None:
    """The test labels are the grocery items bought after ``test_time``: with
    every such item's product and order owner scrambled, predictions at
    ``test_time`` stay the same."""
    frames = make_ecommerce(scale=0.05, seed=4)
    anchor = task.test_time
    rng = np.random.default_rng(0)
    items, orders = frames["order_items"].copy(), frames["orders"].copy()
    late = items["ordered_at"] > anchor
    assert late.sum() > 100
    items.loc[late, "product_id"] = rng.permutation(items.loc[late, "product_id"].to_numpy())
    late_orders = orders["ordered_at"] > anchor
    orders.loc[late_orders, "customer_id"] = rng.permutation(
        orders.loc[late_orders, "customer_id"].to_numpy()
    )
    changed = rg.connect({**frames, "order_items": items, "orders": orders})
    times = {"val_time": task.val_time, "test_time": task.test_time}
    moved = type(gnn).from_state(
        rg.Task.from_query(changed, QUERY, **times), gnn.state_files(), gnn.get_params()
    )
    examples = pd.DataFrame(
        {"customer_id": frames["customers"]["customer_id"], "anchor_time": anchor}
    )
    pd.testing.assert_frame_equal(gnn.predict(examples), moved.predict(examples))


def permuted_tags(db: rg.Database, ids: np.ndarray) -> rg.Database:
    """The catalogue with ``tags`` rotated among the articles ``ids``."""
    frames = {t: db.table(t) for t in ("articles", "sales")}
    articles = frames["articles"].copy()
    rows = articles.index[articles["article_id"].isin(ids)]
    articles.loc[rows, "tags"] = pd.Series(
        np.roll(articles.loc[rows, "tags"].to_numpy(), 1), index=rows, dtype=object
    )
    schema = {
        "tables": {
            "articles": {"primary_key": "article_id", "time_column": "created_at"},
            "sales": {"primary_key": "sale_id", "time_column": "sold_at"},
        },
        "links": [{"from": "sales.article_id", "to": "articles.article_id"}],
    }
    return rg.connect({**frames, "articles": articles}, schema=schema)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("gnn", {**QUICK, "epochs": 2}),
        pytest.param(
            "hybrid", {"gnn": {**QUICK, "epochs": 1}, "num_boost_round": 20}, marks=pytest.mark.slow
        ),
    ],
)
def test_permuting_the_target_column_changes_no_prediction(name: str, params: dict) -> None:
    """A static multicategorical target: its column, rotated among the test
    articles (whose labels no fit reads), is never an input."""
    db = catalogue()
    task = rg.Task.from_query(db, RANK)
    test = task.table("test")
    assert len(test) > 20
    other = rg.Task.from_query(permuted_tags(db, test["article_id"].to_numpy()), RANK)
    assert other.table("test")["label"].tolist() != test["label"].tolist()
    before = make_model(name, **params).fit(task).predict(test)
    after = make_model(name, **params).fit(other).predict(test)
    pd.testing.assert_frame_equal(before, after)


HYBRID = {
    "gnn": {**QUICK, "epochs": 2},
    "folds": 2,
    "num_boost_round": 30,
    "early_stopping_rounds": 10,
}


@pytest.mark.slow
def test_hybrid_gives_each_label_booster_the_gnn_probabilities(task: rg.Task, tmp_path) -> None:
    model = make_model("hybrid", **HYBRID).fit(task)
    labels = model.classes_
    assert model.gnn_classes_ == labels
    gnn_columns = [c for c in model.feature_names_ if c.startswith("gnn.")]
    assert gnn_columns == [f"gnn.score_{c}" for c in labels]
    test = task.table("test")
    preds = model.predict(test)
    assert [c.removeprefix("score_") for c in preds.filter(like="score_").columns] == labels
    scores = {
        name: score_predictions(task, test, m.predict(test))["macro_auroc"]
        for name, m in (("hybrid", model), ("prior", make_model("prior").fit(task)))
    }
    assert scores["hybrid"] > scores["prior"] + 0.15, scores
    again = load(model.save(tmp_path / "hybrid.rg"), task.source_db)
    pd.testing.assert_frame_equal(again.predict(test.head(20)), preds.head(20))
