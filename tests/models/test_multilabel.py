"""Multilabel targets (``LIST_DISTINCT(...) CLASSIFY``) in the models: the fixed
label set, the metrics by hand, the baselines, one-vs-rest gbdt against them,
icl one label at a time, and the families that refuse the task type naming it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph.bench.demo import make_ecommerce
from relgraph.evaluate.evaluation import evaluate_models, score_predictions
from relgraph.metrics import MetricError, macro_ap, macro_auroc, micro_f1, subset_accuracy
from relgraph.models.core.base import ModelError
from relgraph.models.core.history import past_labels
from relgraph.models.core.targets import label_matrix, label_set
from relgraph.models.registry import make_model

QUERY = (
    "PREDICT LIST_DISTINCT(order_items.product_id WHERE products.category = 'grocery', "
    "0, 30, days) CLASSIFY FOR EACH customers.customer_id"
)


@pytest.fixture(scope="module")
def task() -> rg.Task:
    return rg.Task.from_query(rg.connect(make_ecommerce(scale=0.05, seed=4)), QUERY)


def test_label_set_keeps_the_most_frequent_keys() -> None:
    labels = pd.Series([[5, 2], [2], [], [9, 5, 2], [7]])
    assert label_set(labels) == ["2", "5", "7", "9"]
    assert label_set(labels, limit=2) == ["2", "5"]
    assert label_matrix(labels, ["2", "9"]).tolist() == [[1, 0], [1, 0], [0, 0], [1, 1], [0, 0]]


def test_metrics_by_hand() -> None:
    truth = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    scores = np.array([[0.9, 0.2, 0.1], [0.3, 0.7, 0.1], [0.6, 0.4, 0.2]])
    # label 0: positives 0.9, 0.6 over 0.3 -> 1; label 1: 0.7, 0.4 vs 0.2 -> 1; label 2 skipped
    assert macro_auroc(truth, scores) == 1.0
    assert macro_ap(truth, scores) == 1.0
    # at 0.5: predicted {0}, {1}, {0}: tp 3, fn 1, fp 0
    assert micro_f1(truth, scores) == pytest.approx(6 / 7)
    assert subset_accuracy(truth, scores) == pytest.approx(2 / 3)
    with pytest.raises(MetricError):
        macro_auroc(np.zeros((2, 2)), np.zeros((2, 2)))


def test_baselines_and_gbdt(task: rg.Task) -> None:
    test = task.table("test")
    scores = {}
    for name, params in (
        ("prior", {}),
        ("history", {}),
        ("gbdt", {"num_boost_round": 60, "early_stopping_rounds": 10, "ensemble_size": 1}),
    ):
        preds = make_model(name, **params).fit(task).predict(test)
        scores[name] = score_predictions(task, test, preds)
    assert scores["prior"]["macro_auroc"] == 0.5  # one rate per label ranks nothing
    assert scores["history"]["macro_auroc"] > 0.55
    assert scores["gbdt"]["macro_auroc"] > scores["history"]["macro_auroc"] + 0.05


def test_history_is_the_entitys_own_rate(task: rg.Task) -> None:
    test = task.table("test").head(60)
    preds = make_model("history").fit(task).predict(test)
    prior = make_model("prior").fit(task).predict(test)
    columns = [c for c in preds.columns if c.startswith("score_")]
    classes = [c.removeprefix("score_") for c in columns]
    past = past_labels(task, test)
    assert len(past)
    for row in range(len(test)):
        mine = past.loc[past["row"] == row, "label"]
        want = label_matrix(mine, classes).mean(axis=0) if len(mine) else prior.loc[row, columns]
        np.testing.assert_allclose(preds.loc[row, columns].to_numpy(float), want)


@pytest.mark.parametrize("name", ["gnn", "hybrid"])
def test_other_families_refuse_naming_the_task_type(task: rg.Task, name: str) -> None:
    with pytest.raises(ModelError, match="does not support multilabel_classification"):
        make_model(name).fit(task)


def test_evaluate_runs_the_baselines(task: rg.Task) -> None:
    ev = evaluate_models(task, ["prior", "history", "gnn"])
    assert ev.models == ["prior", "history"] and "gnn" in ev.split_note
    assert ev.headline == "macro_auroc"
    assert 0.5 < ev.summary("history", "test", "macro_auroc")["mean"] < 1
