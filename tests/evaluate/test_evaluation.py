"""Scoring predictions per task type, and evaluate_models against its parts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import relgraph as rg
from relgraph import metrics
from relgraph.bench.demo import make_ecommerce
from relgraph.evaluate.evaluation import (
    EvaluationError,
    cutoff_for,
    evaluate_models,
    metric_inputs,
    plan_runs,
    protocols_of,
    score_predictions,
)
from relgraph.models.core.base import ModelError
from relgraph.models.registry import make_model

SPLIT = {"val_time": "2024-06-01", "test_time": "2024-09-01"}
QUERIES = {
    "binary": "PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id",
    "regression": "PREDICT SUM(orders.amount, 0, 30, days) FOR EACH customers.customer_id",
    "multiclass": "PREDICT FIRST(orders.channel, 0, 30, days) FOR EACH customers.customer_id",
    "link": "PREDICT LIST_DISTINCT(order_items.product_id, 0, 30, days) RANK TOP 5 "
    "FOR EACH customers.customer_id",
}
FAST_GBDT = {"gbdt": {"num_boost_round": 30, "early_stopping_rounds": 10}}


@pytest.fixture(scope="module")
def db() -> rg.Database:
    return rg.connect(make_ecommerce(scale=0.05, seed=0))


@pytest.fixture(scope="module")
def tasks(db: rg.Database) -> dict[str, rg.Task]:
    return {kind: rg.Task.from_query(db, q, **SPLIT) for kind, q in QUERIES.items()}


# ---------------------------------------------------------------- scoring
@pytest.mark.parametrize("kind", list(QUERIES))
def test_score_predictions_equals_the_metrics_on_the_right_columns(kind: str, tasks) -> None:
    task = tasks[kind]
    test = task.table("test")
    preds = make_model("history").fit(task).predict(test)
    scores = score_predictions(task, test, preds)
    assert list(scores) == task.metrics
    y = test["label"]
    if kind == "binary":
        expected = {
            "auroc": metrics.auroc(y, preds["probability"]),
            "ap": metrics.average_precision(y, preds["probability"]),
            "accuracy": metrics.accuracy(y, preds["predicted"]),
            "f1": metrics.f1(y, preds["probability"]),
        }
    elif kind == "regression":
        expected = metrics.compute(task.metrics, y, preds["prediction"])
    elif kind == "multiclass":
        columns = [c for c in preds.columns if c.startswith("score_")]
        classes = [c.removeprefix("score_") for c in columns]
        assert set(y.astype(str)) <= set(classes)
        expected = {
            "accuracy": metrics.accuracy(y.astype(str), preds["predicted"]),
            "macro_f1": metrics.macro_f1(y.astype(str), preds["predicted"]),
            "mrr": metrics.mrr(y.astype(str), preds[columns].to_numpy(), classes),
        }
    else:
        expected = {
            "map@5": metrics.map_at_k(list(y), list(preds["predicted"]), 5),
            "precision@5": metrics.precision_at_k(list(y), list(preds["predicted"]), 5),
            "recall@5": metrics.recall_at_k(list(y), list(preds["predicted"]), 5),
        }
    assert scores == pytest.approx(expected)


def test_a_class_the_model_never_saw_ranks_last(tasks) -> None:
    task = tasks["multiclass"]
    examples = task.table("test").head(3).copy()
    examples["label"] = ["web", "fax", "app"]
    preds = pd.DataFrame(
        {
            "customer_id": examples["customer_id"],
            "anchor_time": examples["anchor_time"],
            "predicted": ["web", "web", "app"],
            "score_app": [0.2, 0.3, 0.6],
            "score_web": [0.8, 0.7, 0.4],
        }
    )
    y_true, scores, kwargs = metric_inputs(task, examples, preds, "mrr")
    assert kwargs["classes"] == ["app", "web", "fax"]
    assert np.isneginf(scores[:, 2]).all()
    # ranks: web 1st, fax 3rd (below both known classes), app 1st
    assert score_predictions(task, examples, preds, ["mrr"])["mrr"] == pytest.approx(
        (1 + 1 / 3 + 1) / 3
    )


def test_an_undefined_metric_is_nan(tasks) -> None:
    task = tasks["binary"]
    examples = task.table("test")
    examples = examples[examples["label"] == 1].head(10)
    preds = make_model("prior").fit(task).predict(examples)
    scores = score_predictions(task, examples, preds)
    assert math.isnan(scores["auroc"])
    assert scores["accuracy"] == 1.0


def test_predictions_must_match_the_examples(tasks) -> None:
    task = tasks["binary"]
    examples = task.table("test").head(5)
    preds = make_model("prior").fit(task).predict(examples)
    with pytest.raises(EvaluationError, match="one prediction per example"):
        score_predictions(task, examples, preds.iloc[::-1])
    with pytest.raises(EvaluationError, match="got 4 predictions for 5 examples"):
        score_predictions(task, examples, preds.head(4))


# ---------------------------------------------------------------- protocols and runs
def test_protocols_and_cutoffs(tasks) -> None:
    task = tasks["binary"]
    assert protocols_of("both") == ["rolling", "relbench"]
    assert cutoff_for(task, "rolling") is None
    assert cutoff_for(task, "relbench") == pd.Timestamp("2024-09-01")
    with pytest.raises(EvaluationError, match="Unknown protocol 'future'; expected one of"):
        protocols_of("future")


def test_plan_runs_seeds_only_seeded_models() -> None:
    assert plan_runs(["gbdt", "baseline", "gbdt"], 3) == [
        ("gbdt", 0),
        ("gbdt", 1),
        ("gbdt", 2),
        ("baseline", None),
    ]
    assert plan_runs(["gbdt"], [7, 9]) == [("gbdt", 7), ("gbdt", 9)]
    with pytest.raises(ModelError, match="Unknown model 'gnn2'; known: gbdt"):
        plan_runs(["gbdt", "gnn2"])
    with pytest.raises(EvaluationError, match="at least one seed"):
        plan_runs(["gbdt"], 0)
    with pytest.raises(EvaluationError, match="at least one model"):
        plan_runs([])


def test_evaluate_models_equals_fit_predict_score(tasks) -> None:
    task = tasks["binary"]
    calls: list[tuple[str, int]] = []
    ev = evaluate_models(
        task,
        ["gbdt", "baseline"],
        seeds=2,
        protocol="both",
        name="churn",
        params=FAST_GBDT,
        progress=lambda what, step: calls.append((what, step)),
    )
    assert ev.models == ["gbdt", "baseline"] and ev.protocols == ["rolling", "relbench"]
    assert ev.split_sizes == {s: len(task.table(s)) for s in ("train", "val", "test")}
    assert calls == [
        ("churn: gbdt seed 0", 0),
        ("churn: gbdt seed 0", 1),
        ("churn: gbdt seed 1", 0),
        ("churn: gbdt seed 1", 1),
        ("churn: baseline", 0),
        ("churn: baseline", 1),
    ]
    # the same numbers as the Python calls it stands for
    model = make_model("gbdt", seed=1, **FAST_GBDT["gbdt"]).fit(task)
    for protocol in ("rolling", "relbench"):
        test = task.table("test")
        preds = model.predict(test, cutoff=cutoff_for(task, protocol))
        s = ev.summary("gbdt", "test", "auroc", protocol)
        assert s["per_seed"][1] == pytest.approx(score_predictions(task, test, preds)["auroc"])
    gbdt = ev.summary("gbdt", "val", "auroc")
    assert gbdt["seeds"] == [0, 1] and len(gbdt["per_seed"]) == 2
    assert gbdt["std"] == pytest.approx(np.std(gbdt["per_seed"], ddof=1))
    assert gbdt["fit_seconds"] > 0
    baseline = ev.summary("baseline", "test", "auroc", "relbench")
    assert baseline["seeds"] == [None] and baseline["std"] == 0.0
    history = make_model("baseline").fit(task)
    test = task.table("test")
    expected = score_predictions(task, test, history.predict(test, cutoff=task.test_time))
    assert baseline["mean"] == pytest.approx(expected["auroc"])
    # validation is the same under both protocols (its windows end by test_time)
    for model in ev.models:
        assert (
            ev.summary(model, "val", "ap", "rolling")["per_seed"]
            == ev.summary(model, "val", "ap", "relbench")["per_seed"]
        )
    rows = ev.rows()
    assert len(rows) == 2 * 2 * 2 * len(task.metrics)  # protocols x models x splits x metrics
    assert {r["protocol"] for r in rows} == {"rolling", "relbench"}


def test_evaluate_models_errors(tasks, db) -> None:
    task = tasks["regression"]
    with pytest.raises(ModelError, match="Unknown model 'lgbm'"):
        evaluate_models(task, ["lgbm"])
    with pytest.raises(EvaluationError, match="Unknown protocol"):
        evaluate_models(task, ["prior"], protocol="rolling,relbench")
    with pytest.raises(ModelError, match="No model given supports link_prediction"):
        evaluate_models(tasks["link"], ["gbdt"], params=FAST_GBDT)
    ev = evaluate_models(task, ["prior"])
    with pytest.raises(EvaluationError, match="No run of 'gbdt' under protocol 'rolling'"):
        ev.summary("gbdt", "test", "mae")
    late = rg.Task.from_query(
        db, QUERIES["regression"], val_time="2024-09-01", test_time="2024-12-20", horizon="30d"
    )
    with pytest.raises(EvaluationError, match="test split has no labelled examples"):
        evaluate_models(late, ["prior"])


def test_models_that_do_not_support_the_task_are_left_out_and_said(tasks) -> None:
    ev = evaluate_models(tasks["link"], ["gbdt", "prior"], params=FAST_GBDT)
    assert ev.models == ["prior"]
    assert "not run (link_prediction is not supported): gbdt" in ev.split_note
